"""Vendors, one a row, found by their name (unique). Contacts and certifications are not part of
the file: they are added on the vendor's page."""

from django.utils.translation import gettext as _

from imports.cells import Column, normal
from imports.choices import ImportKind
from imports.kinds.registry import RegistryKind, cell_value, country_codes
from vendors import services as vendor_services
from vendors.choices import RiskRating, TrainingUse, VendorKind
from vendors.models import Vendor


class Context:
    def __init__(self, user, labels):
        self.user, self.labels = user, labels
        self.existing = {normal(vendor.name): vendor for vendor in Vendor.objects.all()}
        self.countries = country_codes()
        self.seen = {}


class VendorKindImport(RegistryKind):
    key = ImportKind.VENDORS
    model = Vendor
    file_name = "vendors-import"
    key_columns = ("name",)
    create_service = staticmethod(vendor_services.create_vendor)
    update_service = staticmethod(vendor_services.update_vendor)
    columns = (
        Column("name", "Name", "名称", required=True, max_length=200),
        Column("kind", "Kind", "種別", kind="choice", choices=VendorKind, required=True),
        Column("website", "Website", "ウェブサイト", max_length=200),
        Column("headquarters_country", "Headquarters country", "本社所在国", kind="lookup"),
        Column("processing_regions", "Data-processing regions", "データ処理地域", kind="lookup"),
        Column("data_retention_days", "Data retention (days)", "データ保持期間(日)", kind="int"),
        Column("zero_retention_available", "Zero retention available", "ゼロリテンション可", kind="bool"),
        Column(
            "training_use",
            "Customer data used for training",
            "顧客データの学習利用",
            kind="choice",
            choices=TrainingUse,
        ),
        Column("subprocessors", "Subprocessors", "再委託先", max_length=5000),
        Column("conditions", "Conditions", "条件", max_length=5000),
        Column("risk_rating", "Risk rating", "リスク評価", kind="choice", choices=RiskRating),
        Column("next_reassessment_on", "Next reassessment", "次回再評価日", kind="date"),
    )

    def prepare(self, user, rows, labels):
        return Context(user, labels)

    def key_of(self, values):
        return normal(values.get("name", ""))

    def record_fields(self, plan, context, values):
        fields = {column.key: values[column.key] for column in self.columns if column.key in values}
        fields["headquarters_country"] = self._country(
            plan, context, "headquarters_country", fields.get("headquarters_country", "")
        )
        regions = []
        for part in _parts(fields.get("processing_regions", "")):
            code = self._country(plan, context, "processing_regions", part)
            if code and code not in regions:
                regions.append(code)
        fields["processing_regions"] = regions
        return fields

    def _country(self, plan, context, column, text):
        if not text:
            return ""
        code = context.countries.get(normal(text))
        if code is None:
            plan.error(
                column, _("“%(text)s” is not a country (write its ISO code, e.g. JP, US).") % {"text": text[:60]}
            )
            return ""
        return code

    def template_rows(self, user):
        from imports.kinds.models import choice_labels

        for vendor in Vendor.objects.visible_to(user).order_by("name"):
            row = []
            for column in self.columns:
                value = getattr(vendor, column.key)
                if column.key == "headquarters_country":
                    value = value.code if value else ""
                elif column.key == "processing_regions":
                    value = ", ".join(country.code for country in value)
                row.append(cell_value(column, value, choice_labels))
            yield row


def _parts(text):
    from imports.cells import SEPARATORS

    return [part.strip() for part in SEPARATORS.split(text or "") if part.strip()]


KIND = VendorKindImport()
