"""Checking and writing the rows of an import (called by the services for small files and by
the Celery tasks for large ones)."""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connections, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from imports.cells import ChoiceLabels
from imports.choices import ImportStatus, RowOutcome
from imports.kinds import kind_for
from imports.models import ImportJob
from portal.choices import AuditAction
from portal.exceptions import RuleViolation
from portal.services import audit_source, record_event
from usecases import services as usecase_services

PROGRESS_EVERY = 200


def _language(job):
    return job.counts.get("language") or settings.LANGUAGE_CODE


def plans(job, progress=None):
    """The plan of every row of ``job``, against the database as it is now."""
    kind = kind_for(job.kind)
    labels = ChoiceLabels()
    rows = job.data["rows"]
    context = kind.prepare(job.user, rows, labels)
    context.present = frozenset(job.data.get("present", ()))
    result = []
    for index, (number, texts) in enumerate(rows, start=1):
        result.append(kind.plan(context, number, texts))
        if progress is not None and index % PROGRESS_EVERY == 0:
            progress(index)
    return result


def _counts(row_plans, language):
    counts = dict.fromkeys(RowOutcome.values, 0)
    for plan in row_plans:
        counts[plan.outcome] += 1
    counts["language"] = language
    return counts


def preview(job):
    """Work out what each row would do and store it on the import (nothing else is written)."""
    language = _language(job)

    def progress(done):
        ImportJob.objects.filter(pk=job.pk).update(rows_done=done)

    with translation.override(language):
        row_plans = plans(job, progress)
    job.preview = [plan.as_json() for plan in row_plans]
    job.counts = _counts(row_plans, language)
    job.status = ImportStatus.INVALID if job.counts[RowOutcome.ERROR] else ImportStatus.READY
    job.rows_done = job.rows_total
    job.save(update_fields=["preview", "counts", "status", "rows_done"])
    return job


ALL_ROWS = "*"  # a failure when the rows are written together, at the end of the batch


class RowFailed(Exception):
    def __init__(self, row, message):
        self.row, self.message = row, message
        super().__init__(message)


def _progress_writer(job):
    """Progress of a running import, written where a reader outside its transaction sees it: through a
    second connection on PostgreSQL; on SQLite (one writer at a time) not until the import ends.
    Only for the worker: a request that confirms holds the import's row locked meanwhile."""
    if connections["default"].vendor != "postgresql":
        return None
    side = connections.create_connection("default")
    with side.cursor() as cursor:  # never wait for a lock: progress is not worth blocking the import
        cursor.execute("SET lock_timeout = 1000")

    def progress(done):
        try:
            with side.cursor() as cursor:
                cursor.execute("UPDATE imports_importjob SET rows_done = %s WHERE id = %s", [done, job.pk])
        except DatabaseError:  # progress is a courtesy: never the reason an import fails
            pass

    progress.close = side.close
    return progress


def write(job, *, report_progress=False):
    """Apply every row of ``job`` in one transaction; any failure undoes all of them. With
    ``report_progress`` (the worker), the rows done are written as it goes (on PostgreSQL)."""
    language = _language(job)
    user = job.user
    progress = _progress_writer(job) if report_progress else None
    try:
        with translation.override(language), audit_source(**{"import": job.pk}), transaction.atomic():
            row_plans = plans(job)
            if any(plan.outcome == RowOutcome.ERROR for plan in row_plans):
                raise RowFailed(None, _("The records changed since the check; see the rows with errors."))
            _apply(user, row_plans, progress)
            counts = _counts(row_plans, language)
            job.preview = [plan.as_json() for plan in row_plans]
            job.counts = counts
            job.status = ImportStatus.DONE
            job.rows_done = job.rows_total
            job.finished_at = timezone.now()
            job.save(update_fields=["preview", "counts", "status", "rows_done", "finished_at"])
            record_event(job, AuditAction.IMPORT, user, data={k: v for k, v in counts.items() if k != "language"})
    except RowFailed as failure:
        with translation.override(language):
            if failure.row is None:
                job.status = ImportStatus.INVALID
                with transaction.atomic():
                    fresh = plans(job)
                job.preview = [plan.as_json() for plan in fresh]
                job.counts = _counts(fresh, language)
                job.error = str(failure.message)[:1000]
            elif failure.row == ALL_ROWS:
                job.status = ImportStatus.FAILED
                job.error = (_("%(message)s Nothing was imported.") % {"message": failure.message})[:1000]
            else:
                job.status = ImportStatus.FAILED
                job.error = (
                    _("Row %(row)s: %(message)s Nothing was imported.")
                    % {"row": failure.row, "message": failure.message}
                )[:1000]
        job.rows_done = 0
        job.save(update_fields=["status", "preview", "counts", "error", "rows_done"])
    finally:
        if progress is not None:
            progress.close()
    return job


def _apply(user, row_plans, progress):
    """Each row through its service, in one batch: the reference codes, the children of new use
    cases, the audit events, the policy checks and the cost estimates are written once for all
    rows at the end (``usecases.services.batch``), with the same result as row by row."""
    try:
        with usecase_services.batch():
            for index, plan in enumerate(row_plans, start=1):
                if plan.action is not None:
                    function, arguments = plan.action
                    try:  # no savepoint per row: any failure ends (and rolls back) the whole import
                        function(user, *arguments)
                    except (ValidationError, RuleViolation, PermissionDenied, DatabaseError) as error:
                        raise RowFailed(plan.row, _describe(error)) from error
                if progress is not None and index % PROGRESS_EVERY == 0:
                    progress(index)
    except (ValidationError, RuleViolation, PermissionDenied, DatabaseError) as error:  # at the batch's end
        raise RowFailed(ALL_ROWS, _describe(error)) from error


def _describe(error):
    if isinstance(error, PermissionDenied):
        return str(gettext_lazy("Your role may not make this change."))
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    if isinstance(error, DatabaseError):
        return str(gettext_lazy("The database refused the row (it conflicts with a record saved meanwhile)."))
    return str(error)
