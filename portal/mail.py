"""What every e-mail sender shares: a subject that is one line, and which send failures to
retry. A subject built from user text (a use-case title) may carry a line break, which
Django refuses with BadHeaderError; a retry cannot fix that, nor a refused address."""

import smtplib
import unicodedata

from django.core.mail import BadHeaderError

# Line and paragraph separators and control characters (CR, LF, NUL, ...) become spaces.
_BREAKING_CATEGORIES = {"Cc", "Zl", "Zp"}


def clean_subject(text):
    """``text`` as one line: breaks and control characters become spaces, runs of spaces one."""
    spaced = "".join(" " if unicodedata.category(char) in _BREAKING_CATEGORIES else char for char in str(text))
    return " ".join(spaced.split())


class PermanentSendFailure(Exception):
    """A send that no retry can fix (kept out of a task's autoretry_for)."""


def is_permanent(error):
    """Whether a send failure is for good: refused recipients or sender, a 5xx reply, a bad
    header or address. Connection trouble and 4xx replies are worth a retry."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        # 4xx (a full mailbox, greylisting) may pass later; 5xx will not.
        return all(code >= 500 for code, _message in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    # ValueError: an address Django cannot encode or parse (BadHeaderError is one too).
    return isinstance(error, (smtplib.SMTPNotSupportedError, BadHeaderError, ValueError))
