"""Work comes to people, in a real browser, in Japanese and in English (issue 18).

A marketer's use case is submitted. The IT reviewer finds it first in "My tasks" on arrival,
follows it to the decision panel at the top of the page and requests changes. The marketer,
without any e-mail, sees "changes requested" with the reviewer's comment on the home page
and a notification in the navigation, fixes the use case, answers in the conversation and
resubmits. The reviewer finds it first in My tasks again and approves it from the top of
the page; the marketer is told.

Every click of each person after signing in is counted and printed (the figures in the
note). Everything the browser reports as broken fails the test; a Japanese page may show no
English text the catalogue translates. Screenshots: ``test-artifacts/journeys/work-<lang>-*.png``.
"""

import contextlib
from collections import Counter
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from governance.choices import StageStatus
from governance.models import ApprovalStage, Notification, Reminder
from tests.browser import LOCALES, Watch, english_fragments, log_in_as, untranslated_on
from tests.conftest import CHROMIUM_ARGS
from tests.factories import UseCaseFactory
from usecases import services as usecase_services
from usecases.choices import UseCaseStatus
from usecases.models import UseCase

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "journeys"

TEXT = {
    "ja": {
        "title": "問い合わせ返信文の下書き",
        "request": "KPIの目標値の根拠を概要に書いてください。",
        "fix": "問い合わせ返信の下書きをAIが作り、担当者が確認して送る。目標値は昨年度の平均返信時間から決めた。",
        "answer": "概要に目標値の根拠を追記しました。ご確認ください。",
    },
    "en": {
        "title": "Drafting replies to customer enquiries",
        "request": "Please explain in the summary where the KPI target comes from.",
        "fix": "AI drafts replies to enquiries; staff check and send them. The target is last year's reply time.",
        "answer": "I added where the target comes from to the summary. Please have another look.",
    },
}


class Clicks(Counter):
    """Clicks and choices each person makes after signing in."""

    def click(self, page, who, selector):
        self[who] += 1
        page.click(selector)

    def check(self, page, who, selector):
        self[who] += 1
        page.check(selector)


def _submitted(requester, language):
    use_case = UseCaseFactory(owner=requester, complete=True, title=TEXT[language]["title"])
    return usecase_services.submit(use_case, requester)


def _visible_without_scrolling(page, selector):
    box = page.locator(selector).bounding_box()
    return box is not None and box["y"] < page.viewport_size["height"]


