from django.utils.translation import gettext_lazy as _

from imports.choices import ImportKind, ImportStatus, RowOutcome
from imports.models import ImportJob
from portal.api import strict as serializers


class UploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ImportKind.choices, help_text=_("What the file holds."))
    file = serializers.FileField(help_text=_("An XLSX workbook (first sheet) or a CSV file in UTF-8 or Shift_JIS."))


class UploadJsonSerializer(serializers.Serializer):
    """The same upload as JSON: the file's bytes in base64 (for files up to about 1.8 MB: a JSON
    body is limited to 2.5 MB; larger files go as multipart)."""

    kind = serializers.ChoiceField(choices=ImportKind.choices, help_text=_("What the file holds."))
    file_name = serializers.CharField(max_length=255, help_text=_("The file's name, e.g. inventory.xlsx."))
    content = serializers.CharField(
        max_length=4 * 1024 * 1024, help_text=_("The file's bytes, base64-encoded."), trim_whitespace=False
    )


class ConfirmSerializer(serializers.Serializer):
    """Confirming takes no fields."""


class CellErrorSerializer(serializers.Serializer):
    column = serializers.CharField(help_text=_("The column's key (see the template), empty for the whole row."))
    header = serializers.CharField(help_text=_("The column's header in the request's language."))
    message = serializers.CharField()


class RowSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text=_("The row number in the file (1 is the first row)."))
    key = serializers.CharField(help_text=_("What identifies the record (external id, name)."))
    outcome = serializers.ChoiceField(choices=RowOutcome.choices)
    reason = serializers.CharField(help_text=_("Why the row is skipped or unchanged; the reference of an update."))
    errors = CellErrorSerializer(many=True)


class CountsSerializer(serializers.Serializer):
    create = serializers.IntegerField()
    update = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    skip = serializers.IntegerField()
    error = serializers.IntegerField()


class ImportJobSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=ImportStatus.choices, read_only=True)
    kind = serializers.ChoiceField(choices=ImportKind.choices, read_only=True)
    counts = serializers.SerializerMethodField()
    percent = serializers.IntegerField(read_only=True, help_text=_("Progress of the check or the import."))

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "kind",
            "file_name",
            "status",
            "rows_total",
            "rows_done",
            "percent",
            "counts",
            "error",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_counts(self, job) -> CountsSerializer:
        return {outcome: job.counts.get(outcome, 0) for outcome in RowOutcome.values}


class ImportJobDetailSerializer(ImportJobSerializer):
    rows = serializers.SerializerMethodField()

    class Meta(ImportJobSerializer.Meta):
        fields = [*ImportJobSerializer.Meta.fields, "rows"]
        read_only_fields = fields

    def get_rows(self, job) -> RowSerializer(many=True):
        headers = self.context.get("headers", {})
        return [
            {
                **row,
                "errors": [{**error, "header": headers.get(error["column"], "")} for error in row["errors"]],
            }
            for row in job.preview
        ]
