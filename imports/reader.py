"""Reading an uploaded spreadsheet into rows of text, refusing what is not one before it costs much.

- The size is checked before the file is read (``IMPORT_MAX_BYTES``, 10 MB by default).
- An XLSX file is a zip: its directory is read first and the file refused when the members
  would unpack to more than ``IMPORT_MAX_UNPACKED_BYTES`` or a member is packed suspiciously
  tightly (a "zip bomb"), before openpyxl opens it. Only the first sheet is read, in
  read-only mode, and at most ``IMPORT_MAX_ROWS`` rows and ``IMPORT_MAX_COLUMNS`` columns.
- A CSV file is UTF-8 (with or without the byte-order mark Excel writes) or Shift_JIS / CP932
  (what Excel in Japan writes): UTF-8 is tried first, strictly, then CP932.
- Anything else (an old .xls, a PDF, an image, text with NUL bytes) is refused with a message
  that says what to upload instead.

Cells come back as text exactly as typed (numbers without a trailing ".0", dates as ISO dates);
formulas in an XLSX come back as their text ("=SUM(A1:A3)"), which the row checks refuse.
"""

import csv
import datetime
import io
import zipfile
from decimal import Decimal

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from portal.exceptions import Invalid

XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls (and .doc)
# A member unpacking to more than this many times its packed size is refused (text XML packs
# to about a tenth; a bomb packs a thousand to one).
MAX_RATIO = 200
UTF8_BOM = b"\xef\xbb\xbf"


class FileRefused(Invalid):
    """The upload is not a spreadsheet this portal reads; nothing was read from it."""


def limits():
    return {
        "bytes": settings.IMPORT_MAX_BYTES,
        "unpacked": settings.IMPORT_MAX_UNPACKED_BYTES,
        "rows": settings.IMPORT_MAX_ROWS,
        "columns": settings.IMPORT_MAX_COLUMNS,
    }


def check_size(size):
    if size > settings.IMPORT_MAX_BYTES:
        raise FileRefused(
            _("The file is %(size)s; files up to %(limit)s are accepted. Split it and import the parts.")
            % {"size": filesizeformat(size), "limit": filesizeformat(settings.IMPORT_MAX_BYTES)}
        )


def read_rows(uploaded):
    """The rows of ``uploaded`` (a Django UploadedFile or any binary file with ``size`` and
    ``name``) as lists of text; raises ``FileRefused``."""
    check_size(uploaded.size)
    uploaded.seek(0)
    head = uploaded.read(8)
    uploaded.seek(0)
    if head.startswith(XLSX_MAGIC):
        return _xlsx_rows(uploaded)
    if head.startswith(OLE_MAGIC):
        raise FileRefused(_("This is an old Excel (.xls) file: save it as .xlsx (Excel workbook) and upload that."))
    return _csv_rows(uploaded.read(settings.IMPORT_MAX_BYTES + 1))


def _not_a_spreadsheet():
    return FileRefused(
        _("This file is not a spreadsheet the portal can read: upload an Excel workbook (.xlsx) or a CSV file.")
    )


def _check_zip(uploaded):
    try:
        archive = zipfile.ZipFile(uploaded)
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise _not_a_spreadsheet() from error
    if len(members) > 10_000:
        raise _not_a_spreadsheet()
    unpacked = sum(member.file_size for member in members)
    tight = any(
        member.file_size > 1_000_000 and member.file_size > MAX_RATIO * max(member.compress_size, 1)
        for member in members
    )
    if unpacked > settings.IMPORT_MAX_UNPACKED_BYTES:
        raise FileRefused(
            _(
                "The workbook would unpack to %(size)s, more than the %(limit)s accepted. Remove unused sheets "
                "and formatting, or save it as CSV."
            )
            % {"size": filesizeformat(unpacked), "limit": filesizeformat(settings.IMPORT_MAX_UNPACKED_BYTES)}
        )
    if tight:
        raise FileRefused(
            _(
                "The workbook is packed suspiciously tightly (it would unpack to %(size)s) and is refused as a "
                "possible zip bomb; save it as CSV and upload that."
            )
            % {"size": filesizeformat(unpacked)}
        )
    if "xl/workbook.xml" not in {member.filename for member in members}:
        raise _not_a_spreadsheet()


def _text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(Decimal(repr(value)), "f")
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value)


def _too_many_rows():
    return FileRefused(
        _("The file has more than %(rows)s rows; split it and import the parts.") % {"rows": settings.IMPORT_MAX_ROWS}
    )


def _too_many_columns():
    return FileRefused(
        _("The file has more than %(columns)s columns; only the template's columns are read.")
        % {"columns": settings.IMPORT_MAX_COLUMNS}
    )


def _xlsx_rows(uploaded):
    from openpyxl import load_workbook  # a second of import time: only when a workbook comes

    _check_zip(uploaded)
    uploaded.seek(0)
    try:
        workbook = load_workbook(uploaded, read_only=True, data_only=False)
    except Exception as error:  # noqa: BLE001 - openpyxl raises many kinds on a broken file
        raise _not_a_spreadsheet() from error
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise _not_a_spreadsheet()
        rows = []
        for values in sheet.iter_rows(values_only=True):
            if len(rows) > settings.IMPORT_MAX_ROWS:
                raise _too_many_rows()
            cells = [_text(value) for value in values]
            while cells and cells[-1] == "":
                cells.pop()
            if len(cells) > settings.IMPORT_MAX_COLUMNS:
                raise _too_many_columns()
            rows.append(cells)
    except FileRefused:
        raise
    except Exception as error:  # noqa: BLE001 - a corrupt sheet part
        raise _not_a_spreadsheet() from error
    finally:
        workbook.close()
    return rows


def decode(raw):
    """Text of a CSV file: UTF-8 (BOM or not), else Shift_JIS / CP932."""
    if raw.startswith(UTF8_BOM):
        raw = raw[len(UTF8_BOM) :]
    if b"\x00" in raw:
        raise _not_a_spreadsheet()
    for encoding in ("utf-8", "cp932"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileRefused(_("The CSV file is neither UTF-8 nor Shift_JIS; save it as “CSV UTF-8” and upload it again."))


def _csv_rows(raw):
    text = decode(raw)
    if any(ord(char) < 32 and char not in "\t\r\n" for char in text[:4096]):
        raise _not_a_spreadsheet()
    rows = []
    try:
        for cells in csv.reader(io.StringIO(text, newline="")):
            if len(rows) > settings.IMPORT_MAX_ROWS:
                raise _too_many_rows()
            if len(cells) > settings.IMPORT_MAX_COLUMNS:
                raise _too_many_columns()
            rows.append(cells)
    except csv.Error as error:
        raise FileRefused(_("The CSV file could not be read: %(error)s") % {"error": error}) from error
    return rows
