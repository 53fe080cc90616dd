from django.contrib import admin

from usecases.models import Kpi, KpiMeasurement, UseCase, UseCaseTask


class UseCaseTaskInline(admin.TabularInline):
    model = UseCaseTask
    extra = 0


class KpiInline(admin.TabularInline):
    model = Kpi
    extra = 0
    show_change_link = True


@admin.register(UseCase)
class UseCaseAdmin(admin.ModelAdmin):
    """Status and reference are read-only here: they change only through services."""

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
    readonly_fields = ["reference", "status", "submitted_at", "created_at", "updated_at"]
    autocomplete_fields = ["owner"]
    inlines = [UseCaseTaskInline, KpiInline]

    def has_add_permission(self, request):
        # New use cases get their reference code and audit event from the service.
        return False


class KpiMeasurementInline(admin.TabularInline):
    model = KpiMeasurement
    extra = 0


@admin.register(Kpi)
class KpiAdmin(admin.ModelAdmin):
    list_display = ["name", "use_case", "unit", "direction", "baseline", "target"]
    list_filter = ["direction"]
    search_fields = ["name", "use_case__reference", "use_case__title"]
    list_select_related = ["use_case"]
    inlines = [KpiMeasurementInline]


@admin.register(KpiMeasurement)
class KpiMeasurementAdmin(admin.ModelAdmin):
    list_display = ["kpi", "measured_on", "value", "recorded_by"]
    list_filter = ["measured_on"]
    search_fields = ["kpi__name", "kpi__use_case__reference"]
    list_select_related = ["kpi", "recorded_by"]


@admin.register(UseCaseTask)
class UseCaseTaskAdmin(admin.ModelAdmin):
    list_display = ["description", "performer", "use_case", "position"]
    list_filter = ["performer"]
    search_fields = ["description", "use_case__reference"]
    list_select_related = ["use_case"]
