from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Fieldset, Layout, Submit
from django import forms
from django.db.models import Q
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from portal.forms import RowsFormSet
from portal.models import Department, department_label
from usecases.choices import ModelRole, RoadmapStep, TrialKind
from usecases.models import BenefitRecord, Kpi, Trial, UseCase, UseCaseModel, UseCaseTask
from usecases.roadmap_services import COST_FIELDS
from usecases.services import EDITABLE_FIELDS
from vendors.choices import Openness
from vendors.models import AIModel


class UseCaseForm(forms.ModelForm):
    # The version the editor loaded: a save based on an older one is refused, not merged.
    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    class Meta:
        model = UseCase
        fields = EDITABLE_FIELDS
        widgets = {"summary": forms.Textarea(attrs={"rows": 4})}
        help_texts = {
            "summary": _("What the team does today and where AI would help."),
            "monthly_requests": _("Rough estimate; used for cost comparisons later."),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        # Active departments, plus the current one even if it was deactivated since.
        self.fields["department"].queryset = Department.objects.filter(
            Q(is_active=True) | Q(pk=self.instance.department_id)
        )
        self.fields["department"].label_from_instance = department_label
        # Requesters register for their own department; admins may choose.
        self.may_choose_department = user.has_perm("portal.change_department")
        if not self.may_choose_department:
            self.fields["department"].disabled = True
        if self.instance.department_id is None:
            self.initial["department"] = user.department_id
        if self.instance.pk:
            self.initial["loaded_version"] = self.instance.version
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Fieldset(_("What and who"), "title", "summary", Div("department", "category", "audience")),
            Fieldset(_("Data and style"), "data_classification", "involves_personal_data", "intended_style"),
            Fieldset(
                _("Risk and fit"),
                "prohibited_practice",
                "decides_about_people",
                "customers_see_output",
                "human_checks_output",
                "tuned_on_own_data",
                "uses_internal_knowledge",
                "fast_start",
            ),
            "loaded_version",
            Fieldset(
                _("Expected volume"),
                Div(
                    Div("monthly_requests", css_class="col-md-4"),
                    Div("avg_input_tokens", css_class="col-md-4"),
                    Div("avg_output_tokens", css_class="col-md-4"),
                    css_class="row",
                ),
            ),
        )

    def clean_department(self):
        department = self.cleaned_data.get("department")
        if department is None:
            if self.user.department_id is None and not self.may_choose_department:
                raise forms.ValidationError(
                    _("Your account belongs to no department yet; ask a governance admin to set it.")
                )
            raise forms.ValidationError(_("Choose a department."))
        return department


class UseCaseTaskForm(forms.ModelForm):
    class Meta:
        model = UseCaseTask
        fields = ("description", "performer")


