"""What every browser test needs around Playwright: the Chromium launch, logging in, posting a
form, a watch on everything the browser reports as broken (console errors, uncaught exceptions,
Content-Security-Policy violations, failed requests, server errors), the labels as the server
renders them in a language, and a check that a Japanese page shows no English text the
catalogue translates.
"""

import re

from django.utils import translation
from django.utils.translation import gettext, trans_real
from playwright.sync_api import expect

from tests.factories import PASSWORD

TIMEOUT_MS = 15_000
VIEWPORT = {"width": 1280, "height": 900}
LOCALES = {"ja": "ja-JP", "en": "en-US"}
OTHER_LANGUAGE = {"ja": "en", "en": "ja"}

# Chromium logs a violation as a console error already; this adds which directive refused
# what, from where (an init script is injected through the DevTools protocol, not subject to
# the page's policy). Report-only violations fire the same event.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", event => {
    console.error(
        `CSP violation (${event.disposition}): ${event.effectiveDirective} refused ` +
        `${event.blockedURI || "inline code"} at ${event.sourceFile || document.location.href}:${event.lineNumber}`
    );
});
"""


def in_language(language, label, **values):
    """What the server renders for ``label`` (a lazy label or a msgid, formatted with ``values``)
    in ``language``."""
    with translation.override(language):
        text = gettext(label) if isinstance(label, str) else str(label)
        return text % values if values else text


class Watch:
    """Collects what each page reports as broken; ``problems`` must stay empty.

    A request the browser aborts because its page moved on (a background fetch, like the
    live recommendation, still running when a form is submitted) is not broken: the page that
    wanted the answer is gone. Only that case is forgiven: a navigation was issued and had not
    landed when the request started, or was issued after it. The same abort with no navigation
    on its way, and every other failure, is a problem.
    """

    ABORTED = "net::ERR_ABORTED"

    def __init__(self):
        self.problems = []
        self.forgiven = []

    def attach(self, page, who):
        # Main-frame navigations issued (redirect hops not counted again) and committed so far.
        issued, committed = [0], [0]
        committed_at_start = {}  # request -> navigations committed when it started

        def console(message):
            if message.type == "error" or "Content Security Policy" in message.text:
                self.problems.append(f"[{who}] console {message.type} on {page.url}: {message.text}")

        def page_error(error):
            self.problems.append(f"[{who}] uncaught exception on {page.url}: {error}")

        def request(request):
            if request.is_navigation_request() and request.frame == page.main_frame:
                if request.redirected_from is None:
                    issued[0] += 1
            else:
                committed_at_start[request] = committed[0]

        def frame_navigated(frame):
            # Only a commit of an issued navigation counts (not the first blank page, nor a
            # same-document change), so the two counts meet once every navigation has landed.
            if frame == page.main_frame and committed[0] < issued[0]:
                committed[0] += 1

        def request_finished(request):
            committed_at_start.pop(request, None)

        def request_failed(request):
            problem = f"[{who}] request failed: {request.method} {request.url}: {request.failure}"
            started = committed_at_start.pop(request, None)
            # Forgiven: a navigation was on its way (issued, not yet committed when the request
            # started, or issued after) before the browser aborted it. A fetch started just
            # after a form's submit (the change event of the field it leaves) counts too.
            abandoned = started is not None and issued[0] > started
            if request.failure == self.ABORTED and abandoned:
                self.forgiven.append(problem)
            else:
                self.problems.append(problem)

        def response(response):
            if response.status >= 500:
                self.problems.append(f"[{who}] HTTP {response.status}: {response.request.method} {response.url}")

        page.on("console", console)
        page.on("pageerror", page_error)
        page.on("request", request)
        page.on("framenavigated", frame_navigated)
        page.on("requestfinished", request_finished)
        page.on("requestfailed", request_failed)
        page.on("response", response)

    def new_page(self, browser, who, locale):
        """A fresh browser context (its own cookies) asking for ``locale``, and its watched page."""
        context = browser.new_context(locale=locale, viewport=VIEWPORT)
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(CSP_LISTENER)
        page = context.new_page()
        self.attach(page, who)
        return page


def _submit_login(page, base, username):
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit][name=submit]")
    page.wait_for_url(f"{base}/")


def log_in_as(page, base, username):
    """Log in through the form, in whatever language the browser asks for."""
    page.goto(f"{base}/accounts/login/")
    _submit_login(page, base, username)


def log_in(page, base, username, language, labels):
    """Open the login page (in the browser's language), switch the UI to ``language`` with the
    site's own language select, then log in through the form."""
    page.goto(f"{base}/accounts/login/")
    html = page.locator("html")
    # The browser asks for the other language: the switch below is a real change.
    expect(html).to_have_attribute("lang", OTHER_LANGUAGE[language])
    page.select_option("#language-select", language)  # submits its form itself (portal/static/portal/base.js)
    expect(html).to_have_attribute("lang", language)
    expect(page.locator("h1")).to_have_text(labels["log_in"])
    _submit_login(page, base, username)
    expect(html).to_have_attribute("lang", language)


def post(page, selector):
    """Click a POST button and wait for the page it redirects to (200 would be a form with
    errors, 500 a crash)."""
    with (
        page.expect_response(lambda response: response.request.method == "POST") as posted,
        page.expect_navigation(),
    ):
        page.click(selector)
    assert posted.value.status == 302, f"{selector} answered {posted.value.status} at {posted.value.url}"


# --- English left on a Japanese page ----------------------------------------------------------

# Placeholders, template variables and tags split a message into the fragments shown verbatim.
_SPLIT = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\{.*?\}\}|\{\w*\}|<[^>]+>|&[a-z]+;")
_CODE = re.compile(r"<code>.*?</code>", re.S)  # literal samples (a header, a command) stay English
_WORDS = re.compile(r"[A-Za-z][A-Za-z'’-]*")


def english_fragments(language="ja"):
    """Fragments of every English message the ``language`` catalogue translates (Django's and
    ours), long enough not to be a name: two words or more, ten characters or more."""
    catalogue = trans_real.translation(language)._catalog
    fragments = set()
    for key, value in catalogue.items():
        if not isinstance(key, str) or not isinstance(value, str) or not value or value == key:
            continue
        msgid = _CODE.sub("%s", key.split("\x04", 1)[-1])  # drop a pgettext context and code samples
        for fragment in _SPLIT.split(msgid):
            fragment = fragment.strip(" .,:;!?()[]“”\"'·—-\n")
            if len(fragment) >= 10 and len(_WORDS.findall(fragment)) >= 2:
                fragments.add(fragment)
    return frozenset(fragments)


def untranslated_on(page, fragments):
    """The English fragments visible on ``page`` (its rendered text, titles and labels)."""
    text = page.evaluate(
        """() => [
            document.title,
            document.body.innerText,
            ...[...document.querySelectorAll("[aria-label], [title], [placeholder]")].map(element =>
                [element.getAttribute("aria-label"), element.getAttribute("title"),
                 element.getAttribute("placeholder")].filter(Boolean).join("\\n")),
            ...[...document.querySelectorAll("input[type=submit], input[type=button]")].map(element => element.value),
        ].join("\\n")"""
    )
    return sorted(fragment for fragment in fragments if fragment in text)
