"""End to end in a real browser: a user acknowledges a usage policy and copies a prompt
from the library with its placeholders filled in.

Headless Debian Chromium through Playwright's sync API against pytest-django's
``live_server``. The journey is walked by two requesters, one with an English UI and one
with a Japanese UI (the UI language follows the browser's Accept-Language): the home page
asks them to acknowledge the policy in force, whose Markdown renders with its script and
``javascript:`` link inert; they acknowledge it, then search the prompt library, fill the
Japanese placeholders of a prompt, copy it to the real clipboard and see the use counted.
A second version of the policy is then published and the English user is asked again.
Labels are asserted as the server renders them in that language (``_in``), since the
catalogue may still lack some strings. Screenshots go to
``test-artifacts/browser/education-*.png``.
"""

import contextlib
import re
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import translation
from django.utils.translation import ngettext
from playwright.sync_api import expect, sync_playwright

from governance.education import services
from governance.education.choices import PolicyVersionStatus, PromptStatus
from governance.models import PolicyAcknowledgement, PolicyDocument, PolicyVersion, PromptTemplate
from portal.models import AuditEvent
from tests.browser import TIMEOUT_MS, in_language, log_in_as, post
from tests.conftest import CHROMIUM_ARGS

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"

SCRIPT = "<script>window.pwned = true; alert('xss')</script>"
JAVASCRIPT_LINK = "[click me](javascript:alert(1))"
IMAGE = "<img src=x onerror=alert(2)>"


def _policy_body(language, heading, items, version):
    """A policy text with a heading, a list, and what must not run: a script, an inline
    event handler and a ``javascript:`` link."""
    lines = [f"# {heading}", "", *(f"- {item}" for item in items), "", SCRIPT, ""]
    lines.append(f"{IMAGE} {JAVASCRIPT_LINK} [{language} v{version}](https://example.com/rules)")
    return "\n".join(lines) + "\n"


HEADING = {"ja": "生成AI利用ルール", "en": "Generative AI usage rules"}
ITEMS = {
    "ja": ["顧客データを入力しない", "出力は必ず人が確認する"],
    "en": ["Never paste customer data", "A person checks every output"],
}
PROMPT_BODY = "{{商品名}}の広告コピーを{{本数}}案、{{トーン}}な調子で書いてください。"


def _in_plural(language, singular, plural, count):
    with translation.override(language):
        return ngettext(singular, plural, count) % {"count": count}


def _acknowledged_pattern(language, number):
    """The "You acknowledged version N on <date time>." line, whatever the minute."""
    text = in_language(language, "You acknowledged version %(number)s on %(date)s.", number=number, date="\0")
    before, after = text.split("\0")
    return re.compile(re.escape(before) + r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}" + re.escape(after))


def _labels(language):
    """Everything the journey reads on the pages, as rendered in ``language`` (no database)."""
    return {
        "please_acknowledge": in_language(language, "Please read and acknowledge:"),
        "version_1": in_language(language, "version %(number)s", number=1),
        "version_2": in_language(language, "version %(number)s", number=2),
        "in_force": in_language(language, PolicyVersionStatus.PUBLISHED.label),
        "superseded": in_language(language, PolicyVersionStatus.SUPERSEDED.label),
        "read_v1": in_language(language, "I have read version %(number)s and will follow it.", number=1),
        "read_v2": in_language(language, "I have read version %(number)s and will follow it.", number=2),
        "thanks_v1": in_language(language, "Thank you: you acknowledged version %(number)s.", number=1),
        "thanks_v2": in_language(language, "Thank you: you acknowledged version %(number)s.", number=2),
        "acknowledged_v1": _acknowledged_pattern(language, 1),
        "acknowledged_v2": _acknowledged_pattern(language, 2),
        "nothing_pending": in_language(language, "You have acknowledged every rule that applies to you."),
        "acknowledged_badge": in_language(language, "acknowledged"),
        "to_acknowledge_badge": in_language(language, "to acknowledge"),
        "see_in_force": in_language(language, "See the version in force"),
        "what_changed": in_language(language, "What changed:"),
        "library": in_language(language, "Prompt library"),
        "prompt": in_language(language, "Prompt"),
        "approved": in_language(language, PromptStatus.APPROVED.label),
        "copied": in_language(language, "Copied to the clipboard."),
    }


