"""In a real browser: the questionnaire's save/submit bar stays on screen while the vendor
scrolls, on a desktop and on a phone, and a missing-answer link lands on its field."""

from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.browser import TIMEOUT_MS
from tests.conftest import CHROMIUM_ARGS
from tests.factories import VendorFactory, send_assessment
from tests.vendors.helpers import vendor_url
from vendors import assessments
from vendors.choices import AnswerType

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "vendor-questionnaire"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 900}, {"width": 390, "height": 844}])
def test_save_and_submit_stay_in_reach_and_missing_links_land_on_fields(live_server, chromium_path, reviewer, viewport):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assessment, token = send_assessment(reviewer, vendor=VendorFactory(name="ブラウザ試験株式会社"))
    questions = assessments.questions_of(assessment)
    first_text = next(q for q in questions if q.required and q.answer_type == AnswerType.TEXT)
    url = f"{live_server.url}{vendor_url(token)}"
    total = len(questions)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(locale="en-US", viewport=viewport)
        context.set_default_timeout(TIMEOUT_MS)
        # The contact's language is Japanese; the language switch (a cookie) picks English.
        context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
        page = context.new_page()
        errors = []
        page.on("console", lambda message: message.type == "error" and errors.append(message.text))
        try:
            page.goto(url)
            expect(page.locator("#progress-text")).to_contain_text(f"0 of {total}")
            expect(page.locator("#submit-answers")).to_be_in_viewport()
            expect(page.locator("#save-answers")).to_be_in_viewport()
            page.locator(f"#q-{first_text.id}").scroll_into_view_if_needed()
            page.mouse.wheel(0, 3000)
            expect(page.locator("#submit-answers")).to_be_in_viewport()
            # A section link from the navigation jumps to its section.
            page.locator("#sections-nav a").last.click()
            expect(page.locator("#save-answers")).to_be_in_viewport()
            page.screenshot(path=str(ARTIFACTS / f"bar-{viewport['width']}.png"))

            # Submitting nothing is refused; the first missing link lands on its field.
            page.click("#submit-answers")
            expect(page.locator("#gaps")).to_be_visible()
            link = page.locator(f'#gaps a[href="#q-{first_text.id}"]').first
            link.click()
            expect(page.locator(f"#q-{first_text.id}")).to_be_in_viewport()
            page.screenshot(path=str(ARTIFACTS / f"missing-{viewport['width']}.png"))
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        finally:
            browser.close()
    # The refused submit answers 400 by design (the browser logs it); nothing else may fail.
    assert not [error for error in errors if "status of 400" not in error], errors
