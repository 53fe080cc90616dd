"""End to end in a real browser: a use case blocked by the policy checks, sent back,
fixed with an open self-hosted model, resubmitted and approved.

Headless Debian Chromium through Playwright's sync API against pytest-django's
``live_server``, with two browser contexts: the requester (English UI) and the
reviewer (Japanese UI). Screenshots of every step go to ``test-artifacts/browser/``.
"""

import contextlib
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from governance.choices import FindingSeverity, RecommendedStyle
from governance.models import Finding
from governance.rules import RULES
from portal.models import AuditEvent
from tests.browser import TIMEOUT_MS, in_language, log_in_as
from tests.conftest import CHROMIUM_ARGS
from tests.factories import AIModelFactory, VendorFactory, approved_vendor
from usecases.choices import UseCaseStatus
from usecases.models import UseCase
from vendors.models import Licence

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
TITLE = "Browser test: churn analysis on customer data"
BLOCKING_RULES = {"classification.zero-retention", "vendor.approved-below-level", "vendor.region-not-allowed"}
MAX_STAGES = 6  # more than the seeded stage definitions


def _save_draft(page):
    """Click "Save draft": the POST must redirect (200 is the form with errors, 500 a crash)."""
    with page.expect_response(lambda response: response.request.method == "POST") as saved:
        page.click("#save-draft")
    assert saved.value.status == 302, f"saving the draft answered {saved.value.status} at {saved.value.url}"


def _decide(page, decision, comment=""):
    """Record a decision on the current stage; the page reloads on the use case."""
    page.check(f"#decide-form input[name='stage-decision'][value='{decision}']")
    if comment:
        page.fill("#decide-form textarea[name='stage-comment']", comment)
    with page.expect_navigation():
        page.click("#decide-button")


def _in_order(entries, expected):
    """Whether every text of ``expected`` is found in ``entries``, one after the other."""
    position = 0
    for text in expected:
        position = next((i for i in range(position, len(entries)) if text in entries[i]), None)
        if position is None:
            return False
        position += 1
    return True


