"""Large imports run here: the check (preview) and the writing, each from the import's id."""

from celery import shared_task

from imports.choices import ImportStatus
from imports.models import ImportJob
from imports.running import preview, write


@shared_task
def preview_import(job_id):
    job = ImportJob.objects.filter(pk=job_id, status=ImportStatus.CHECKING).select_related("user").first()
    if job is not None:
        preview(job)


@shared_task
def run_import(job_id):
    job = ImportJob.objects.filter(pk=job_id, status=ImportStatus.IMPORTING).select_related("user").first()
    if job is not None:
        write(job, report_progress=True)
