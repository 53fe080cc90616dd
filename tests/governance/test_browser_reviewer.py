"""The reviewer's flow in a real browser: the decision panel reached by keyboard from the
top of the page, assigning the stage to oneself, the queue's filters and the status badges,
with nothing the browser reports as broken (console errors, CSP violations)."""

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.browser import LOCALES, Watch, log_in_as
from tests.conftest import CHROMIUM_ARGS
from tests.governance.reviewer_helpers import submitted


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_reviewer_reaches_the_decision_by_keyboard_and_takes_the_stage(
    live_server, chromium_path, requester, reviewer
):
    blocked = submitted(requester, data_classification="confidential", intended_style="closed_saas")
    url = f"{live_server.url}{blocked.get_absolute_url()}"
    queue_url = f"{live_server.url}/governance/queue/"
    watch = Watch()
    # No database queries inside this block (see tests/governance/test_browser.py).
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        try:
            page = watch.new_page(browser, "reviewer", LOCALES["en"])
            log_in_as(page, live_server.url, "reviewer")
            page.goto(url)
            # Tab from the top of the page to the skip link, then into the decision panel.
            for _ in range(40):
                page.keyboard.press("Tab")
                if page.evaluate("document.activeElement.id") == "skip-to-decide":
                    break
            assert page.evaluate("document.activeElement.id") == "skip-to-decide"
            page.keyboard.press("Enter")
            expect(page).to_have_url(f"{url}#decide")
            assert page.evaluate("document.activeElement.id") == "decide"
            page.keyboard.press("Tab")
            assert page.evaluate("document.activeElement.closest('#decide') !== null")
            assert page.evaluate("document.activeElement.name") == "stage-decision"
            expect(page.locator("#blocking-findings li[data-blocking-rule]")).not_to_have_count(0)
            expect(page.locator("#blocking-findings .how-to-resolve").first).to_contain_text("How to resolve:")
            # The badge of a use case waiting on this reviewer says so in words.
            expect(page.locator("[data-meaning=waiting_on_me]").first).to_contain_text("Waiting on you")

            with page.expect_navigation():
                page.click("#assign-me")
            expect(page.locator("#stage-assignee")).to_contain_text("reviewer")
            expect(page.locator("#unassign")).to_be_visible()

            page.goto(f"{queue_url}?assigned=me")
            expect(page.locator("#queue tbody tr[data-stage]")).to_have_count(1)
            page.goto(f"{queue_url}?assigned=unassigned")
            expect(page.locator("#queue tbody tr[data-stage]")).to_have_count(0)
            page.goto(f"{queue_url}?risk_tier=enormous")
            expect(page.locator("#filters .invalid-feedback")).not_to_have_count(0)
            assert watch.problems == [], watch.problems
        finally:
            browser.close()
