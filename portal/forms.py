from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Log in"), css_class="w-100"))


class RowsHelper(FormHelper):
    """Renders an inline formset as a table of rows inside a larger form."""

    form_tag = False
    disable_csrf = True
    template = "bootstrap5/table_inline_formset.html"


class RowsFormSet(forms.BaseInlineFormSet):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = RowsHelper()


def add_errors(form, error):
    """Put a service's ValidationError on the form: on its field where it has one."""
    errors = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
    for field, messages in errors.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("What will use it"),
        max_length=100,
        help_text=_("For example “BI dashboard” or “monthly report script”."),
    )
