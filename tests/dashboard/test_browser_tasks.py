"""In a real browser: a reviewer opens the home page, sees "My tasks" (the overdue stage first,
the navigation's count equal to the rows), follows the first task to the use case's decision
form. In English and in Japanese; nothing broken reported (console, CSP, failed requests).
Screenshots go to ``test-artifacts/browser/tasks-*.png``."""

import contextlib
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from dashboard.choices import TaskKind
from tests.browser import LOCALES, Watch, english_fragments, log_in_as, untranslated_on
from tests.browser import in_language as _in
from tests.conftest import CHROMIUM_ARGS
from tests.dashboard.tasks_helpers import in_review, stage

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_reviewer_follows_the_most_urgent_task_to_the_decision_form(live_server, chromium_path, reviewer, requester):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    late = stage(in_review(requester, title="Overdue stage"), due=-2)
    stage(in_review(requester, title="Assigned stage"), due=4, assigned_to=reviewer)
    target = f"{live_server.url}{late.use_case.get_absolute_url()}#decide-form"
    labels = {language: _in(language, TaskKind.STAGE_DECISION.label) for language in LOCALES}
    fragments = english_fragments("ja")

    # No database queries inside the browser block (see tests/portal/test_browser_dashboard.py).
    watch = Watch()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        try:
            for language, locale in LOCALES.items():
                page = watch.new_page(browser, f"reviewer-{language}", locale)
                try:
                    log_in_as(page, live_server.url, "reviewer")
                    expect(page.locator("html")).to_have_attribute("lang", language)
                    expect(page.locator("#task-count")).to_have_text("2")
                    rows = page.locator("#task-list tr.task")
                    expect(rows).to_have_count(2)
                    expect(rows.first).to_contain_text("Overdue stage")
                    expect(rows.first).to_contain_text(labels[language])
                    expect(rows.first.locator(".task-overdue")).to_have_count(1)
                    expect(rows.nth(1).locator(".task-assigned")).to_have_count(1)
                    if language == "ja":
                        assert untranslated_on(page, fragments) == []
                    page.screenshot(path=str(ARTIFACTS / f"tasks-{language}-home.png"), full_page=True)
                    rows.first.locator("a.task-link").click()
                    page.wait_for_url(target)
                    expect(page.locator("#decide-form")).to_be_visible()
                    page.screenshot(path=str(ARTIFACTS / f"tasks-{language}-decide.png"))
                except Exception:
                    with contextlib.suppress(Exception):
                        page.screenshot(path=str(ARTIFACTS / f"tasks-{language}-failure.png"), full_page=True)
                    raise
                finally:
                    page.context.close()
        finally:
            browser.close()
    assert watch.problems == []