def _check_policy_text(page, language, version):
    """The rendered Markdown: heading and list as HTML, the script and the image as plain
    text, no ``javascript:`` link, and only the safe link kept (with its rel)."""
    text = page.locator("#policy-text")
    # a Markdown "# heading" is demoted to h2: the page has its own h1
    expect(text.locator("h2")).to_have_text(HEADING[language])
    expect(text.locator("li")).to_have_text(ITEMS[language])
    expect(text).to_contain_text(SCRIPT)
    expect(text).to_contain_text(IMAGE)
    expect(text).to_contain_text(JAVASCRIPT_LINK)
    expect(text.locator("script, img, iframe, [onerror]")).to_have_count(0)
    expect(page.locator("a[href^='javascript' i]")).to_have_count(0)
    link = text.locator("a")
    expect(link).to_have_count(1)
    expect(link).to_have_text(f"{language} v{version}")
    expect(link).to_have_attribute("href", "https://example.com/rules")
    expect(link).to_have_attribute("rel", "noopener noreferrer nofollow")
    assert page.evaluate("() => window.pwned") is None


def _acknowledge_policy(page, base, journey, shot):
    """From the home page's alert to the acknowledged policy, then the policy list."""
    labels, policy = journey["labels"], journey["policy"]
    page.goto(f"{base}/")
    expect(page.locator("html")).to_have_attribute("lang", journey["language"])
    alert = page.locator("#home-pending-acknowledgements")
    expect(alert).to_contain_text(labels["please_acknowledge"])
    expect(alert.locator("a")).to_have_text([policy["title"]])
    shot("01-home-pending")

    alert.locator("a").click()
    page.wait_for_url(policy["url"])
    expect(page.locator("h1.h3")).to_have_text(policy["title"])
    expect(page.locator("#shown-version")).to_contain_text(labels["version_1"])
    expect(page.locator("#shown-version .badge")).to_contain_text(labels["in_force"])
    _check_policy_text(page, journey["language"], 1)
    expect(page.locator("#acknowledge-form")).to_contain_text(labels["read_v1"])
    expect(page.locator("#acknowledged")).to_have_count(0)
    shot("02-policy-to-acknowledge")

    post(page, "#acknowledge-button")
    assert page.url == policy["url"]
    expect(page.locator(".alert-success")).to_have_text(labels["thanks_v1"])
    expect(page.locator("#acknowledged")).to_have_text(labels["acknowledged_v1"])
    expect(page.locator("#acknowledge-form")).to_have_count(0)
    _check_policy_text(page, journey["language"], 1)
    shot("03-policy-acknowledged")

    page.click(f"main a[href='{policy['list_url']}']")
    page.wait_for_url(f"{base}{policy['list_url']}")
    expect(page.locator("#nothing-pending")).to_have_text(labels["nothing_pending"])
    expect(page.locator("#pending-acknowledgements")).to_have_count(0)
    row = page.locator("#policies tbody tr", has=page.locator(f"a[href='{policy['path']}']"))
    expect(row.locator(".badge")).to_have_text(labels["acknowledged_badge"])
    shot("04-policy-list-nothing-pending")

    page.goto(f"{base}/")
    expect(page.locator("#home-pending-acknowledgements")).to_have_count(0)


