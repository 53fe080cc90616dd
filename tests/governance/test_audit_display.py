"""Audit events in the reader's language (portal.audit_display): no state codes, field
names, raw booleans, ids, group slugs or bare rule ids on the history panels and the audit
trail, and an audit filter that picks objects by name."""

import re

import lxml.html
import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser, Group
from django.urls import reverse
from django.utils import translation

from governance.audit_filters import subject_choices
from governance.models import StageDefinition
from portal.audit_display import describe
from portal.choices import AuditAction
from portal.models import AuditEvent
from portal.services import record_event
from tests.factories import DepartmentFactory, UseCaseFactory, VendorFactory

pytestmark = pytest.mark.django_db

# An internal code: lower-case words joined by underscores (``title_ja``, ``changes_requested``).
SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")


def text_of(event):
    """What a page shows of one described event, as one line of plain text."""
    parts = []
    if event.from_state or event.to_state:
        parts.append(f"{event.from_label} → {event.to_label}")
    parts += [
        f"{row['label']}: {row['value']}" + (f" ({row['secondary']})" if row["secondary"] else "")
        for row in event.detail_rows
    ]
    parts += [f"{row['field']}: {row['before']} → {row['after']}" for row in event.change_rows]
    return " | ".join(str(part) for part in parts)


@pytest.fixture
def use_case(requester):
    return UseCaseFactory(complete=True, owner=requester, title="議事録の要約")


@pytest.fixture
def it_stage(db):
    return StageDefinition.objects.get(code="it-review")


def _state(use_case, stage):
    return record_event(use_case, AuditAction.UPDATE, from_state="draft", to_state="approved")


def _bilingual(use_case, stage):
    return record_event(stage, AuditAction.UPDATE, changes={"name_ja": ["IT審査", "IT部門審査"]})


def _boolean(use_case, stage):
    return record_event(stage, AuditAction.UPDATE, changes={"is_active": [None, True]})


def _choice(use_case, stage):
    return record_event(use_case, AuditAction.UPDATE, changes={"data_classification": ["internal", "confidential"]})


def _foreign_key(use_case, stage):
    before = DepartmentFactory(name="営業部", name_en="Sales")
    after = DepartmentFactory(name="法務部", name_en="Legal")
    return record_event(use_case, AuditAction.UPDATE, changes={"department": [before.pk, after.pk]})


def _group(use_case, stage):
    Group.objects.get_or_create(name="reviewer")
    return record_event(stage, AuditAction.UPDATE, changes={"group": ["it-review", "reviewer"]})


def _rule(use_case, stage):
    return record_event(use_case, "grant_exception", data={"rule_id": "classification.prohibited", "subject": "GPT"})


def _stage_decision(use_case, stage):
    return record_event(use_case, "decide_stage", data={"stage": "it-review", "decision": "approve"})


CASES = [
    (_state, "Draft → Approved", "下書き → 承認済み"),
    (_bilingual, "Name (Japanese): IT審査 → IT部門審査", "名称（日本語）: IT審査 → IT部門審査"),
    (_boolean, "Active: — → yes", "有効: — → はい"),
    (_choice, "Input data classification: Internal → Confidential", None),
    (_foreign_key, "Department: 営業部 → 法務部", "部署: 営業部 → 法務部"),
    (_group, "Deciding group: IT review → Reviewer", "判定するグループ: IT審査 → レビュアー"),
    (
        _rule,
        "Rule: Data level not allowed for this deployment (classification.prohibited) | Subject: GPT",
        "ルール: この利用形態では使用できないデータ分類 (classification.prohibited) | 対象項目: GPT",
    ),
    (_stage_decision, "Stage: IT review | Decision: Approve", "ステージ: IT審査 | 判定: 承認"),
]


@pytest.mark.parametrize(("make", "english", "japanese"), CASES, ids=[case[0].__name__.strip("_") for case in CASES])
def test_an_event_reads_in_the_readers_language(make, english, japanese, use_case, it_stage):
    event = make(use_case, it_stage)
    with translation.override("en"):
        assert text_of(describe([AuditEvent.objects.get(pk=event.pk)])[0]) == english
    with translation.override("ja"):
        text = text_of(describe([AuditEvent.objects.get(pk=event.pk)])[0])
    if japanese is not None:
        assert text == japanese
    assert not SNAKE.search(text.replace("classification.prohibited", "")), text


def test_an_unknown_field_code_or_missing_row_is_shown_readably_not_as_a_crash(use_case):
    event = record_event(
        use_case,
        AuditAction.UPDATE,
        data={"stage": "gone-stage"},
        changes={"department": [999999, None], "odd_key": [1, 2]},
    )
    with translation.override("en"):
        (described,) = describe([event])
        assert described.detail_rows[0]["value"] == "gone-stage"
        assert [str(row["field"]) for row in described.change_rows] == ["Department", "Odd key"]
        assert described.change_rows[0]["before"] == "—"


