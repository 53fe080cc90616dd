from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from imports.choices import ImportKind


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=())
    file = forms.FileField(label=_("File (XLSX or CSV)"))

    def __init__(self, *args, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(kind.value, kind.label) for kind in ImportKind if kind in kinds]
        self.fields["file"].help_text = _(
            "Excel workbook (.xlsx, first sheet) or CSV in UTF-8 or Shift_JIS, up to %(size)s. "
            "Nothing is written until you confirm the preview."
        ) % {"size": filesizeformat(settings.IMPORT_MAX_BYTES)}
        self.helper = FormHelper()
        self.helper.add_input(Submit("upload", _("Upload and check")))