def _copy_prompt(page, base, journey, shot):
    """Search the library, fill the placeholders (the prompt follows as one types), copy it
    to the clipboard and see the use counted."""
    labels, prompt = journey["labels"], journey["prompt"]
    link = page.locator(f"#nav a[href='{prompt['list_url']}']")
    # The rules-and-education menu opens first; the library is one of its entries.
    page.locator("#nav li.dropdown", has=page.locator(f"a[href='{prompt['list_url']}']")).locator(
        ".dropdown-toggle"
    ).click()
    link.click()
    page.wait_for_url(f"{base}{prompt['list_url']}")
    expect(page.locator("h1.h3")).to_have_text(labels["library"])
    rows = page.locator("#prompts tbody tr")
    expect(rows).to_have_count(2)  # the two approved prompts; the draft is not in the library

    page.fill("#prompt-filters [name=q]", "広告コピー")
    with page.expect_navigation():
        page.click("#prompt-filters button[type=submit]")
    assert "q=" in page.url, page.url
    expect(rows).to_have_count(1)
    expect(rows.locator("td").first).to_contain_text(prompt["title"])
    expect(rows.locator("td").nth(3)).to_have_text(str(journey["copies_before"]))
    shot("05-prompt-search")

    rows.locator(f"a[href='{prompt['path']}']").click()
    page.wait_for_url(f"{base}{prompt['path']}")
    expect(page.locator("h1.h3")).to_contain_text(prompt["title"])
    expect(page.locator("#prompt-status")).to_have_text(labels["approved"])
    meta = page.locator("p.small.text-muted").first
    expect(meta).to_contain_text(journey["used_before"])
    inputs = page.locator(".placeholder-input")
    expect(inputs).to_have_count(3)
    assert inputs.evaluate_all("items => items.map(item => item.dataset.name)") == ["商品名", "本数", "トーン"]
    expect(page.locator("#fill label")).to_have_text(["商品名", "本数", "トーン", labels["prompt"]])
    output = page.locator("#filled-prompt")
    expect(output).to_have_value(PROMPT_BODY)

    # The text follows the inputs as they are typed.
    values = journey["values"]
    inputs.nth(0).press_sequentially(values["商品名"])
    expect(output).to_have_value(PROMPT_BODY.replace("{{商品名}}", values["商品名"]))
    inputs.nth(1).fill(values["本数"])
    inputs.nth(2).fill(values["トーン"])
    expect(output).to_have_value(journey["filled"])
    shot("06-prompt-filled")

    use_url = prompt["use_url"]
    with page.expect_response(lambda r: r.url == f"{base}{use_url}" and r.request.method == "POST") as used:
        page.click("#copy-prompt")
    assert used.value.status == 200, f"counting the use answered {used.value.status}"
    assert used.value.json() == {"usage_count": journey["copies_before"] + 1}
    status = page.locator("#copy-status")
    expect(status).to_have_text(labels["copied"])
    expect(status).to_have_class(re.compile(r"\btext-success\b"))
    assert page.evaluate("() => navigator.clipboard.readText()") == journey["filled"]
    shot("07-prompt-copied")

    page.reload()
    expect(meta).to_contain_text(journey["used_after"])
    expect(output).to_have_value(PROMPT_BODY)  # a fresh page starts from the template again


def _asked_again(page, base, journey, shot):
    """After version 2 is published: asked again, version 1 is superseded, acknowledge 2."""
    labels, policy = journey["labels"], journey["policy"]
    page.goto(f"{base}/")
    alert = page.locator("#home-pending-acknowledgements")
    expect(alert.locator("a")).to_have_text([policy["title"]])
    page.goto(f"{base}{policy['list_url']}")
    expect(page.locator("#nothing-pending")).to_have_count(0)
    expect(page.locator("#pending-acknowledgements li")).to_contain_text([labels["version_2"]])
    row = page.locator("#policies tbody tr", has=page.locator(f"a[href='{policy['path']}']"))
    expect(row.locator(".badge")).to_have_text(labels["to_acknowledge_badge"])
    shot("08-v2-pending")

    page.locator("#pending-acknowledgements a").click()
    page.wait_for_url(policy["url"])
    expect(page.locator("#shown-version")).to_contain_text(labels["version_2"])
    expect(page.locator("p", has_text=labels["what_changed"])).to_contain_text(journey["change_summary"])
    _check_policy_text(page, journey["language"], 2)
    expect(page.locator("#acknowledge-form")).to_contain_text(labels["read_v2"])

    # Version 1 is still readable, superseded, and cannot be acknowledged.
    page.click(f"#versions a[href='{policy['path']}v/1/']")
    page.wait_for_url(f"{policy['url']}v/1/")
    expect(page.locator("#shown-version .badge")).to_contain_text(labels["superseded"])
    expect(page.locator("#shown-version a")).to_have_text(labels["see_in_force"])
    _check_policy_text(page, journey["language"], 1)
    expect(page.locator("#acknowledge-form")).to_have_count(0)
    shot("09-v1-superseded")

    page.click("#shown-version a")
    page.wait_for_url(policy["url"])
    post(page, "#acknowledge-button")
    expect(page.locator(".alert-success")).to_have_text(labels["thanks_v2"])
    expect(page.locator("#acknowledged")).to_have_text(labels["acknowledged_v2"])
    shot("10-v2-acknowledged")


