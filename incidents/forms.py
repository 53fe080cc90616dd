from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from governance.models import PromptTemplate
from incidents.choices import ActionKind, Category, Severity
from incidents.models import Incident, IncidentAction
from usecases.models import UseCase
from vendors.models import AIModel, Vendor

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ReportForm(forms.ModelForm):
    """The short report anyone fills in."""

    evidence = forms.FileField(label=_("Evidence file (optional)"), required=False)

    class Meta:
        model = Incident
        fields = (
            "title",
            "description",
            "noticed_at",
            "channel",
            "use_case",
            "ai_model",
            "vendor",
            "prompt_template",
            "affected_people",
            "personal_data",
            "sensitive_data",
            "unauthorised_access",
        )
        widgets = {"description": forms.Textarea(attrs={"rows": 4}), "noticed_at": DATETIME_INPUT}
        help_texts = {
            "description": _("What happened, what was seen or sent, and to whom. No need to be complete."),
            "affected_people": _("A rough number is enough; leave empty if unknown."),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["use_case"].queryset = UseCase.objects.visible_to(user).order_by("reference")
        self.fields["ai_model"].queryset = AIModel.objects.select_related("publisher").order_by("name")
        self.fields["vendor"].queryset = Vendor.objects.order_by("name")
        self.fields["prompt_template"].queryset = PromptTemplate.objects.visible_to(user).order_by("pk")
        self.fields["noticed_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"]


class TriageForm(forms.ModelForm):
    class Meta:
        model = Incident
        fields = (
            "severity",
            "category",
            "assignee",
            "use_case",
            "vendor",
            "ai_model",
            "affected_people",
            "personal_data",
            "sensitive_data",
            "unauthorised_access",
        )

    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["severity"].required = True
        self.fields["category"].required = True
        self.fields["severity"].choices = [("", "---------"), *Severity.choices]
        self.fields["category"].choices = [("", "---------"), *Category.choices]
        self.fields["assignee"].queryset = get_user_model().objects.filter(is_active=True).order_by("username")
        self.fields["use_case"].queryset = UseCase.objects.order_by("reference")
        self.fields["ai_model"].queryset = AIModel.objects.select_related("publisher").order_by("name")


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    resolution = forms.CharField(
        label=_("Resolution"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ActionForm(forms.ModelForm):
    class Meta:
        model = IncidentAction
        fields = ("kind", "description", "owner", "due_on")
        widgets = {"due_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = ActionKind.choices
        self.fields["owner"].queryset = get_user_model().objects.filter(is_active=True).order_by("username")


class DeadlineDoneForm(forms.Form):
    note = forms.CharField(label=_("What was done (e.g. report number)"), required=False, max_length=500)


class EvidenceForm(forms.Form):
    file = forms.FileField(label=_("Evidence file"))