def _decide(page, clicks, who, decision, comment=""):
    """From the home page: the first task is the stage; its link lands on the decision panel."""
    rows = page.locator("#task-list tr.task")
    expect(rows.first).to_have_attribute("data-kind", "stage_decision")
    clicks.click(page, who, "#task-list tr.task >> nth=0 >> a.task-link")
    expect(page.locator("#decide-form")).to_be_visible()
    # The panel is at the top: no scrolling to reach the decision.
    page.evaluate("window.scrollTo(0, 0)")
    assert _visible_without_scrolling(page, "#decide-button"), "the decision button is below the first screen"
    clicks.check(page, who, f"#decide-form input[name=stage-decision][value={decision}]")
    if comment:
        page.fill("#decide-form textarea[name=stage-comment]", comment)
    with page.expect_navigation():
        clicks.click(page, who, "#decide-button")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_reviewer_and_the_requester_find_their_work_on_arrival(
    live_server, chromium_path, requester, reviewer, four_eyes_off, settings
):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    fragments = english_fragments("ja")
    watch = Watch()
    clicks = Clicks()
    use_cases = {language: _submitted(requester, language) for language in LOCALES}
    for use_case in use_cases.values():
        assert use_case.status in (UseCaseStatus.SUBMITTED, UseCaseStatus.IN_REVIEW)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        try:
            for language, locale in LOCALES.items():
                text = TEXT[language]
                use_case = use_cases[language]
                reviewer_page = watch.new_page(browser, f"reviewer-{language}", locale)
                requester_page = watch.new_page(browser, f"requester-{language}", locale)
                current = reviewer_page
                try:
                    # 1. The reviewer: the use case is the first task on arrival.
                    log_in_as(reviewer_page, live_server.url, "reviewer")
                    expect(reviewer_page.locator("#task-list tr.task").first).to_contain_text(use_case.reference)
                    reviewer_page.screenshot(path=str(ARTIFACTS / f"work-{language}-1-reviewer-home.png"))
                    _decide(reviewer_page, clicks, f"reviewer-{language}", "request_changes", text["request"])
                    if language == "ja":
                        assert untranslated_on(reviewer_page, fragments) == []

                    # 2. The requester: no e-mail needed; home says what to do and why.
                    current = requester_page
                    log_in_as(requester_page, live_server.url, "requester")
                    expect(requester_page.locator("#unread-count")).to_be_visible()
                    task = requester_page.locator("#task-list tr.task[data-kind=changes_requested]")
                    expect(task).to_have_count(1)
                    expect(task).to_contain_text(use_case.reference)
                    expect(task).to_contain_text(text["request"])  # the reviewer's comment, on arrival
                    if language == "ja":
                        assert untranslated_on(requester_page, fragments) == []
                    requester_page.screenshot(path=str(ARTIFACTS / f"work-{language}-2-requester-home.png"))
                    who = f"requester-{language}"
                    clicks.click(requester_page, who, "#task-list tr.task[data-kind=changes_requested] a.task-link")
                    requester_page.fill("#id_summary", text["fix"])
                    with requester_page.expect_navigation():
                        clicks.click(requester_page, who, "#save-draft")
                    # The reviewer's request is in the conversation; the answer goes beside it.
                    expect(requester_page.locator("#thread .thread-decision")).to_contain_text(text["request"])
                    requester_page.fill("#comment-form textarea[name=body]", text["answer"])
                    with requester_page.expect_navigation():
                        clicks.click(requester_page, who, "#comment-form button[type=submit]")
                    expect(requester_page.locator("#thread .thread-comment")).to_contain_text(text["answer"])
                    with requester_page.expect_navigation():
                        clicks.click(requester_page, who, "#submit-button")
                    requester_page.screenshot(path=str(ARTIFACTS / f"work-{language}-3-resubmitted.png"))

                    # 3. The reviewer: first in My tasks again, approved from the top of the page.
                    current = reviewer_page
                    reviewer_page.goto(f"{live_server.url}/")
                    expect(reviewer_page.locator("#task-list tr.task").first).to_contain_text(use_case.reference)
                    _decide(reviewer_page, clicks, f"reviewer-{language}", "approve")
                    reviewer_page.screenshot(path=str(ARTIFACTS / f"work-{language}-4-approved.png"))
                except Exception:
                    with contextlib.suppress(Exception):
                        current.screenshot(path=str(ARTIFACTS / f"work-{language}-failure.png"), full_page=True)
                    raise
                finally:
                    reviewer_page.context.close()
                    requester_page.context.close()
        finally:
            browser.close()
    assert watch.problems == []

    for language, use_case in use_cases.items():
        use_case = UseCase.objects.get(pk=use_case.pk)
        assert use_case.status == UseCaseStatus.APPROVED, language
        assert use_case.summary == TEXT[language]["fix"]
        stage = ApprovalStage.objects.filter(use_case=use_case).order_by("-pk").first()
        assert stage.status == StageStatus.APPROVED and stage.decided_by == reviewer
        # The requester heard of the request for changes and of the approval, once each, in the app.
        told = Reminder.objects.filter(recipient=requester, object_id=use_case.pk).exclude(channel="chat")
        events = Counter(told.filter(channel="in_app").values_list("event", flat=True))
        assert events["usecase.changes_requested"] == 1 and events["usecase.approved"] == 1, events
        # The reviewer was told of both submissions (the first and the resubmission), once each.
        submitted = Reminder.objects.filter(recipient=reviewer, object_id=use_case.pk, event="usecase.submitted")
        assert submitted.filter(channel="in_app").count() == 2
    assert Notification.objects.filter(user=requester).count() >= 4

    # Clicks after signing in, per person and language: printed for the note.
    print("\nclicks after sign-in:", dict(sorted(clicks.items())))
    for language in LOCALES:
        assert clicks[f"reviewer-{language}"] == 6  # twice: the task, the decision, the button
        assert clicks[f"requester-{language}"] == 4  # the task, save, answer, resubmit
