"""Secrets kept by the outbox (chat webhook URLs, a vendor's questionnaire link), encrypted at rest.

Fernet (AES + HMAC) with the key of ``NOTIFY_ENCRYPTION_KEY`` when set (``Fernet.generate_key()``),
else one derived from ``SECRET_KEY``: rotating that key makes stored webhook URLs unreadable, and
their destinations must be entered again. ``scrub`` removes a secret from an error text before it is
recorded or logged.
"""

import base64
import hashlib
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet():
    key = getattr(settings, "NOTIFY_ENCRYPTION_KEY", "")
    if not key:
        digest = hashlib.sha256(f"governance.notify:{settings.SECRET_KEY}".encode()).digest()
        key = base64.urlsafe_b64encode(digest)
    return Fernet(key)


def encrypt(value):
    return _fernet().encrypt(value.encode()).decode() if value else ""


def decrypt(token):
    """The clear text, or "" when the token is empty or was made with another key."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        return ""


def masked(url):
    """What a page may show of a secret URL: its scheme and host, nothing of the path."""
    if not url:
        return ""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/…"


def scrub(text, *secrets):
    """``text`` without any of ``secrets`` nor their paths (a URL's token is in its path)."""
    text = str(text)
    for secret in secrets:
        if not secret:
            continue
        parts = urlsplit(secret)
        for piece in (secret, parts.path, parts.query):
            if piece and len(piece) > 3:
                text = text.replace(piece, "[secret]")
    return text
