import datetime

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from governance.choices import MatrixVerdict, StageDecision
from governance.models import ClassificationLevel, ClassificationRule
from governance.reviewers import possible_delegates
from usecases.choices import RiskTier


class _HelperMixin:
    submit_label = _("Save")

    def _helper(self):
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", self.submit_label))


class StageDecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=StageDecision.choices, widget=forms.RadioSelect)
    comment = forms.CharField(
        label=_("Comment"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required unless you approve."),
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") and data["decision"] != StageDecision.APPROVE and not data.get("comment", "").strip():
            self.add_error("comment", _("Explain the decision: a comment is required unless you approve."))
        return data


class PolicyExceptionForm(_HelperMixin, forms.Form):
    submit_label = _("Grant the exception")
    finding = forms.ChoiceField(label=_("Blocking finding"))
    justification = forms.CharField(label=_("Justification"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    expires_on = forms.DateField(label=_("Expires on"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, findings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["finding"].choices = [
            (f"{finding.rule_id}|{finding.subject}", f"{finding.title} — {finding.explanation}") for finding in findings
        ]
        self.initial.setdefault("expires_on", timezone.localdate() + datetime.timedelta(days=90))
        self._helper()

    def clean_finding(self):
        rule_id, _sep, subject = self.cleaned_data["finding"].partition("|")
        return rule_id, subject


class RiskTierOverrideForm(_HelperMixin, forms.Form):
    submit_label = _("Set the risk tier")
    tier = forms.ChoiceField(
        label=_("Risk tier"),
        choices=[("", _("As derived from the answers")), *RiskTier.choices],
        required=False,
    )
    justification = forms.CharField(label=_("Justification"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._helper()


class ClassificationRuleForm(_HelperMixin, forms.ModelForm):
    class Meta:
        model = ClassificationRule
        fields = ("verdict", *ClassificationRule.CONDITION_FIELDS, "note")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._helper()

    def clean(self):
        data = super().clean()
        chosen = [name for name in ClassificationRule.CONDITION_FIELDS if data.get(name)]
        if data.get("verdict") == MatrixVerdict.CONDITIONAL and not chosen:
            self.add_error("verdict", _("Choose at least one condition, or allow the cell without conditions."))
        if data.get("verdict") != MatrixVerdict.CONDITIONAL and chosen:
            self.add_error("verdict", _("Conditions apply only to “allowed with conditions”."))
        return data


class ClassificationLevelForm(_HelperMixin, forms.ModelForm):
    class Meta:
        model = ClassificationLevel
        fields = ("description_ja", "description_en", "allowed_regions", "allowed_jurisdictions")
        widgets = {
            "description_ja": forms.Textarea(attrs={"rows": 3}),
            "description_en": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._helper()


class NotificationPreferenceForm(forms.ModelForm):
    class Meta:
        model = get_user_model()
        fields = ["email_notifications"]
        widgets = {"email_notifications": forms.RadioSelect}


class StageAssignForm(forms.Form):
    """Assign a stage to a member of its group (the choices are the stage's possible assignees)."""

    assignee = forms.ModelChoiceField(label=_("Assign to"), queryset=get_user_model().objects.none())

    def __init__(self, *args, assignees=None, **kwargs):
        super().__init__(*args, **kwargs)
        if assignees is not None:
            self.fields["assignee"].queryset = assignees


class DelegationForm(_HelperMixin, forms.Form):
    submit_label = _("Name the delegate")
    delegate = forms.ModelChoiceField(label=_("Delegate"), queryset=get_user_model().objects.none())
    starts_on = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Until (included)"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["delegate"].queryset = possible_delegates(user)
        self.initial.setdefault("starts_on", timezone.localdate())
        self._helper()
