from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from portal.choices import DataClassification
from portal.forms import RowsFormSet
from vendors.choices import AnswerType, AssessmentDecision, HostingOption
from vendors.models import AIModel, TemplateVersion, Vendor, VendorCertification, VendorContact


def _helper(submit_label=None, form_tag=True):
    helper = FormHelper()
    helper.form_tag = form_tag
    if submit_label:
        helper.add_input(Submit("save", submit_label))
    return helper


class VendorForm(forms.ModelForm):
    website = forms.URLField(label=_("website"), required=False, assume_scheme="https", max_length=200)

    class Meta:
        model = Vendor
        fields = [
            "name",
            "kind",
            "website",
            "headquarters_country",
            "processing_regions",
            "data_retention_days",
            "zero_retention_available",
            "training_use",
            "subprocessors",
            "conditions",
            "risk_rating",
            "next_reassessment_on",
        ]
        widgets = {
            "subprocessors": forms.Textarea(attrs={"rows": 3}),
            "conditions": forms.Textarea(attrs={"rows": 3}),
            "next_reassessment_on": forms.DateInput(attrs={"type": "date"}),
            "processing_regions": forms.SelectMultiple(attrs={"size": 6}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(form_tag=False)
        self.helper.disable_csrf = True


ContactFormSet = forms.inlineformset_factory(
    Vendor,
    VendorContact,
    fields=["name", "email", "language"],
    formset=RowsFormSet,
    extra=1,
    can_delete=True,
    max_num=20,
    validate_max=True,
)
CertificationFormSet = forms.inlineformset_factory(
    Vendor,
    VendorCertification,
    fields=["name", "other_name", "expires_on"],
    formset=RowsFormSet,
    extra=1,
    can_delete=True,
    max_num=20,
    validate_max=True,
    widgets={"expires_on": forms.DateInput(attrs={"type": "date"})},
)


class AIModelForm(forms.ModelForm):
    hosting_options = forms.MultipleChoiceField(
        label=_("hosting options"),
        choices=HostingOption.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = AIModel
        fields = AIModel.EDITABLE_FIELDS
        widgets = {"japanese_notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Save"))


class SendAssessmentForm(forms.Form):
    contact = forms.ModelChoiceField(label=_("Vendor contact"), queryset=VendorContact.objects.none())
    template_version = forms.ModelChoiceField(
        label=_("Questionnaire"), queryset=TemplateVersion.objects.none(), empty_label=None
    )
    link_days = forms.IntegerField(label=_("Link valid for (days)"), min_value=1, max_value=90)

    def __init__(self, *args, vendor, **kwargs):
        from django.conf import settings

        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = vendor.contacts.all()
        self.fields["template_version"].queryset = TemplateVersion.objects.published().select_related("template")
        self.fields["link_days"].initial = settings.ASSESSMENT_LINK_DAYS
        self.helper = _helper(_("Send"))


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=AssessmentDecision.choices, widget=forms.RadioSelect)
    approved_level = forms.ChoiceField(
        label=_("Approved up to (data classification)"),
        choices=[("", "---------"), *DataClassification.choices],
        required=False,
    )
    valid_months = forms.IntegerField(label=_("Valid for (months)"), min_value=1, max_value=60)
    conditions = forms.CharField(
        label=_("Conditions"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    findings = forms.CharField(
        label=_("Findings"), required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, **kwargs):
        from django.conf import settings

        super().__init__(*args, **kwargs)
        self.fields["valid_months"].initial = settings.ASSESSMENT_VALIDITY_MONTHS
        self.helper = _helper(_("Record the decision"))


class SectionForm(forms.Form):
    title_ja = forms.CharField(label=_("title (Japanese)"), max_length=200)
    title_en = forms.CharField(label=_("title (English)"), max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Add section"))


class QuestionForm(forms.Form):
    """Options are edited as lines ``value | Japanese | English | points``."""

    text_ja = forms.CharField(label=_("question (Japanese)"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    text_en = forms.CharField(label=_("question (English)"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    help_ja = forms.CharField(label=_("help (Japanese)"), max_length=2000, required=False)
    help_en = forms.CharField(label=_("help (English)"), max_length=2000, required=False)
    answer_type = forms.ChoiceField(label=_("answer type"), choices=AnswerType.choices)
    options = forms.CharField(
        label=_("options"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For choice questions, one option a line: value | Japanese | English | points (0 to 1)."),
    )
    required = forms.BooleanField(label=_("required"), required=False, initial=True)
    weight = forms.IntegerField(label=_("weight"), min_value=0, max_value=5, initial=3)
    knockout_values = forms.CharField(
        label=_("knockout answers"),
        required=False,
        max_length=500,
        help_text=_("Option values that fail the assessment, separated by commas; write (empty) for a missing answer."),
    )
    evidence_required = forms.BooleanField(label=_("evidence required"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_("Save question"))

    @staticmethod
    def initial_for(question):
        return {
            "text_ja": question.text_ja,
            "text_en": question.text_en,
            "help_ja": question.help_ja,
            "help_en": question.help_en,
            "answer_type": question.answer_type,
            "options": "\n".join(
                f"{option['value']} | {option.get('ja', '')} | {option.get('en', '')} | {option.get('points', 0)}"
                for option in question.options
            ),
            "required": question.required,
            "weight": question.weight,
            "knockout_values": ", ".join(value or "(empty)" for value in question.knockout_values),
            "evidence_required": question.evidence_required,
        }

    def clean_options(self):
        options = []
        for number, line in enumerate(self.cleaned_data["options"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [part.strip() for part in line.split("|")]
            if len(parts) != 4 or not parts[0]:
                raise forms.ValidationError(
                    _("Line %(number)s: write value | Japanese | English | points.") % {"number": number}
                )
            try:
                points = float(parts[3])
            except ValueError:
                points = -1
            if not 0 <= points <= 1:
                raise forms.ValidationError(_("Line %(number)s: points are a number from 0 to 1.") % {"number": number})
            options.append({"value": parts[0], "ja": parts[1], "en": parts[2], "points": points})
        if len({option["value"] for option in options}) != len(options):
            raise forms.ValidationError(_("Option values must be different."))
        return options

    def clean(self):
        cleaned = super().clean()
        answer_type, options = cleaned.get("answer_type"), cleaned.get("options") or []
        if answer_type in (AnswerType.YES_NO, AnswerType.SINGLE, AnswerType.MULTIPLE) and not options:
            self.add_error("options", _("A choice question needs options."))
        knockouts = []
        for value in (cleaned.get("knockout_values") or "").split(","):
            value = value.strip()
            if not value:
                continue
            value = "" if value == "(empty)" else value
            if value and value not in {option["value"] for option in options}:
                self.add_error("knockout_values", _("“%(value)s” is not one of the options.") % {"value": value})
            knockouts.append(value)
        cleaned["knockout_values"] = knockouts
        return cleaned
