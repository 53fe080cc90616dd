from django import forms
from django.utils.translation import gettext_lazy as _

from usecases.comments.models import BODY_MAX_LENGTH


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Comment"),
        max_length=BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "data-mentions": "true", "autocomplete": "off"}),
        help_text=_("Type @ and a user name to mention someone who can see this use case."),
        error_messages={"required": _("Write a comment.")},
    )
    parent = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args, mentions_url="", **kwargs):
        super().__init__(*args, **kwargs)
        if mentions_url:
            self.fields["body"].widget.attrs["data-mentions-url"] = mentions_url


class CommentEditForm(CommentForm):
    parent = None
