"""End to end in a real browser: a requester registers a use case in Japanese and submits it.

Headless Debian Chromium through Playwright's sync API against pytest-django's
``live_server``. Screenshots of every step go to ``test-artifacts/browser/``.
"""

import contextlib
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.browser import TIMEOUT_MS, in_language
from tests.conftest import CHROMIUM_ARGS
from tests.factories import PASSWORD
from usecases.choices import UseCaseStatus
from usecases.models import UseCase

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
TITLE = "ブラウザ試験: 問い合わせ返信の下書き"


@pytest.mark.browser
# Groups and permissions come from a data migration; a transactional test's flush
# would delete them, so restore the migrated contents for this test.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_requester_registers_and_submits_a_use_case_in_japanese(live_server, chromium_path, requester):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "failure.png").unlink(missing_ok=True)  # only this run's failure, if any
    base = live_server.url

    # No database queries inside this block: under Playwright's sync API Django's
    # context-local connection is a second one that nothing closes, and the open
    # session then blocks dropping the PostgreSQL test database.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        # The browser asks for English, so switching to Japanese is a real change.
        context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()

        def shot(name):
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

        try:
            # 1. Log in.
            page.goto(f"{base}/accounts/login/")
            expect(page.locator("html")).to_have_attribute("lang", "en")
            page.fill("#id_username", "requester")
            page.fill("#id_password", PASSWORD)
            shot("01-login")
            page.click("input[type=submit][name=submit]")
            page.wait_for_url(f"{base}/")
            expect(page.locator("nav")).to_contain_text(str(requester))
            expect(page.locator("html")).to_have_attribute("lang", "en")

            # 2. Switch the UI to Japanese with the navbar's language select (auto-submits).
            page.select_option("#language-select", "ja")
            expect(page.locator("html")).to_have_attribute("lang", "ja")
            expect(page.locator("#language-select")).to_have_value("ja")
            shot("02-home-japanese")

            # 3. Open "Register a use case" from the navbar.
            page.click("nav a.nav-link[href='/usecases/new/']")
            page.wait_for_url(f"{base}/usecases/new/")
            expect(page.locator("html")).to_have_attribute("lang", "ja")

            # 4. Fill the form, two workflow rows (AI and a person) and one KPI.
            page.fill("#id_title", TITLE)
            page.fill("#id_summary", "問い合わせメールへの返信文をAIが下書きし、担当者が確認して送る。")
            page.select_option("#id_category", "sales_support")
            page.select_option("#id_audience", "customer_facing")
            page.select_option("#id_data_classification", "confidential")
            page.select_option("#id_intended_style", "closed_saas")
            page.fill("#id_monthly_requests", "2500")
            page.fill("#id_avg_input_tokens", "1200")
            page.fill("#id_avg_output_tokens", "500")
            page.fill("[name='tasks-0-description']", "過去の回答を参照して返信文を下書きする")
            page.select_option("[name='tasks-0-performer']", "ai")
            page.fill("[name='tasks-1-description']", "内容を確認し、送信するか判断する")
            page.select_option("[name='tasks-1-performer']", "human")
            page.fill("[name='kpis-0-name']", "一次回答までの時間")
            page.fill("[name='kpis-0-unit']", "時間")
            page.select_option("[name='kpis-0-direction']", "decrease")
            page.fill("[name='kpis-0-baseline']", "24")
            page.fill("[name='kpis-0-target']", "4")
            shot("03-form-filled")

            # 5. Save the draft: the detail page of a new draft, with nothing missing.
            page.click("#save-draft")
            detail_url = re.compile(re.escape(base) + r"/usecases/(UC-[^/]+)/$")
            page.wait_for_url(detail_url)
            reference = detail_url.match(page.url).group(1)
            expect(page.locator("h1")).to_contain_text(TITLE)
            expect(page.locator("#status")).to_have_text(in_language("ja", UseCaseStatus.DRAFT.label))
            expect(page.locator("#missing-items")).to_have_count(0)
            shot("04-draft-saved")

            # 6. Submit it for review: the badge shows the Japanese label (提出済み).
            submitted_ja = in_language("ja", UseCaseStatus.SUBMITTED.label)
            assert submitted_ja != "Submitted", "the Japanese catalogue (locale/ja) does not translate 'Submitted'"
            page.click("#submit-button")
            expect(page.locator("#status")).to_have_text(submitted_ja)
            expect(page.locator("#submit-button")).to_have_count(0)
            expect(page.locator("html")).to_have_attribute("lang", "ja")
            shot("05-submitted")

            # 7. Find it in the inventory through the filter form: status and a search.
            page.click("nav a.nav-link[href='/usecases/']")
            page.select_option("#id_status", [str(UseCaseStatus.SUBMITTED)])
            page.fill("#id_q", TITLE)
            page.click("#filters button[type=submit]")
            expect(page).to_have_url(re.compile(r"status=submitted"))
            rows = page.locator("table#usecase-table tbody tr")
            expect(rows).to_have_count(1)
            expect(rows.first).to_contain_text(reference)
            expect(rows.first).to_contain_text(TITLE)
            badge = rows.first.locator(".status-badge")
            expect(badge).to_have_attribute("data-state", str(UseCaseStatus.SUBMITTED))
            expect(badge).to_have_attribute("data-meaning", "waiting_on_others")  # the requester waits on the reviewers
            expect(badge).to_contain_text(submitted_ja)
            shot("06-inventory")
        except Exception:
            with contextlib.suppress(Exception):
                shot("failure")
            raise
        finally:
            context.close()
            browser.close()

    use_case = UseCase.objects.select_related("owner").get(reference=reference)
    assert use_case.title == TITLE
    assert use_case.status == UseCaseStatus.SUBMITTED
    assert use_case.submitted_at is not None
    assert use_case.owner == requester
    assert use_case.department == requester.department
    assert use_case.monthly_requests == 2500
    assert sorted(use_case.tasks.values_list("performer", flat=True)) == ["ai", "human"]
    assert list(use_case.kpis.values_list("name", "direction")) == [("一次回答までの時間", "decrease")]
