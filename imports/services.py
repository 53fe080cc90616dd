"""Imports: upload (read and check the file, nothing written but the import itself), preview
(what each row would do), confirm (every row written through the services the forms use, in one
transaction: all rows or none). Files with more than ``IMPORT_BACKGROUND_ROWS`` rows are checked
and imported by a Celery task while the import's page shows the progress.

The pages and the API call these functions; the row rules are in ``imports.kinds``."""

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from imports import reader
from imports.choices import KIND_PERMISSIONS, ImportKind, ImportStatus
from imports.kinds import kind_for
from imports.models import ImportJob
from imports.running import preview, write
from imports.tasks import preview_import, run_import
from portal.exceptions import Conflict, Forbidden, Invalid, NotFound


class HeaderProblems(Invalid):
    """The header row does not name the template's columns; ``messages`` lists each problem."""

    def __init__(self, problems):
        self.problems = [str(problem) for problem in problems]
        super().__init__(" ".join(self.problems))

    @property
    def messages(self):
        return self.problems


def allowed_kinds(user):
    """The kinds ``user`` may import: requesters use cases, reviewers vendors and models, admins all."""
    if not user.is_authenticated or not user.is_active:
        return []
    return [kind for kind in ImportKind if user.has_perm(KIND_PERMISSIONS[kind])]


def may_import(user):
    return bool(allowed_kinds(user))


def check_kind(user, kind):
    if kind not in ImportKind.values:
        raise Invalid(
            _("Unknown kind “%(kind)s”; choose from %(allowed)s.")
            % {"kind": str(kind)[:40], "allowed": ", ".join(ImportKind.values)}
        )
    if kind not in allowed_kinds(user):
        raise Forbidden(_("Your role may not import %(kind)s.") % {"kind": ImportKind(kind).label})
    return kind_for(kind)


def table(kind, rows):
    """{"present": [column keys], "rows": [[row number, {key: text}], ...]} of the file's rows:
    the first non-empty row is the header; empty rows are left out."""
    header_at = next((index for index, cells in enumerate(rows) if any(cell.strip() for cell in cells)), None)
    if header_at is None:
        raise Invalid(_("The file is empty: the first row must name the columns (download the template)."))
    mapping, problems = kind.map_header(rows[header_at])
    if problems:
        raise HeaderProblems(problems)
    data_rows = []
    for index in range(header_at + 1, len(rows)):
        texts = {mapping[i]: cell for i, cell in enumerate(rows[index]) if i in mapping and cell.strip()}
        if texts:
            data_rows.append([index + 1, texts])
    if not data_rows:
        raise Invalid(_("The file has no rows under its header."))
    return {"present": sorted(mapping.values()), "rows": data_rows}


def upload(user, kind_key, uploaded):
    """Read ``uploaded`` and record an import with its preview (or start the preview in the
    background for a large file). Refuses (``Invalid``) a file that is not a spreadsheet, too
    large, or whose header does not match; nothing else is written."""
    kind = check_kind(user, kind_key)
    data = table(kind, reader.read_rows(uploaded))
    name = (getattr(uploaded, "name", "") or "import")[-255:]
    job = ImportJob.objects.create(
        user=user,
        kind=kind.key,
        file_name=name,
        data=data,
        rows_total=len(data["rows"]),
        counts={"language": translation.get_language() or settings.LANGUAGE_CODE},
    )
    if job.rows_total > settings.IMPORT_BACKGROUND_ROWS:
        transaction.on_commit(lambda: preview_import.delay(job.pk), robust=True)
    else:
        preview(job)
    return job


def get_job(user, pk):
    job = ImportJob.objects.visible_to(user).filter(pk=pk).first()
    if job is None:
        raise NotFound(_("No such import."))
    return job


def confirm(job, user):
    """Write the rows of a checked import (in the background for a large file)."""
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().filter(pk=job.pk, user=user).first()
        if locked is None:
            raise NotFound(_("No such import."))
        if locked.kind not in allowed_kinds(user):
            raise Forbidden(_("Your role may not import %(kind)s.") % {"kind": locked.get_kind_display()})
        if locked.status != ImportStatus.READY:
            raise Conflict(
                _("This import cannot be confirmed while it is “%(status)s”.") % {"status": locked.get_status_display()}
            )
        locked.status = ImportStatus.IMPORTING
        locked.rows_done = 0
        locked.save(update_fields=["status", "rows_done"])
        if locked.rows_total > settings.IMPORT_BACKGROUND_ROWS:
            transaction.on_commit(lambda: run_import.delay(locked.pk), robust=True)
            return locked
    return write(locked)
