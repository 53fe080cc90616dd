"""Single sign-on in a real browser, in Japanese and in English: the provider's button on the
login page, the provider's sign-in form, back in the portal signed in; then a person whose
groups give no role, refused with a clear page in the reader's language.

Headless Debian Chromium (Playwright) against ``live_server`` and the test provider process
(tests/oidc_provider). Screenshots go to ``test-artifacts/browser/sso-*.png``."""

from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect, sync_playwright

from portal.auth_models import SsoGroupMapping
from portal.auth_sso import provider as sso_provider
from portal.auth_sso.errors import Reason
from portal.models import User
from portal.roles import Role
from tests.accounts.oidc import Provider, account
from tests.browser import LOCALES, Watch, english_fragments, in_language, untranslated_on
from tests.conftest import CHROMIUM_ARGS

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"


@pytest.mark.browser
# Groups come from a data migration; a transactional test's flush would delete them.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sign_in_through_the_provider_and_the_refusal_page_in_both_languages(
    live_server, chromium_path, settings, tmp_path, it_department
):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    base = live_server.url
    provider = Provider(tmp_path, [base])
    provider.update(
        accounts={
            "hanako": account("hanako@example.com", ["ai-requesters"], given_name="Hanako", family_name="Yamada"),
            "taro": account("taro@example.com", ["not-mapped"], given_name="Taro", family_name="Suzuki"),
        }
    )
    provider.start()
    for name, value in provider.settings().items():
        setattr(settings, name, value)
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, "portal.auth_sso.backend.OidcBackend"]
    sso_provider.clear_cache()
    SsoGroupMapping.objects.create(claim_value="ai-requesters", group=Group.objects.get(name=Role.REQUESTER))
    labels = {
        language: {
            "button": in_language(language, "Sign in with %(provider)s", provider="Test IdP"),
            "refused": in_language(language, "Sign-in refused"),
            "no_role": in_language(language, Reason.NO_ROLE.label),
            "fragments": english_fragments(language) if language == "ja" else frozenset(),
        }
        for language in LOCALES
    }
    watch = Watch()
    try:
        # No database queries in this block (Playwright's sync API and Django's connections).
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
            for language, locale in LOCALES.items():
                page = watch.new_page(browser, f"hanako-{language}", locale)
                page.goto(f"{base}/accounts/login/")
                expect(page.locator("html")).to_have_attribute("lang", language)
                expect(page.locator("#sso-sign-in")).to_have_text(labels[language]["button"])
                page.screenshot(path=str(ARTIFACTS / f"sso-{language}-1-login.png"), full_page=True)
                page.click("#sso-sign-in")
                page.wait_for_url(f"{provider.issuer}/interaction/**")
                page.fill("#login", "hanako")
                page.click("#sign-in")
                page.wait_for_url(f"{base}/")
                expect(page.locator("nav")).to_contain_text("Hanako")
                expect(page.locator("html")).to_have_attribute("lang", language)
                page.screenshot(path=str(ARTIFACTS / f"sso-{language}-2-home.png"), full_page=True)
                page.context.close()

                page = watch.new_page(browser, f"taro-{language}", locale)
                page.goto(f"{base}/accounts/login/")
                page.click("#sso-sign-in")
                page.wait_for_url(f"{provider.issuer}/interaction/**")
                page.fill("#login", "taro")
                with page.expect_response(lambda response: "/oidc/callback/" in response.url) as answer:
                    page.click("#sign-in")
                assert answer.value.status == 403
                expect(page.locator("h1")).to_have_text(labels[language]["refused"])
                expect(page.locator("#sso-error")).to_have_text(labels[language]["no_role"])
                expect(page.locator("html")).to_have_attribute("lang", language)
                assert untranslated_on(page, labels[language]["fragments"]) == []
                page.screenshot(path=str(ARTIFACTS / f"sso-{language}-3-refused.png"), full_page=True)
                page.context.close()
            browser.close()
    finally:
        provider.stop()
        sso_provider.clear_cache()
    # The refused page answers 403 by design; nothing else may break.
    assert [problem for problem in watch.problems if "/oidc/callback/" not in problem] == []
    assert User.objects.filter(email="hanako@example.com").count() == 1
    assert not User.objects.filter(email="taro@example.com").exists()
