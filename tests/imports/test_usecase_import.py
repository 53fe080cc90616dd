"""Importing use cases: preview, confirm, idempotence, drafts only, department, roles, bad rows."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import translation

from imports import services
from imports.choices import ImportStatus, RowOutcome
from imports.models import ExternalKey
from portal.exceptions import Forbidden
from portal.models import AuditEvent
from tests.factories import AIModelFactory, UseCaseFactory
from tests.imports.helpers import USE_CASE_HEADER, csv_bytes, upload, use_case_row, xlsx_bytes
from usecases import services as usecase_services
from usecases.models import Kpi, UseCase, UseCaseModel, UseCaseTask

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """Messages and headers in English (the reader's language; the default is Japanese)."""
    with translation.override("en"):
        yield


def _file(*rows, header=USE_CASE_HEADER):
    return csv_bytes([header, *rows])


def counts():
    return (UseCase.objects.count(), UseCaseTask.objects.count(), Kpi.objects.count(), UseCaseModel.objects.count())


def test_preview_writes_nothing_and_confirm_creates_through_the_service(requester):
    job = upload(requester, "use_cases", _file(use_case_row("INV-1"), use_case_row("INV-2", title="FAQ回答")))
    assert job.status == ImportStatus.READY
    assert [row["outcome"] for row in job.preview] == [RowOutcome.CREATE, RowOutcome.CREATE]
    assert [row["row"] for row in job.preview] == [2, 3]
    assert UseCase.objects.count() == 0

    job = services.confirm(job, requester)

    assert job.status == ImportStatus.DONE, job.error
    use_case = UseCase.objects.get(title="FAQ回答")
    assert use_case.reference.startswith("UC-")
    assert use_case.owner == requester and use_case.department == requester.department
    assert use_case.category == "creative" and use_case.audience == "internal"
    assert use_case.monthly_requests == 1000
    assert [(t.description, t.performer) for t in use_case.tasks.all()] == [
        ("コピー案を出す", "ai"),
        ("採用案を決める", "human"),
    ]
    assert str(use_case.kpis.get().target) == "2.5000"
    assert usecase_services.missing_items(use_case) == []
    assert ExternalKey.objects.get(external_id="INV-2").object_id == use_case.pk
    # The audit events of the use cases are marked as imported, with the import's id.
    event = AuditEvent.objects.get(
        content_type=ContentType.objects.get_for_model(UseCase), object_id=str(use_case.pk), action="create"
    )
    assert event.data["source"] == {"import": job.pk}
    assert event.actor == requester
    # Findings and the risk tier came from the same change hooks as the form's.
    assert use_case.risk_tier


def test_importing_the_same_file_again_changes_nothing(requester):
    content = _file(use_case_row("INV-1"))
    services.confirm(upload(requester, "use_cases", content), requester)
    before, events = counts(), AuditEvent.objects.count()
    version = UseCase.objects.get().version

    again = upload(requester, "use_cases", content)

    assert [row["outcome"] for row in again.preview] == [RowOutcome.UNCHANGED]
    services.confirm(again, requester)
    assert counts() == before
    assert UseCase.objects.get().version == version
    assert AuditEvent.objects.count() == events + 1  # only the import's own event


def test_an_external_id_updates_a_draft_and_skips_a_submitted_use_case(requester):
    services.confirm(upload(requester, "use_cases", _file(use_case_row("A"), use_case_row("B"))), requester)
    submitted = UseCase.objects.get(pk=ExternalKey.objects.get(external_id="B").object_id)
    usecase_services.submit(submitted, requester)

    job = upload(
        requester,
        "use_cases",
        _file(use_case_row("A", title="新しい題名", **{"KPI 1 target": "3"}), use_case_row("B", title="変更")),
    )

    assert [row["outcome"] for row in job.preview] == [RowOutcome.UPDATE, RowOutcome.SKIP]
    assert "no longer a draft" in job.preview[1]["reason"]
    services.confirm(job, requester)
    draft = UseCase.objects.get(pk=ExternalKey.objects.get(external_id="A").object_id)
    assert draft.title == "新しい題名" and str(draft.kpis.get().target) == "3.0000"
    assert draft.version == 2
    submitted.refresh_from_db()
    assert submitted.title != "変更"


def test_shift_jis_and_japanese_headers_and_labels(requester):
    header = ["外部ID", "タイトル", "カテゴリ", "利用対象", "タスク1", "タスク1の担当"]
    content = csv_bytes(
        [header, ["J-1", "議事録の要約", "その他", "社内向け", "要約する", "AIに任せられる"]], encoding="cp932"
    )
    job = upload(requester, "use_cases", content)
    assert job.status == ImportStatus.READY, job.preview
    services.confirm(job, requester)
    use_case = UseCase.objects.get()
    assert use_case.title == "議事録の要約" and use_case.category == "other"


def test_xlsx_and_utf8_with_bom(requester):
    rows = [USE_CASE_HEADER, use_case_row("X-1")]
    assert upload(requester, "use_cases", xlsx_bytes(rows), "inventory.xlsx").status == ImportStatus.READY
    assert upload(requester, "use_cases", csv_bytes(rows, bom=True)).status == ImportStatus.READY


def test_a_model_is_named_by_publisher_and_name(requester):
    model = AIModelFactory(name="gpt-x", version="1")
    header = [*USE_CASE_HEADER, "Model 1", "Model 1 deployment"]
    content = csv_bytes([header, [*use_case_row("M-1"), f"{model.publisher.name} / gpt-x 1", "closed_api"]])
    services.confirm(upload(requester, "use_cases", content), requester)
    assert UseCaseModel.objects.get().ai_model == model


def test_every_kind_of_bad_row_is_shown_at_its_row_and_column_and_nothing_is_written(requester, other_requester):
    UseCaseFactory(owner=other_requester)
    before = counts()
    header = [*USE_CASE_HEADER, "Department"]
    content = csv_bytes(
        [
            header,
            [*use_case_row("OK-1"), ""],
            [*use_case_row("BAD-1", Category="Astrology"), ""],
            [*use_case_row("BAD-2", Title=""), ""],
            [*use_case_row("OK-1", title="重複"), ""],
            [*use_case_row("BAD-3", Summary='=HYPERLINK("http://evil")'), ""],
            [*use_case_row("BAD-4"), "営業部"],
            [*use_case_row("BAD-5", **{"Requests a month": "many"}), ""],
        ]
    )
    job = upload(requester, "use_cases", content)

    assert job.status == ImportStatus.INVALID
    errors = {row["row"]: row["errors"] for row in job.preview}
    assert errors[2] == []
    assert errors[3][0]["column"] == "category"
    assert "“Astrology” is not one of the allowed values: Creative production (creative)" in errors[3][0]["message"]
    assert errors[4] == [{"column": "title", "message": "Required: fill in “Title”."}]
    assert errors[5] == [{"column": "external_id", "message": "The external id “OK-1” is already used on row 2."}]
    assert errors[6][0]["column"] == "summary"
    assert "looks like a spreadsheet formula and is refused" in errors[6][0]["message"]
    assert errors[7][0]["column"] == "department"
    assert "your own department only" in errors[7][0]["message"]
    assert errors[8] == [{"column": "monthly_requests", "message": "“many” is not a number."}]
    with pytest.raises(services.Conflict):
        services.confirm(job, requester)
    assert counts() == before


def test_an_apostrophe_imports_formula_looking_text_as_text(requester):
    job = upload(requester, "use_cases", _file(use_case_row("F-1", Summary="'=1+1 is text")))
    services.confirm(job, requester)
    assert UseCase.objects.get().summary == "=1+1 is text"


def test_missing_required_column_and_unknown_column_name_the_column(requester):
    with pytest.raises(services.HeaderProblems) as refused:
        upload(requester, "use_cases", csv_bytes([["Title", "Colour"], ["x", "y"]]))
    assert refused.value.messages == [
        "Column B, “Colour”, is not a column of this template.",
        "The required column “External ID” is missing.",
    ]


def test_roles(requester, reviewer, executive, admin_user, marketing):
    with pytest.raises(Forbidden):
        upload(reviewer, "use_cases", _file(use_case_row("R-1")))
    with pytest.raises(Forbidden):
        upload(executive, "use_cases", _file(use_case_row("R-1")))
    with pytest.raises(Forbidden):
        upload(requester, "vendors", csv_bytes([["Name", "Kind"], ["A", "closed_api"]]))
    # A governance admin imports for any department.
    header = [*USE_CASE_HEADER, "Department"]
    job = upload(admin_user, "use_cases", csv_bytes([header, [*use_case_row("ADM-1"), "Marketing"]]))
    services.confirm(job, admin_user)
    assert UseCase.objects.get().department == marketing


def test_another_persons_draft_is_skipped(requester, marketing):
    from portal.roles import Role
    from tests.factories import UserFactory

    colleague = UserFactory(department=marketing, role=Role.REQUESTER)
    services.confirm(upload(colleague, "use_cases", _file(use_case_row("C-1"))), colleague)
    job = upload(requester, "use_cases", _file(use_case_row("C-1", title="横取り")))
    assert job.preview[0]["outcome"] == RowOutcome.SKIP
    assert "only its owner" in job.preview[0]["reason"]


def test_the_preview_looks_things_up_once_not_per_row(requester, django_assert_max_num_queries):
    """Departments, models and existing use cases are read once per import, whatever the row count."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    model = AIModelFactory(name="lookup-model")
    header = [*USE_CASE_HEADER, "Model 1", "Model 1 deployment", "Department"]

    def rows(count):
        return csv_bytes(
            [
                header,
                *[
                    [*use_case_row(f"Q-{n}"), f"{model.publisher.name} / lookup-model", "closed_api", "Marketing"]
                    for n in range(count)
                ],
            ]
        )

    with CaptureQueriesContext(connection) as few:
        upload(requester, "use_cases", rows(3))
    with django_assert_max_num_queries(len(few.captured_queries)):
        job = upload(requester, "use_cases", rows(60))
    assert job.counts["create"] == 60
