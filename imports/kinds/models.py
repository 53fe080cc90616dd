"""AI models, one a row, found by publisher, name and version. The publisher is a vendor of the
registry (import vendors first), the licence a licence's identifier or name."""

import functools

from django.utils.translation import gettext as _

from imports.cells import Column, normal
from imports.choices import ImportKind
from imports.kinds.registry import RegistryKind, cell_value
from vendors import services as vendor_services
from vendors.choices import AIModelStatus, Currency, HostingOption, Openness, TrainingDataDisclosure
from vendors.models import AIModel, Licence, Vendor


def choice_labels(choices):
    return {code: str(label) for code, label in choices.choices}


class Context:
    def __init__(self, user, labels):
        self.user, self.labels = user, labels
        self.vendors = {normal(vendor.name): vendor for vendor in Vendor.objects.all()}
        self.licences = {}
        for licence in Licence.objects.all():
            self.licences.setdefault(normal(licence.identifier), licence)
            self.licences.setdefault(normal(licence.name), licence)
        self.existing = {
            (normal(model.publisher.name), normal(model.name), normal(model.version)): model
            for model in AIModel.objects.select_related("publisher")
        }
        self.seen = {}


class AIModelKind(RegistryKind):
    key = ImportKind.AI_MODELS
    model = AIModel
    file_name = "ai-models-import"
    key_columns = ("publisher", "name", "version")
    create_service = staticmethod(vendor_services.create_model)
    update_service = staticmethod(vendor_services.update_model)
    columns = (
        Column("publisher", "Publisher", "提供元", kind="lookup", required=True),
        Column("name", "Name", "名称", required=True, max_length=200),
        Column("version", "Version", "バージョン", max_length=100),
        Column("openness", "Openness", "公開形態", kind="choice", choices=Openness, required=True),
        Column("licence", "Licence", "ライセンス", kind="lookup", required=True),
        Column("hosting_options", "Hosting options", "ホスティング形態", kind="choices", choices=HostingOption),
        Column("price_input_per_million", "Price per million input tokens", "入力100万トークン単価", kind="decimal"),
        Column("price_output_per_million", "Price per million output tokens", "出力100万トークン単価", kind="decimal"),
        Column("currency", "Currency", "通貨", kind="choice", choices=Currency),
        Column("context_window", "Context window (tokens)", "コンテキスト長(トークン)", kind="int"),
        Column("update_cadence", "Update cadence", "更新頻度", max_length=200),
        Column(
            "training_data_disclosed",
            "Training data disclosed",
            "学習データの開示",
            kind="choice",
            choices=TrainingDataDisclosure,
        ),
        Column("japanese_notes", "Japanese-language notes", "日本語対応メモ", max_length=5000),
        Column("status", "Status", "ステータス", kind="choice", choices=AIModelStatus),
    )

    def prepare(self, user, rows, labels):
        return Context(user, labels)

    def key_of(self, values):
        return (normal(values.get("publisher", "")), normal(values.get("name", "")), normal(values.get("version", "")))

    def record_fields(self, plan, context, values):
        fields = {column.key: values[column.key] for column in self.columns if column.key in values}
        publisher = fields.get("publisher", "")
        if publisher:
            fields["publisher"] = context.vendors.get(normal(publisher))
            if fields["publisher"] is None:
                plan.error(
                    "publisher",
                    _("“%(text)s” is not a vendor of the registry (import vendors first).") % {"text": publisher[:80]},
                )
        licence = fields.get("licence", "")
        if licence:
            fields["licence"] = context.licences.get(normal(licence))
            if fields["licence"] is None:
                plan.error(
                    "licence",
                    _("“%(text)s” is not a licence of the registry (write its identifier, e.g. Apache-2.0).")
                    % {"text": licence[:80]},
                )
        fields.setdefault("hosting_options", [])
        return fields

    def template_rows(self, user):
        labels = functools.lru_cache(choice_labels)
        for model in AIModel.objects.select_related("publisher", "licence").order_by("publisher__name", "name", "pk"):
            row = []
            for column in self.columns:
                value = getattr(model, column.key)
                if column.key == "publisher":
                    value = model.publisher.name
                elif column.key == "licence":
                    value = model.licence.identifier
                row.append(cell_value(column, value, labels))
            yield row


KIND = AIModelKind()
