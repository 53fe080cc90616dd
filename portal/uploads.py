"""The one check every uploaded file passes (vendor evidence, training certificates, ...).

A file is judged by its content, not its name: an executable renamed ``cert.pdf`` is
refused. Each allowed type has a test of its first bytes or structure:

- PDF, PNG, JPEG: the format's signature;
- Word, Excel, PowerPoint (OOXML): a ZIP archive holding ``[Content_Types].xml`` and the
  part folder of that application (``word/``, ``xl/``, ``ppt/``), so a renamed archive or
  program is refused;
- text and CSV: no NUL or control bytes, and readable as UTF-8, UTF-16 (with a byte-order
  mark) or Shift_JIS (cp932, what Japanese Excel writes).
"""

import codecs
import zipfile
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

UPLOAD_EXTENSIONS = frozenset({".pdf", ".png", ".jpg", ".jpeg", ".txt", ".csv", ".xlsx", ".docx", ".pptx"})
SIGNATURES = {
    ".pdf": b"%PDF-",
    ".png": b"\x89PNG\r\n\x1a\n",
    ".jpg": b"\xff\xd8\xff",
    ".jpeg": b"\xff\xd8\xff",
}
OOXML_FOLDERS = {".docx": "word/", ".xlsx": "xl/", ".pptx": "ppt/"}
TEXT_EXTENSIONS = frozenset({".txt", ".csv"})
# Enough of a text file to tell text from a binary, without reading 10 MB into memory.
TEXT_SAMPLE_BYTES = 1024 * 1024
# Control bytes a text file may hold: tab, line feed, form feed, carriage return.
_TEXT_CONTROLS = frozenset(b"\t\n\x0c\r")
_BINARY_BYTES = frozenset(range(32)) - _TEXT_CONTROLS | {0x7F}


def _signature_matches(upload, suffix):
    return upload.read(len(SIGNATURES[suffix])) == SIGNATURES[suffix]


def _is_ooxml(upload, suffix):
    try:
        with zipfile.ZipFile(upload) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return False
    folder = OOXML_FOLDERS[suffix]
    return "[Content_Types].xml" in names and any(name.startswith(folder) for name in names)


def _decodes(sample, encoding):
    try:
        # Not final: the sample may end inside a multi-byte character.
        codecs.getincrementaldecoder(encoding)(errors="strict").decode(sample, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _is_text(upload):
    sample = upload.read(TEXT_SAMPLE_BYTES)
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decodes(sample, "utf-16") and "\x00" not in sample.decode("utf-16", errors="ignore")
    if _BINARY_BYTES.intersection(sample):
        return False
    return _decodes(sample, "utf-8-sig") or _decodes(sample, "cp932")


def _content_matches(upload, suffix):
    upload.seek(0)
    try:
        if suffix in SIGNATURES:
            return _signature_matches(upload, suffix)
        if suffix in OOXML_FOLDERS:
            return _is_ooxml(upload, suffix)
        return _is_text(upload)
    finally:
        upload.seek(0)


def check_upload(upload, *, extensions=UPLOAD_EXTENSIONS, max_bytes=None):
    """Refuse ``upload`` (ValidationError, a message for the reader) unless its name has one of
    ``extensions`` and its content is of that type, non-empty and at most ``max_bytes``
    (EVIDENCE_MAX_MB by default)."""
    max_bytes = settings.EVIDENCE_MAX_BYTES if max_bytes is None else max_bytes
    suffix = Path(upload.name or "").suffix.lower()
    allowed = sorted(extension for extension in extensions if extension in UPLOAD_EXTENSIONS)
    if suffix not in allowed:
        raise ValidationError(
            _("Upload a PDF, image, text, CSV or Office file (%(allowed)s).") % {"allowed": ", ".join(allowed)},
            code="extension",
        )
    if upload.size > max_bytes:
        raise ValidationError(
            _("The file is larger than %(limit)s MB.") % {"limit": max_bytes // (1024 * 1024)}, code="size"
        )
    if upload.size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    if not _content_matches(upload, suffix):
        raise ValidationError(_("The file's content does not match its extension."), code="content")
