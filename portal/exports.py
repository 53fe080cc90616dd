"""Tables as CSV (streamed, constant memory) or Excel (xlsx, written row by row to a temporary
file by openpyxl's write-only mode, which uses lxml: about 11 CPU s for 100,000 rows of 17 cells,
where openpyxl alone, on ElementTree, took 26 s). Text cells that a spreadsheet would run as a
formula are neutralised in both.

Each export is one ``TableExport`` (its file name, header and rows), served by its page and by
its API operation alike; the page or the API view only filters, scopes and checks the role.

Rows of a queryset are read with ``streamed()``: one cursor read by chunks inside a transaction
of its own, so PostgreSQL streams them (outside a transaction Django declares the cursor
``WITH HOLD``, and PostgreSQL then materialises the whole result before the first row). Labels
of choices are looked up in dictionaries built once per export (``labels()``), not through
``get_FOO_display`` per cell.
"""

import contextlib
import csv
import itertools
import numbers
import tempfile

from django.db import transaction
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.utils import timezone, translation
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE

FORMATS = ("csv", "xlsx")
CSV_TYPE = "text/csv"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA_TYPES = {"csv": CSV_TYPE, "xlsx": XLSX_TYPE}


class _Echo:
    def write(self, value):
        return value


FORMULA_STARTS = frozenset(("=", "+", "-", "@", "\t", "\r"))


def safe_cell(value):
    """Neutralise spreadsheet formulas in user-entered text (CSV/Excel injection)."""
    if value is None:
        return ""
    if type(value) is str:  # the common case first: this runs for every cell
        text = value
    elif isinstance(value, numbers.Number):  # numbers stay numbers (a negative ROI is not a formula)
        return value
    else:
        text = str(value)
    if text[:1] in FORMULA_STARTS:
        return "'" + text
    return text


def _filename(name, fmt):
    return f"{name}-{timezone.localtime():%Y%m%d-%H%M}.{fmt}"


BATCH = 500  # rows made under one language override


def _cells(rows, language):
    """The rows' cells, made in ``language``: a streamed CSV is written after the view has
    returned, when the request's language (or the one an API client asked for) is no longer
    active, and labels (choices, departments, countries) are read as the rows are made. The
    override never spans a ``yield``, so the server's thread gets its language back between
    rows; rows are made a batch at a time under one override (it costs two activations)."""
    rows = iter(rows)
    try:
        while True:
            with translation.override(language):
                batch = [[safe_cell(value) for value in row] for row in itertools.islice(rows, BATCH)]
            if not batch:
                return
            yield from batch
    finally:
        # A download cut short closes the rows now, ending their transaction (streamed()).
        close = getattr(rows, "close", None)
        if close is not None:
            close()


def write_workbook(file, title, rows):
    """Write a one-sheet workbook, ``title``, of ``rows`` (text and numbers) into ``file``, a row
    at a time (openpyxl's write-only sheet goes through a temporary file: memory stays flat)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(ILLEGAL_CHARACTERS_RE.sub("", title))

    def text(value):
        # Control characters XML cannot carry would make openpyxl raise (a 500): dropped.
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value in ERROR_CODES:  # "#N/A" typed by someone is text, not an error cell
            cell = WriteOnlyCell(sheet, value)
            cell.data_type = "s"
            return cell
        return value

    for row in rows:
        sheet.append([text(value) if type(value) is str else value for value in row])
    workbook.save(file)


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
            try:
                yield "\ufeff".encode()  # so spreadsheet programs open Japanese text as UTF-8
                yield writer.writerow(header).encode()
                for row in cells:
                    # Bytes: the response passes them through instead of encoding each line itself.
                    yield writer.writerow(row).encode()
            finally:
                cells.close()

        response = StreamingHttpResponse(lines(), content_type=f"{CSV_TYPE}; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{_filename(name, fmt)}"'
        return response
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it once sent
    write_workbook(spool, name[:31], itertools.chain([header], cells))
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


CHUNK = 2000  # rows fetched from the cursor at a time


def streamed(queryset, chunk_size=None):
    """The queryset's results (instances, or ``values_list`` tuples) through one cursor read by
    chunks, inside a transaction (a savepoint within one): on PostgreSQL a plain server-side
    cursor, not one declared ``WITH HOLD``. The transaction ends with the last row, or is rolled
    back when the response is closed early (a client gone mid-download)."""
    with transaction.atomic(using=queryset.db):
        yield from queryset.iterator(chunk_size=chunk_size or CHUNK)


def each(row, chunk_size=500):
    """``rows`` for a TableExport over a queryset: ``row(item)`` per item, read in chunks."""

    def rows(queryset):
        with contextlib.closing(streamed(queryset, chunk_size)) as items:
            for item in items:
                yield row(item)

    return rows


def labels(choices):
    """{value: label} of ``choices`` (pairs, or a field's ``flatchoices``) as text in the active
    language: built once per export, where ``get_FOO_display`` rebuilds its dictionary and
    translates its label on every call."""
    return {value: str(label) for value, label in choices}