class UseCaseModelForm(forms.ModelForm):
    class Meta:
        model = UseCaseModel
        fields = ("ai_model", "deployment", "request_share")
        help_texts = {"request_share": _("Set for every model (adding up to 100) or leave all empty; never assumed.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ai_model"].queryset = self.fields["ai_model"].queryset.select_related("publisher")
        self.fields["ai_model"].label_from_instance = lambda model: f"{model} — {model.publisher}"


class KpiForm(forms.ModelForm):
    class Meta:
        model = Kpi
        fields = ("name", "unit", "direction", "baseline", "target")


class _ChildFormSet(RowsFormSet):
    def rows(self):
        """Cleaned rows for the service: kept forms only, with their ids."""
        rows = []
        for form in self.forms:
            if not form.has_changed() and form.instance.pk is None:
                continue
            if self.can_delete and self._should_delete_form(form):
                continue
            row = {name: form.cleaned_data[name] for name in form._meta.fields}
            row["id"] = form.instance.pk
            rows.append(row)
        return rows


TaskFormSet = forms.inlineformset_factory(
    UseCase,
    UseCaseTask,
    form=UseCaseTaskForm,
    formset=_ChildFormSet,
    extra=3,
    can_delete=True,
    max_num=30,
    validate_max=True,
)
ModelChoiceFormSet = forms.inlineformset_factory(
    UseCase,
    UseCaseModel,
    form=UseCaseModelForm,
    formset=_ChildFormSet,
    extra=2,
    can_delete=True,
    max_num=10,
    validate_max=True,
)
KpiFormSet = forms.inlineformset_factory(
    UseCase, Kpi, form=KpiForm, formset=_ChildFormSet, extra=2, can_delete=True, max_num=20, validate_max=True
)


class WithdrawForm(forms.Form):
    comment = forms.CharField(
        label=_("Reason"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class KpiMeasurementForm(forms.Form):
    """A plain form: re-recording a day replaces its value, which a model form's
    unique check would refuse (the service does the replacing and audits it)."""

    kpi = forms.ModelChoiceField(label=_("KPI"), queryset=Kpi.objects.none(), empty_label=None)
    measured_on = forms.DateField(label=_("measured on"), widget=forms.DateInput(attrs={"type": "date"}))
    value = forms.DecimalField(label=_("value"), max_digits=16, decimal_places=4)
    note = forms.CharField(label=_("note"), max_length=300, required=False)

    def __init__(self, *args, use_case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kpi"].queryset = use_case.kpis.all()
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", _("Record")))


# --- Roadmap ---------------------------------------------------------------------------------------


def _helper(submit_label=None, form_tag=True):
    helper = FormHelper()
    helper.form_tag = form_tag
    if submit_label:
        helper.add_input(Submit("save", submit_label))
    return helper


class FieldValidatorsOnlyMixin:
    """A model form whose service saves the row: run the model fields' own validators
    (ranges, lengths) but not the whole-model checks, which the service does with the
    locked row (e.g. recording a month again replaces it instead of breaking uniqueness)."""

    def _post_clean(self):
        model_meta = self._meta.model._meta
        for name, value in list(self.cleaned_data.items()):
            if value in (None, ""):
                continue
            try:
                model_meta.get_field(name).run_validators(value)
            except forms.ValidationError as error:
                self.add_error(name, error)


class TrialForm(FieldValidatorsOnlyMixin, forms.ModelForm):
    """The closed pilot or the open-model PoC; the model list is the kind's openness."""

    class Meta:
        model = Trial
        fields = ("ai_model", "scope", "starts_on", "planned_end_on", "ended_on", "results", "comparison")
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "planned_end_on": forms.DateInput(attrs={"type": "date"}),
            "ended_on": forms.DateInput(attrs={"type": "date"}),
            "scope": forms.Textarea(attrs={"rows": 3}),
            "results": forms.Textarea(attrs={"rows": 4}),
            "comparison": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "results": _("What the KPIs showed and what users said (qualitative feedback)."),
            "comparison": _("How the open model did against the closed pilot: quality, cost, effort."),
        }

    def __init__(self, *args, kind, **kwargs):
        super().__init__(*args, **kwargs)
        openness = Openness.CLOSED_API if kind == TrialKind.CLOSED_PILOT else Openness.OPEN_WEIGHTS
        self.fields["ai_model"].queryset = AIModel.objects.filter(openness=openness).select_related("publisher")
        self.fields["ai_model"].label_from_instance = lambda model: (
            f"{model} — {model.publisher} ({model.get_status_display()})"
        )
        if kind == TrialKind.CLOSED_PILOT:
            del self.fields["comparison"]
        self.helper = _helper(_("Save"))


class RoadmapReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(form_tag=False)


class MoveBackForm(RoadmapReasonForm):
    to_step = forms.TypedChoiceField(label=_("Back to step"), coerce=int, choices=())

    field_order = ["to_step", "reason"]

    def __init__(self, *args, use_case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_step"].choices = [
            (step.value, step.label) for step in RoadmapStep if RoadmapStep.GOVERNANCE <= step < use_case.roadmap_step
        ]


class ModelRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("hybrid role"), choices=[("", "---------"), *ModelRole.choices], required=False)
    request_share = forms.IntegerField(label=_("share of the requests (%)"), min_value=0, max_value=100, required=False)
    rationale = forms.CharField(
        label=_("rationale"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, choice, **kwargs):
        super().__init__(*args, **kwargs)
        self.choice = choice
        if not self.is_bound:
            self.initial = {
                "role": choice.role,
                "request_share": choice.request_share,
                "rationale": choice.role_rationale,
            }


def model_role_forms(use_case, data=None):
    return [
        ModelRoleForm(data, choice=choice, prefix=f"model-{choice.pk}")
        for choice in use_case.model_choices.select_related("ai_model__publisher")
    ]


class CostAssumptionsForm(FieldValidatorsOnlyMixin, forms.ModelForm):
    class Meta:
        model = UseCase
        fields = COST_FIELDS

    def __init__(self, *args, defaults, **kwargs):
        super().__init__(*args, **kwargs)
        for name in COST_FIELDS:
            default = getattr(defaults, name, None)
            if default is not None:
                self.fields[name].help_text = _("Empty: the organisation's default (%(value)s).") % {
                    "value": number_format(default, use_l10n=True, force_grouping=True)
                }
        self.helper = _helper(_("Save the assumptions"))


class BenefitForm(FieldValidatorsOnlyMixin, forms.ModelForm):
    month = forms.DateField(
        label=_("month"),
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
        help_text=_("The month the figures are for."),
    )

    class Meta:
        model = BenefitRecord
        fields = ("month", "hours_saved", "cost_saved", "revenue_gained", "note")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Record"))
