"""Tables as CSV (streamed, constant memory) or Excel (xlsx, written row by row in openpyxl's
write-only mode to a temporary file). Text cells that a spreadsheet would run as a formula
are neutralised in both."""

import csv
import numbers
import tempfile

from django.http import FileResponse, Http404, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook

FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class _Echo:
    def write(self, value):
        return value


def safe_cell(value):
    """Neutralise spreadsheet formulas in user-entered text (CSV/Excel injection)."""
    if value is None:
        return ""
    if isinstance(value, numbers.Number):  # numbers stay numbers (a negative ROI is not a formula)
        return value
    text = str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def _filename(name, fmt):
    return f"{name}-{timezone.localtime():%Y%m%d-%H%M}.{fmt}"


def table_response(name, header, rows, fmt):
    """``rows``: an iterable of sequences (a generator over ``iterator()`` keeps memory flat)."""
    if fmt not in FORMATS:
        raise Http404
    header = [str(label) for label in header]
    if fmt == "csv":
        writer = csv.writer(_Echo())

        def lines():
            yield "\ufeff"  # so spreadsheet programs open Japanese text as UTF-8
            yield writer.writerow(header)
            for row in rows:
                yield writer.writerow([safe_cell(value) for value in row])

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{_filename(name, fmt)}"'
        return response
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=name[:31])
    sheet.append(header)
    for row in rows:
        sheet.append([safe_cell(value) for value in row])
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it once sent
    workbook.save(spool)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=_filename(name, fmt), content_type=XLSX_TYPE)
