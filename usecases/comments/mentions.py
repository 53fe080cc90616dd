"""``@username`` in a comment: finding, checking and showing the people it names."""

import re

from django.core.exceptions import ValidationError
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from usecases.comments.people import person_name, who_can_see

# A user name (ASCII letters, digits and .+-_), after an @ that does not continue a word or
# an e-mail address; a full stop ending a sentence is not part of it, nor Japanese text
# written straight after it ("@yamadaさん" names yamada).
MENTION = re.compile(r"(?<![\w@.+-])@([\w.+-]*[\w+-])", re.ASCII)
MAX_MENTIONS = 20


def mentioned_usernames(body):
    """The usernames ``body`` mentions, in order of first appearance, without repeats."""
    names = []
    for match in MENTION.finditer(body or ""):
        if match.group(1) not in names:
            names.append(match.group(1))
    return names


def resolve(use_case, body):
    """The users ``body`` mentions. A name nobody who can see ``use_case`` holds is refused
    with the same message whether or not such an account exists elsewhere."""
    names = mentioned_usernames(body)
    if not names:
        return []
    if len(names) > MAX_MENTIONS:
        raise ValidationError(
            {"body": [_("Mention at most %(count)s people in one comment.") % {"count": MAX_MENTIONS}]}
        )
    found = {user.username: user for user in who_can_see(use_case).filter(username__in=names)}
    unknown = [name for name in names if name not in found]
    if unknown:
        listed = ", ".join(f"@{name}" for name in unknown)
        message = ngettext(
            "%(names)s cannot be mentioned: nobody who can see this use case has that user name.",
            "%(names)s cannot be mentioned: nobody who can see this use case has these user names.",
            len(unknown),
        ) % {"names": listed}
        raise ValidationError({"body": [message]})
    return [found[name] for name in names]


def render(body, mentioned):
    """``body`` as safe HTML: escaped, each resolved mention shown as the person's name,
    line breaks kept. ``mentioned`` are the comment's resolved users (prefetched)."""
    people = {user.username: user for user in mentioned}

    def name(match):
        user = people.get(match.group(1))
        if user is None:
            return match.group(0)
        return format_html('<span class="mention fw-semibold" title="@{}">{}</span>', user.username, person_name(user))

    html = MENTION.sub(name, escape(body))
    return mark_safe(html.replace("\r\n", "\n").replace("\n", "<br>"))  # noqa: S308 - escaped above
