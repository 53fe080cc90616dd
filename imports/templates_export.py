"""The downloadable templates: the header of a kind in the reader's language, empty or filled
with the records the person may import again (written by the exports' own CSV/XLSX writer, which
escapes formula-looking text with an apostrophe; the import reads it back as text)."""

from imports.kinds import kind_for
from portal.exports import table_response


def template_response(kind_key, user, fmt, *, filled=False):
    kind = kind_for(kind_key)
    rows = kind.template_rows(user) if filled else iter(())
    return table_response(kind.file_name, kind.header(), rows, fmt)