def _events(use_case, stage, count):
    departments = [DepartmentFactory(), DepartmentFactory()]
    for index in range(count):
        record_event(
            use_case,
            AuditAction.UPDATE,
            from_state="draft",
            to_state="submitted",
            data={"stage": "it-review", "rule_id": "classification.prohibited"},
            changes={
                "department": [departments[0].pk, departments[1].pk],
                "involves_personal_data": [False, True],
                "title": [f"題名{index}", f"題名{index + 1}"],
            },
        )
        record_event(
            stage, AuditAction.UPDATE, changes={"group": ["it-review", "reviewer"], "is_active": [True, False]}
        )


def _page_queries(client, django_assert_max_num_queries, budget):
    with django_assert_max_num_queries(budget) as captured:
        response = client.get(reverse("governance:audit"))
    assert response.status_code == 200
    return len(captured), response


def test_the_audit_page_costs_the_same_queries_for_5_or_40_events(
    client, admin_user, use_case, it_stage, django_assert_max_num_queries
):
    client.force_login(admin_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    _events(use_case, it_stage, 3)  # 6 events (+ the use case's own)
    few, _response = _page_queries(client, django_assert_max_num_queries, 60)
    _events(use_case, it_stage, 20)  # 46 events, paginated at 50
    many, response = _page_queries(client, django_assert_max_num_queries, 60)
    assert many == few
    assert response.content.decode().count("IT review") >= 40


def _visible_text(response, element_id):
    return lxml.html.fromstring(response.content.decode()).get_element_by_id(element_id).text_content()


@pytest.mark.parametrize("language", ["en", "ja"])
def test_audit_page_and_history_panels_show_no_internal_codes(
    language, client, admin_user, requester, use_case, it_stage
):
    _events(use_case, it_stage, 2)
    record_event(use_case, "grant_exception", data={"rule_id": "classification.prohibited", "subject": "GPT"})
    vendor = VendorFactory(name="アクメ")
    record_event(vendor, AuditAction.UPDATE, changes={"zero_retention_available": [False, True]})
    rule_id = "classification.prohibited"  # shown on purpose, as a secondary detail

    client.force_login(admin_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    audit = client.get(reverse("governance:audit"))
    assert f'<html lang="{language}">' in audit.content.decode()
    history = client.get(use_case.get_absolute_url())
    vendor_page = client.get(reverse("vendors:detail", args=[vendor.pk]))
    for response, element_id in ((audit, "audit"), (history, "history"), (vendor_page, "history")):
        assert response.status_code == 200
        text = _visible_text(response, element_id).replace(rule_id, "")
        assert not SNAKE.search(text), (element_id, SNAKE.findall(text))
        for code in ("it-review", "True", "False", "draft"):
            assert code not in text, (element_id, code)


def test_the_audit_filter_picks_an_object_by_name(client, admin_user, use_case):
    other = UseCaseFactory(complete=True, title="別の案件")
    record_event(use_case, AuditAction.UPDATE, comment="mine")
    record_event(other, AuditAction.UPDATE, comment="theirs")
    client.force_login(admin_user)
    response = client.get(reverse("governance:audit"))
    page = lxml.html.fromstring(response.content.decode())
    options = {option.text_content(): option.get("value") for option in page.xpath("//select[@name='subject']//option")}
    assert f"{use_case.reference} 議事録の要約" in options
    assert page.xpath("//input[@name='object_id'][@type='hidden']")
    # No "---------" placeholders: each select says what choosing nothing means.
    assert "---------" not in response.content.decode()

    response = client.get(reverse("governance:audit"), {"subject": options[f"{use_case.reference} 議事録の要約"]})
    comments = [
        cell.text_content()
        for cell in lxml.html.fromstring(response.content.decode()).xpath("//table[@id='audit']/tbody/tr/td[6]")
    ]
    assert "mine" in comments and "theirs" not in comments

    # A value that is not among the choices finds nothing (and is no error page).
    response = client.get(reverse("governance:audit"), {"subject": "usecases.usecase:999999"})
    assert response.status_code == 200
    assert "mine" not in _visible_text(response, "audit")


def test_the_object_picker_lists_only_what_the_reader_may_see(requester, other_requester):
    mine = UseCaseFactory(owner=requester, title="自分の下書き")
    hidden = UseCaseFactory(owner=other_requester, title="他部署の下書き")
    values = {value for _group, options in subject_choices(requester) for value, _label in options}
    assert f"usecases.usecase:{mine.pk}" in values
    assert f"usecases.usecase:{hidden.pk}" not in values
    assert subject_choices(AnonymousUser()) == []
