"""In a real browser: typing "@" in the comment box suggests the people who can see the use
case, choosing one completes the user name, and the posted comment shows the person's name
(family name first on the Japanese page). Nothing on the way breaks the Content-Security-Policy.

Headless Debian Chromium through Playwright's sync API against pytest-django's ``live_server``.
"""

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.browser import Watch, in_language, log_in_as, post
from tests.conftest import CHROMIUM_ARGS
from tests.usecases.comment_helpers import comment_events, submitted
from usecases.comments.models import Comment


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_mention_autocomplete_and_rendering(live_server, chromium_path, captured, requester, reviewer):
    reviewer.first_name, reviewer.last_name = "Taro", "Yamada"
    reviewer.save()
    use_case = submitted(requester)
    base = live_server.url
    watch = Watch()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        try:
            page = watch.new_page(browser, "requester", "en-US")
            log_in_as(page, base, "requester")
            page.goto(f"{base}{use_case.get_absolute_url()}")
            box = page.locator("#id_body")
            box.click()
            box.press_sequentially("Please check this, @rev")
            suggestion = page.locator(".mention-suggestions li").first
            expect(suggestion).to_have_text("Taro Yamada (@reviewer)")
            box.press("Enter")
            expect(box).to_have_value("Please check this, @reviewer ")
            expect(page.locator(".mention-suggestions")).to_be_hidden()
            post(page, "#comment-form button[type=submit]")
            comment = Comment.objects.get()
            entry = page.locator(f"#comment-{comment.pk}")
            expect(entry.locator(".mention")).to_have_text("Taro Yamada")
            expect(page.locator(".alert-success")).to_contain_text(in_language("en", "Comment posted."))

            japanese = watch.new_page(browser, "reviewer", "ja-JP")
            log_in_as(japanese, base, "reviewer")
            japanese.goto(f"{base}{use_case.get_absolute_url()}")
            expect(japanese.locator(f"#comment-{comment.pk} .mention")).to_have_text("Yamada Taro")
        finally:
            browser.close()
    assert watch.problems == []
    assert [event.recipients for event in comment_events(captured, "comment.mentioned")] == [(reviewer.pk,)]
