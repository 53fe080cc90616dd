from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from imports.choices import ImportKind, ImportStatus
from imports.querysets import ImportJobQuerySet
from portal.constraints import in_choices


class ImportJob(models.Model):
    """One uploaded file: its rows as read, the preview of what each row would do, and the
    outcome once confirmed. The uploaded bytes are not kept, only the cells read from them."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ImportKind.choices)
    file_name = models.CharField(_("file name"), max_length=255)
    status = models.CharField(_("status"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.CHECKING)
    # {"header": [...], "rows": [[row number, {column key: text}], ...]}: the cells as read.
    data = models.JSONField(default=dict, editable=False)
    # [{"row": n, "key": "...", "outcome": "...", "reason": "...", "errors": [{"column": "...", "message": "..."}]}]
    preview = models.JSONField(default=list, editable=False)
    counts = models.JSONField(default=dict, editable=False)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows processed"), default=0)
    error = models.CharField(_("error"), max_length=1000, blank=True, default="")
    created_at = models.DateTimeField(_("uploaded on"), auto_now_add=True)
    finished_at = models.DateTimeField(_("imported on"), null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        constraints = [
            models.CheckConstraint(condition=in_choices("kind", ImportKind), name="imports_importjob_kind_valid"),
            models.CheckConstraint(condition=in_choices("status", ImportStatus), name="imports_importjob_status_valid"),
            models.CheckConstraint(
                condition=models.Q(rows_done__lte=models.F("rows_total")), name="imports_importjob_progress_range"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.file_name}"

    def get_absolute_url(self):
        return reverse("imports:detail", kwargs={"pk": self.pk})

    @property
    def percent(self):
        return round(100 * self.rows_done / self.rows_total) if self.rows_total else 0


class ExternalKey(models.Model):
    """The id a row of an imported file gave a record (use cases: the spreadsheet's own id),
    so that importing the file again finds the record instead of creating another."""

    kind = models.CharField(_("kind"), max_length=20, choices=ImportKind.choices)
    external_id = models.CharField(_("external id"), max_length=100)
    object_id = models.PositiveBigIntegerField(_("record"))
    created_at = models.DateTimeField(_("created on"), auto_now_add=True)

    class Meta:
        verbose_name = _("external id")
        verbose_name_plural = _("external ids")
        constraints = [
            models.UniqueConstraint(fields=["kind", "external_id"], name="imports_externalkey_unique_id"),
            models.UniqueConstraint(fields=["kind", "object_id"], name="imports_externalkey_one_per_record"),
            models.CheckConstraint(condition=in_choices("kind", ImportKind), name="imports_externalkey_kind_valid"),
        ]

    def __str__(self):
        return self.external_id
