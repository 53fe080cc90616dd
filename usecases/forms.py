from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Fieldset, Layout
from django import forms
from django.utils.translation import gettext_lazy as _

from portal.models import Department
from usecases.models import Kpi, UseCase, UseCaseTask
from usecases.services import EDITABLE_FIELDS


class UseCaseForm(forms.ModelForm):
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
        self.fields["department"].queryset = Department.objects.active()
        # Requesters register for their own department; admins may choose.
        if user.department_id and not user.has_perm("portal.change_department"):
            self.fields["department"].disabled = True
        if self.instance.department_id is None:
            self.initial["department"] = user.department_id
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Fieldset(_("What and who"), "title", "summary", Div("department", "category", "audience")),
            Fieldset(_("Data and style"), "data_classification", "involves_personal_data", "intended_style"),
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
            raise forms.ValidationError(_("Choose a department."))
        return department


class _RowFormSetHelper(FormHelper):
    form_tag = False
    disable_csrf = True
    template = "bootstrap5/table_inline_formset.html"


class UseCaseTaskForm(forms.ModelForm):
    class Meta:
        model = UseCaseTask
        fields = ("description", "performer")


class KpiForm(forms.ModelForm):
    class Meta:
        model = Kpi
        fields = ("name", "unit", "direction", "baseline", "target")


class _ChildFormSet(forms.BaseInlineFormSet):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _RowFormSetHelper()

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
    UseCase, UseCaseTask, form=UseCaseTaskForm, formset=_ChildFormSet, extra=3, can_delete=True, max_num=30
)
KpiFormSet = forms.inlineformset_factory(
    UseCase, Kpi, form=KpiForm, formset=_ChildFormSet, extra=2, can_delete=True, max_num=20
)


class WithdrawForm(forms.Form):
    comment = forms.CharField(
        label=_("Reason"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