@pytest.mark.browser
# Groups, permissions, the classification matrix and the licences come from data
# migrations; a transactional test's flush would delete them, so restore them.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_blocked_use_case_is_sent_back_fixed_with_an_open_model_and_approved(
    live_server, chromium_path, requester, reviewer
):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "governance-failure.png").unlink(missing_ok=True)  # only this run's failure, if any
    base = live_server.url

    # (a) A closed API model whose vendor is approved only for internal data, keeps data
    # and processes it in the US: confidential data sent to it is blocked.
    closed_vendor = approved_vendor(
        "internal",
        name="Closed API Co.",
        zero_retention_available=False,
        training_use="opt_out",
        processing_regions=["US"],
    )
    closed_model = AIModelFactory(name="Closed Analyst", version="2", publisher=closed_vendor)
    # (b) An open-weights model under Apache-2.0 from another publisher, run in-house.
    open_vendor = VendorFactory(name="Open Weights Lab", kind="open_weights")
    open_model = AIModelFactory(
        name="Open Analyst",
        version="7B",
        publisher=open_vendor,
        openness="open_weights",
        licence=Licence.objects.get(identifier="Apache-2.0"),
    )
    closed_pk, open_pk = str(closed_model.pk), str(open_model.pk)

    # Labels computed before the browser starts (no database involved).
    closed_label = in_language("en", RecommendedStyle.CLOSED.label)
    open_label = in_language("en", RecommendedStyle.OPEN_SELF_HOSTED.label)
    assert closed_label != open_label
    below_level_ja = in_language("ja", RULES["vendor.approved-below-level"].title)
    approved_ja = in_language("ja", UseCaseStatus.APPROVED.label)
    assert approved_ja != "Approved", "the Japanese catalogue (locale/ja) does not translate 'Approved'"
    detail_url = re.compile(re.escape(base) + r"/usecases/(UC-[^/]+)/$")

    # No database queries inside this block: under Playwright's sync API Django's
    # context-local connection is a second one that nothing closes, and the open
    # session then blocks dropping the PostgreSQL test database.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        owner_context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
        owner_context.set_default_timeout(TIMEOUT_MS)
        reviewer_context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
        reviewer_context.set_default_timeout(TIMEOUT_MS)
        owner = owner_context.new_page()
        checker = reviewer_context.new_page()
        current = owner

        def shot(name):
            current.screenshot(path=str(ARTIFACTS / f"governance-{name}.png"), full_page=True)

        try:
            # 1. The requester registers a use case on a closed API model.
            log_in_as(owner, base, "requester")
            owner.goto(f"{base}/usecases/new/")
            recommended = owner.locator("#recommended-style")
            expect(recommended).to_have_text(closed_label)
            owner.fill("#id_title", TITLE)
            owner.fill("#id_summary", "Analysts export churn figures by hand; AI drafts the monthly analysis.")
            owner.select_option("#id_audience", "internal")
            owner.select_option("#id_intended_style", "closed_api")
            owner.select_option("#id_data_classification", "confidential")
            owner.select_option("#id_category", "analytics")
            # Confidential data and an analytics task: the panel now recommends self-hosting.
            expect(recommended).to_have_text(open_label)
            expect(owner.locator("#recommendation-body li")).to_contain_text(["Confidential data"])
            owner.check("#id_human_checks_output")
            owner.fill("#id_monthly_requests", "300")
            owner.fill("#id_avg_input_tokens", "4000")
            owner.fill("#id_avg_output_tokens", "800")
            owner.select_option("[name='models-0-ai_model']", closed_pk)
            owner.select_option("[name='models-0-deployment']", "closed_api")
            owner.fill("[name='tasks-0-description']", "Draft the monthly churn analysis")
            owner.select_option("[name='tasks-0-performer']", "ai")
            owner.fill("[name='tasks-1-description']", "Check the analysis and decide on actions")
            owner.select_option("[name='tasks-1-performer']", "human")
            owner.fill("[name='kpis-0-name']", "Hours spent on the monthly report")
            owner.fill("[name='kpis-0-unit']", "hours")
            owner.select_option("[name='kpis-0-direction']", "decrease")
            owner.fill("[name='kpis-0-baseline']", "16")
            owner.fill("[name='kpis-0-target']", "4")
            expect(recommended).to_have_text(open_label)  # later answers do not change it back
            shot("01-form-filled")

            _save_draft(owner)
            owner.wait_for_url(detail_url)
            reference = detail_url.match(owner.url).group(1)
            use_case_url = f"{base}/usecases/{reference}/"
            expect(owner.locator("#status")).to_have_text("Draft")
            expect(owner.locator("#missing-items")).to_have_count(0)
            owner.click("#submit-button")
            expect(owner.locator("#status")).to_have_text("Submitted")

            # 2. The policy checks block it; the recommendation is shown beside them.
            blocking = owner.locator("#findings li[data-severity=block]")
            expect(blocking.first).to_be_visible()
            rules = set(blocking.evaluate_all("items => items.map(item => item.dataset.rule)"))
            assert rules & {"classification.zero-retention", "vendor.approved-below-level"}, rules
            assert rules <= BLOCKING_RULES, rules
            expect(owner.locator("#governance #recommended-style")).to_have_text(open_label)
            expect(owner.locator("#stages tr[data-stage=it-review]")).to_have_attribute("data-status", "pending")
            shot("02-submitted-blocked")

            # 3. The reviewer (in Japanese) cannot approve, and asks for changes.
            current = checker
            log_in_as(checker, base, "reviewer")
            expect(checker.locator("html")).to_have_attribute("lang", "ja")
            checker.goto(use_case_url)
            expect(checker.locator("#decide-form")).to_be_visible()
            _decide(checker, "approve")
            expect(checker.locator(".alert-danger")).to_contain_text(below_level_ja)
            expect(checker.locator("#stages tr[data-stage=it-review]")).to_have_attribute("data-status", "pending")
            shot("03-approval-refused")
            _decide(checker, "request_changes", "Confidential data cannot go to this vendor: use a self-hosted model.")
            expect(checker.locator("#stages tr[data-stage=it-review]")).to_have_attribute(
                "data-status", "changes_requested"
            )
            expect(checker.locator("#decide-form")).to_have_count(0)
            shot("04-changes-requested")

            # 4. The requester switches to the open model run in-house and resubmits.
            current = owner
            owner.goto(use_case_url)
            expect(owner.locator("#status")).to_have_text("Changes requested")
            owner.click(f"a[href='/usecases/{reference}/edit/']")
            owner.wait_for_url(f"{use_case_url}edit/")
            expect(owner.locator("[name='models-0-ai_model']")).to_have_value(closed_pk)
            owner.select_option("#id_intended_style", "open_self_hosted")
            owner.select_option("[name='models-0-ai_model']", open_pk)
            owner.select_option("[name='models-0-deployment']", "open_self_hosted")
            expect(owner.locator("#recommended-style")).to_have_text(open_label)
            shot("05-edit-open-model")
            _save_draft(owner)
            owner.wait_for_url(use_case_url)
            expect(owner.locator("#findings li[data-severity=block]")).to_have_count(0)
            expect(owner.locator("#submit-button")).to_have_text("Resubmit for review")
            owner.click("#submit-button")
            expect(owner.locator("#status")).to_have_text("In review")
            expect(owner.locator("#findings li[data-severity=block]")).to_have_count(0)
            expect(owner.locator("#findings li[data-rule='open.readiness-missing']")).to_have_count(1)
            shot("06-resubmitted")

            # 5. The reviewer approves every stage waiting for them.
            current = checker
            checker.goto(use_case_url)
            for _round in range(MAX_STAGES):
                if checker.locator("#decide-form").count() == 0:
                    break
                _decide(checker, "approve")
                expect(checker.locator(".alert-danger")).to_have_count(0)
            expect(checker.locator("#status")).to_have_text(approved_ja)
            expect(checker.locator("#decide-form")).to_have_count(0)
            expect(checker.locator("#stages tr[data-stage=it-review][data-status=approved]")).to_have_count(1)
            shot("07-approved")

            # 6. The requester sees the approval and the whole history (newest first).
            current = owner
            owner.goto(use_case_url)
            expect(owner.locator("#status")).to_have_text("Approved")
            expect(owner.locator("#history")).to_contain_text("use a self-hosted model")
            history = owner.locator("#history li").all_inner_texts()[::-1]
            expected = [": created", ": submitted", ": requested changes", ": updated", ": resubmitted", ": approved ("]
            assert _in_order(history, expected), history
            shot("08-history")
        except Exception:
            with contextlib.suppress(Exception):
                shot("failure")
            raise
        finally:
            owner_context.close()
            reviewer_context.close()
            browser.close()

    use_case = UseCase.objects.get(reference=reference)
    assert use_case.status == UseCaseStatus.APPROVED
    assert use_case.roadmap_step == 2
    assert use_case.next_review_on is not None
    assert use_case.approved_at is not None
    assert use_case.intended_style == "open_self_hosted"
    assert list(use_case.model_choices.values_list("ai_model_id", "deployment")) == [
        (open_model.pk, "open_self_hosted")
    ]
    assert not Finding.objects.filter(use_case=use_case, severity=FindingSeverity.BLOCK).exists()
    events = AuditEvent.objects.for_object(use_case).order_by("created_at", "pk")
    actions = list(events.values_list("action", flat=True))
    milestones = [action for action in actions if action in {"submit", "request_changes", "resubmit", "approve"}]
    assert milestones == ["submit", "request_changes", "resubmit", "approve"], actions
    assert actions[0] == "create"
    assert "update" in actions[actions.index("request_changes") : actions.index("resubmit")]
