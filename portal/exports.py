"""Tables as CSV (streamed, constant memory) or Excel (xlsx, written row by row in openpyxl's
write-only mode to a temporary file). Text cells that a spreadsheet would run as a formula
are neutralised in both.

Each export is one ``TableExport`` (its file name, header and rows), served by its page and by
its API operation alike; the page or the API view only filters, scopes and checks the role.
"""

import csv
import numbers
import tempfile

from django.http import FileResponse, Http404, StreamingHttpResponse
from django.utils import timezone, translation
from openpyxl import Workbook

FORMATS = ("csv", "xlsx")
CSV_TYPE = "text/csv"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA_TYPES = {"csv": CSV_TYPE, "xlsx": XLSX_TYPE}


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


def _cells(rows, language):
    """The rows' cells, each row made in ``language``: a streamed CSV is written after the view
    has returned, when the request's language (or the one an API client asked for) is no longer
    active, and labels (choices, departments, countries) are read as the row is made."""
    rows, end = iter(rows), object()
    while True:
        with translation.override(language):
            row = next(rows, end)
            if row is end:
                return
            cells = [safe_cell(value) for value in row]
        yield cells


def table_response(name, header, rows, fmt):
    """``rows``: an iterable of sequences (a generator over ``iterator()`` keeps memory flat),
    written in the language active now."""
    if fmt not in FORMATS:
        raise Http404
    header = [str(label) for label in header]
    cells = _cells(rows, translation.get_language())
    if fmt == "csv":
        writer = csv.writer(_Echo())

        def lines():
            yield "\ufeff"  # so spreadsheet programs open Japanese text as UTF-8
            yield writer.writerow(header)
            for row in cells:
                yield writer.writerow(row)

        response = StreamingHttpResponse(lines(), content_type=f"{CSV_TYPE}; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{_filename(name, fmt)}"'
        return response
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=name[:31])
    sheet.append(header)
    for row in cells:
        sheet.append(row)
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it once sent
    workbook.save(spool)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=_filename(name, fmt), content_type=XLSX_TYPE)


class TableExport:
    """One export: the file's name, its header (lazy labels, read in the reader's language) and
    ``rows(source)``, the rows of a filtered source (a queryset, or a filterset for tables of
    figures). ``formats``: what the page and the API offer."""

    def __init__(self, name, header, rows, formats=FORMATS):
        self.name, self.header, self.rows, self.formats = name, tuple(header), rows, tuple(formats)

    def response(self, source, fmt):
        if fmt not in self.formats:
            raise Http404
        return table_response(self.name, self.header, self.rows(source), fmt)


def each(row, chunk_size=500):
    """``rows`` for a TableExport over a queryset: ``row(item)`` per item, read in chunks."""
    return lambda queryset: (row(item) for item in queryset.iterator(chunk_size=chunk_size))