def _browse(chromium_path, journeys, base, walk, phase):
    """Run ``walk`` for every journey, each in its own browser context (its own language)."""
    # No database queries inside this block: under Playwright's sync API Django's
    # context-local connection is a second one that nothing closes, and the open
    # session then blocks dropping the PostgreSQL test database.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        try:
            for journey in journeys:
                context = browser.new_context(
                    locale=journey["locale"],
                    viewport={"width": 1280, "height": 900},
                    permissions=["clipboard-read", "clipboard-write"],
                )
                context.set_default_timeout(TIMEOUT_MS)
                page = context.new_page()
                dialogs = []

                def on_dialog(dialog, dialogs=dialogs):
                    dialogs.append(dialog.message)
                    dialog.dismiss()

                page.on("dialog", on_dialog)
                prefix = f"education-{journey['language']}"

                def shot(name, page=page, prefix=prefix):
                    page.screenshot(path=str(ARTIFACTS / f"{prefix}-{name}.png"), full_page=True)

                try:
                    log_in_as(page, base, journey["username"])
                    walk(page, base, journey, shot)
                    assert dialogs == [], f"a dialog opened: {dialogs}"
                except Exception:
                    with contextlib.suppress(Exception):
                        shot(f"{phase}-failure")
                    raise
                finally:
                    context.close()
        finally:
            browser.close()


