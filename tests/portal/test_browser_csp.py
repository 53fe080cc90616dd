"""The Content Security Policy in a real browser: the pages that carry scripts (charts, the
prompt library's copy button, the API reference, the admin) run with no violation.

Chromium reports every blocked script, style or worker on the console; a page that works
only because a test never looked would show up here.
"""

import pytest
from playwright.sync_api import sync_playwright

from tests.browser import TIMEOUT_MS
from tests.conftest import CHROMIUM_ARGS
from tests.factories import PASSWORD, UseCaseFactory
from tests.governance.education_helpers import approved_prompt

PAGES = {
    "/dashboard/": "#chart-status",
    "/api/docs/": ".swagger-ui .info",
    "/api/redoc/": "redoc-container h1, #redoc-container h1",
    "/admin/": "#site-name",
    "/governance/prompts/{prompt}/": "main",
    "/usecases/{use_case}/economics/": "main",
}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_script_pages_run_without_csp_violations(live_server, chromium_path, admin_user, requester, reviewer):
    use_case = UseCaseFactory(complete=True, owner=requester)
    prompt = approved_prompt(requester, reviewer)
    ids = {"prompt": prompt.pk, "use_case": use_case.reference}
    base = live_server.url
    problems = []

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(locale="en-US")
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        page.on("console", lambda note: note.type == "error" and problems.append(f"{page.url}: {note.text}"))
        page.on("response", lambda answer: answer.status >= 400 and problems.append(f"{answer.status} {answer.url}"))
        page.on("pageerror", lambda error: problems.append(str(error)))
        try:
            page.goto(f"{base}/accounts/login/")
            page.fill("#id_username", admin_user.username)
            page.fill("#id_password", PASSWORD)
            page.click("input[type=submit][name=submit]")
            page.wait_for_url(f"{base}/")
            for path, ready in PAGES.items():
                url = base + path.format(**ids)
                response = page.goto(url)
                assert response.status == 200, url
                assert "script-src 'self'" in response.headers["content-security-policy"], url
                page.wait_for_selector(ready, state="attached")
                page.wait_for_load_state("networkidle")
        finally:
            browser.close()

    # Redoc hard-codes a Redocly logo from its CDN; the policy blocks it on purpose (no
    # third-party requests) and Redoc then simply leaves the logo out.
    redocly_logo = "Loading the image 'https://cdn.redoc.ly/redoc/logo-mini.svg' violates"
    problems = [problem for problem in problems if redocly_logo not in problem]
    assert problems == [], "\n".join(problems)
