import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from portal.models import Department, User
from portal.services import next_reference
from usecases.choices import (
    DataClassification,
    TaskPerformer,
    UseCaseAudience,
    UseCaseCategory,
    UseCaseStyle,
)
from usecases.models import Kpi, UseCase, UseCaseTask

PASSWORD = "correct-horse-battery-staple"


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"dept-{n}")
    name = factory.Sequence(lambda n: f"部署{n}")
    name_en = factory.Sequence(lambda n: f"Department {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password(PASSWORD)
    language = "ja"

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))


class UseCaseFactory(factory.django.DjangoModelFactory):
    """A draft. ``UseCaseFactory(complete=True)`` also fills everything submit needs."""

    class Meta:
        model = UseCase
        skip_postgeneration_save = True

    class Params:
        complete = factory.Trait(
            summary="広告コピーの案を出し、担当者が選ぶ。",
            category=UseCaseCategory.CREATIVE,
            audience=UseCaseAudience.INTERNAL,
            data_classification=DataClassification.INTERNAL,
            intended_style=UseCaseStyle.CLOSED_API,
            monthly_requests=1000,
            avg_input_tokens=800,
            avg_output_tokens=400,
            ai_task=factory.RelatedFactory(
                "tests.factories.UseCaseTaskFactory", "use_case", performer=TaskPerformer.AI
            ),
            human_task=factory.RelatedFactory(
                "tests.factories.UseCaseTaskFactory", "use_case", performer=TaskPerformer.HUMAN
            ),
            kpi=factory.RelatedFactory("tests.factories.KpiFactory", "use_case"),
        )

    reference = factory.LazyFunction(lambda: next_reference("UC", timezone.localdate().year))
    title = factory.Sequence(lambda n: f"AI活用案 {n}")
    owner = factory.SubFactory(UserFactory)
    department = factory.LazyAttribute(lambda use_case: use_case.owner.department or DepartmentFactory())


class UseCaseTaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UseCaseTask

    use_case = factory.SubFactory(UseCaseFactory)
    description = factory.Sequence(lambda n: f"作業 {n}")
    performer = TaskPerformer.AI


class KpiFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Kpi

    use_case = factory.SubFactory(UseCaseFactory)
    name = "クリック率"
    unit = "%"
    baseline = "1.8"
    target = "2.0"


class VendorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "vendors.Vendor"
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"AIベンダー{n}")
    kind = "closed_api"
    headquarters_country = "JP"


class VendorContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "vendors.VendorContact"

    vendor = factory.SubFactory(VendorFactory)
    name = factory.Sequence(lambda n: f"担当者{n}")
    email = factory.Sequence(lambda n: f"contact{n}@vendor.example")
    language = "ja"


class AIModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "vendors.AIModel"

    name = factory.Sequence(lambda n: f"model-{n}")
    publisher = factory.SubFactory(VendorFactory)
    openness = "closed_api"
    licence = factory.LazyFunction(lambda: _licence("LicenseRef-Proprietary-API"))
    price_input_per_million = "2.50"
    price_output_per_million = "10.00"


def _licence(identifier):
    from vendors.models import Licence

    return Licence.objects.get(identifier=identifier)


def published_version(key="genai-vendor-assessment"):
    """The seeded, published version of a questionnaire template."""
    from vendors.models import TemplateVersion

    return TemplateVersion.objects.published().get(template__key=key)


def send_assessment(reviewer, vendor=None, key="genai-vendor-assessment"):
    """An assessment sent through the service; returns (assessment, token)."""
    from vendors import assessments

    contact = VendorContactFactory(vendor=vendor) if vendor else VendorContactFactory()
    return assessments.send_assessment(contact.vendor, contact, published_version(key), reviewer)


def approved_vendor(level="confidential", **fields):
    """A vendor approved up to ``level`` (as a decided assessment would leave it), valid for a year."""
    import datetime

    from vendors.models import Vendor

    vendor = VendorFactory(**fields)
    Vendor.objects.filter(pk=vendor.pk).update(
        status="approved",
        approved_level=level,
        next_reassessment_on=timezone.localdate() + datetime.timedelta(days=365),
    )
    vendor.refresh_from_db()
    return vendor


def choose_model(use_case, ai_model, deployment="closed_api"):
    """Add a chosen model to a use case (as the form or API would)."""
    from usecases.models import UseCaseModel

    return UseCaseModel.objects.create(use_case=use_case, ai_model=ai_model, deployment=deployment)
