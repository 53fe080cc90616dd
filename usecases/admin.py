from django.contrib import admin

from portal.admin import ReadOnlyAdmin, ReadOnlyInline
from usecases.models import (
    BenefitRecord,
    CostSettings,
    ExchangeRate,
    Kpi,
    KpiMeasurement,
    Trial,
    UseCase,
    UseCaseModel,
    UseCaseTask,
)


class UseCaseTaskInline(ReadOnlyInline):
    model = UseCaseTask


class KpiInline(ReadOnlyInline):
    model = Kpi
    show_change_link = True


# Use cases and their rows are read-only in the admin: every change goes through the
# services in usecases/services.py and usecases/roadmap_services.py, which check the rules and
# write the audit trail.


class UseCaseModelInline(ReadOnlyInline):
    model = UseCaseModel


class TrialInline(ReadOnlyInline):
    model = Trial


class BenefitRecordInline(ReadOnlyInline):
    model = BenefitRecord


@admin.register(UseCase)
class UseCaseAdmin(ReadOnlyAdmin):
    list_display = ["reference", "title", "department", "owner", "category", "status", "roadmap_step", "updated_at"]
    list_filter = [
        "status",
        "category",
        "department",
        "data_classification",
        "audience",
        "intended_style",
        "roadmap_step",
    ]
    search_fields = ["reference", "title", "summary", "owner__username"]
    list_select_related = ["department", "owner"]
    inlines = [UseCaseTaskInline, KpiInline, UseCaseModelInline, TrialInline, BenefitRecordInline]


class KpiMeasurementInline(ReadOnlyInline):
    model = KpiMeasurement


@admin.register(Kpi)
class KpiAdmin(ReadOnlyAdmin):
    list_display = ["name", "use_case", "unit", "direction", "baseline", "target"]
    list_filter = ["direction"]
    search_fields = ["name", "use_case__reference", "use_case__title"]
    list_select_related = ["use_case"]
    inlines = [KpiMeasurementInline]


@admin.register(KpiMeasurement)
class KpiMeasurementAdmin(ReadOnlyAdmin):
    list_display = ["kpi", "measured_on", "value", "recorded_by"]
    list_filter = ["measured_on"]
    search_fields = ["kpi__name", "kpi__use_case__reference"]
    list_select_related = ["kpi", "recorded_by"]


@admin.register(UseCaseTask)
class UseCaseTaskAdmin(ReadOnlyAdmin):
    list_display = ["description", "performer", "use_case", "position"]
    list_filter = ["performer"]
    search_fields = ["description", "use_case__reference"]
    list_select_related = ["use_case"]


@admin.register(CostSettings)
class CostSettingsAdmin(admin.ModelAdmin):
    """The one row of cost defaults: edited, never added twice or deleted."""

    list_display = ["__str__", "currency", "gpu_monthly_cost", "engineer_monthly_cost", "operations_fte", "hourly_rate"]

    def has_add_permission(self, request):
        return not CostSettings.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    list_display = ["currency", "rate", "updated_at"]
