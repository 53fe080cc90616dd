from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from governance.models import PolicyDocument, PromptTemplate, TrainingCourse
from portal.models import department_label
from portal.roles import Role


def _helper(label):
    helper = FormHelper()
    helper.add_input(Submit("save", label))
    return helper


class AudienceFormMixin:
    """Roles are offered by their label; only the four role groups are audiences."""

    def setup_audience(self):
        self.fields["roles"].queryset = Group.objects.filter(name__in=Role.values).order_by("name")
        labels = dict(Role.choices)
        self.fields["roles"].label_from_instance = lambda group: labels.get(group.name, group.name)
        self.fields["departments"].label_from_instance = department_label
        self.fields["departments"].widget = forms.CheckboxSelectMultiple(choices=self.fields["departments"].choices)
        self.fields["roles"].widget = forms.CheckboxSelectMultiple(choices=self.fields["roles"].choices)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("all_staff") and not cleaned.get("departments") and not cleaned.get("roles"):
            raise forms.ValidationError(_("Choose all staff, or at least one department or role."))
        return cleaned


class PolicyDocumentForm(AudienceFormMixin, forms.ModelForm):
    class Meta:
        model = PolicyDocument
        fields = (
            "key",
            "kind",
            "title_ja",
            "title_en",
            "all_staff",
            "departments",
            "roles",
            "requires_acknowledgement",
            "acknowledge_within_days",
            "is_active",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_audience()
        if self.instance.pk:
            self.fields["key"].disabled = True  # links and reminders point at it
        self.helper = _helper(_("Save"))


class PolicyVersionForm(forms.Form):
    body_ja = forms.CharField(
        label=_("text (Japanese, Markdown)"), max_length=100_000, widget=forms.Textarea(attrs={"rows": 16})
    )
    body_en = forms.CharField(
        label=_("text (English, Markdown)"),
        max_length=100_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 16}),
    )
    change_summary = forms.CharField(label=_("what changed"), max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Save the draft"))


class TrainingCourseForm(AudienceFormMixin, forms.ModelForm):
    class Meta:
        model = TrainingCourse
        fields = (
            "key",
            "title_ja",
            "title_en",
            "description_ja",
            "description_en",
            "validity_months",
            "required",
            "all_staff",
            "departments",
            "roles",
            "is_active",
        )
        widgets = {
            "description_ja": forms.Textarea(attrs={"rows": 3}),
            "description_en": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_audience()
        if self.instance.pk:
            self.fields["key"].disabled = True
        self.helper = _helper(_("Save"))


class CompletionForm(forms.Form):
    person = forms.ModelChoiceField(label=_("person"), queryset=get_user_model().objects.none(), required=False)
    completed_on = forms.DateField(label=_("completed on"), widget=forms.DateInput(attrs={"type": "date"}))
    evidence = forms.FileField(
        label=_("evidence"),
        required=False,
        help_text=_("Certificate or screenshot (PDF, image, text or Office file, at most 10 MB)."),
    )
    note = forms.CharField(label=_("note"), max_length=300, required=False)

    def __init__(self, *args, may_record_others, **kwargs):
        super().__init__(*args, **kwargs)
        if may_record_others:
            self.fields["person"].queryset = (
                get_user_model().objects.filter(is_active=True).select_related("department").order_by("username")
            )
            self.fields["person"].help_text = _("Empty: yourself.")
        else:
            del self.fields["person"]
        self.helper = _helper(_("Record the completion"))


class RemoveCompletionForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=1000)


class PromptTemplateForm(forms.ModelForm):
    class Meta:
        model = PromptTemplate
        fields = ("title", "category", "style", "body", "example_output", "notes")
        widgets = {
            "body": forms.Textarea(attrs={"rows": 8}),
            "example_output": forms.Textarea(attrs={"rows": 5}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Save"))

    def _post_clean(self):
        # The services save (and send an edited approved prompt back to draft).
        for name, value in list(self.cleaned_data.items()):
            if value not in (None, ""):
                try:
                    self._meta.model._meta.get_field(name).run_validators(value)
                except forms.ValidationError as error:
                    self.add_error(name, error)


class PromptRatingForm(forms.Form):
    stars = forms.TypedChoiceField(
        label=_("stars"), coerce=int, choices=[(n, "★" * n) for n in range(5, 0, -1)], widget=forms.RadioSelect
    )
    comment = forms.CharField(label=_("comment"), max_length=300, required=False)