@pytest.mark.browser
# Groups and permissions come from data migrations; a transactional test's flush would
# delete them, so restore them.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_user_acknowledges_the_policy_and_copies_a_filled_in_prompt(
    live_server, chromium_path, requester, other_requester, reviewer, admin_user
):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("education-*failure.png"):
        old.unlink()  # only this run's failure, if any
    base = live_server.url

    # A usage policy for all staff, version 1 in force, with Markdown that must render inert.
    document = PolicyDocument.objects.create(
        key="ai-usage-rules", title_ja="生成AI利用ルール", title_en="Generative AI usage rules"
    )
    v1 = services.save_draft_version(
        document,
        admin_user,
        body_ja=_policy_body("ja", HEADING["ja"], ITEMS["ja"], 1),
        body_en=_policy_body("en", HEADING["en"], ITEMS["en"], 1),
    )
    v1 = services.publish_version(v1, admin_user)
    # A prompt with Japanese placeholders, shared by the reviewer and approved by the admin
    # (an author cannot approve their own), another approved one, and a draft.
    prompt = services.create_prompt(
        reviewer,
        {
            "title": "広告コピーの案出し (ad copy ideas)",
            "category": "creative",
            "style": "either",
            "body": PROMPT_BODY,
            "notes": "商品名と本数とトーンを入れてください。",
        },
    )
    with pytest.raises(PermissionDenied):
        services.decide_prompt(prompt, reviewer, "approve")
    prompt = services.decide_prompt(prompt, admin_user, "approve")
    other_prompt = services.create_prompt(
        admin_user,
        {"title": "Meeting summary", "category": "other", "body": "Summarise this meeting: {{notes}}"},
    )
    services.decide_prompt(other_prompt, reviewer, "approve")
    services.create_prompt(
        reviewer, {"title": "広告コピーの下書き (draft)", "category": "creative", "body": "{{商品名}}の広告コピー"}
    )
    assert list(services.pending_acknowledgements(requester)) == [v1]

    values = {
        "en": {"商品名": "Green tea", "本数": "3", "トーン": "friendly"},
        "ja": {"商品名": "緑茶", "本数": "5", "トーン": "親しみやすい"},
    }
    journeys = []
    for number, (user, language) in enumerate(((requester, "en"), (other_requester, "ja"))):
        with translation.override(language):
            title = document.title
        journeys.append(
            {
                "username": user.username,
                "language": language,
                "locale": {"en": "en-US", "ja": "ja-JP"}[language],
                "labels": _labels(language),
                "policy": {
                    "title": title,
                    "path": document.get_absolute_url(),
                    "url": f"{base}{document.get_absolute_url()}",
                    "list_url": reverse("governance:policy-list"),
                },
                "prompt": {
                    "title": prompt.title,
                    "path": prompt.get_absolute_url(),
                    "list_url": reverse("governance:prompt-list"),
                    "use_url": reverse("governance:prompt-use", kwargs={"pk": prompt.pk}),
                },
                "values": values[language],
                "filled": prompt.fill(values[language]),
                "copies_before": number,
                "used_before": _in_plural(language, "used %(count)s time", "used %(count)s times", number),
                "used_after": _in_plural(language, "used %(count)s time", "used %(count)s times", number + 1),
            }
        )
    assert journeys[0]["filled"] == "Green teaの広告コピーを3案、friendlyな調子で書いてください。"
    assert journeys[0]["policy"]["title"] == "Generative AI usage rules"
    assert journeys[1]["policy"]["title"] == "生成AI利用ルール"

    def first_phase(page, base, journey, shot):
        _acknowledge_policy(page, base, journey, shot)
        _copy_prompt(page, base, journey, shot)

    _browse(chromium_path, journeys, base, first_phase, "1")

    # Both acknowledged version 1, once each, audited; both copies were counted.
    acknowledgements = PolicyAcknowledgement.objects.filter(version=v1)
    assert sorted(acknowledgements.values_list("user__username", flat=True)) == ["other", "requester"]
    assert PolicyAcknowledgement.objects.filter(version=v1, user=requester).count() == 1
    events = AuditEvent.objects.for_object(document).filter(action="acknowledge_policy").order_by("created_at")
    assert [(event.actor_id, event.data) for event in events] == [
        (requester.pk, {"version": 1}),
        (other_requester.pk, {"version": 1}),
    ]
    assert list(services.pending_acknowledgements(requester)) == []
    prompt.refresh_from_db()
    assert prompt.usage_count == len(journeys)
    assert PromptTemplate.objects.get(pk=other_prompt.pk).usage_count == 0

    # Version 2 is published: the English user is asked again and acknowledges it.
    change_summary = "Added a rule about checking outputs."
    v2 = services.save_draft_version(
        document,
        admin_user,
        body_ja=_policy_body("ja", HEADING["ja"], ITEMS["ja"], 2),
        body_en=_policy_body("en", HEADING["en"], ITEMS["en"], 2),
        change_summary=change_summary,
    )
    v2 = services.publish_version(v2, admin_user)
    assert list(services.pending_acknowledgements(requester)) == [v2]
    journeys[0]["change_summary"] = change_summary
    _browse(chromium_path, journeys[:1], base, _asked_again, "2")

    assert PolicyVersion.objects.get(pk=v1.pk).status == PolicyVersionStatus.SUPERSEDED
    assert PolicyAcknowledgement.objects.filter(version=v1, user=requester).count() == 1
    assert PolicyAcknowledgement.objects.filter(version=v2, user=requester).count() == 1
    assert list(services.pending_acknowledgements(requester)) == []
    assert list(services.pending_acknowledgements(other_requester)) == [v2]
    events = AuditEvent.objects.for_object(document).filter(action="acknowledge_policy").order_by("created_at")
    assert [(event.actor_id, event.data) for event in events] == [
        (requester.pk, {"version": 1}),
        (other_requester.pk, {"version": 1}),
        (requester.pk, {"version": 2}),
    ]
    publications = AuditEvent.objects.for_object(document).filter(action="publish_policy").order_by("created_at")
    assert [(event.from_state, event.to_state) for event in publications] == [("", "v1"), ("v1", "v2")]
    assert PromptTemplate.objects.get(pk=prompt.pk).usage_count == len(journeys)
