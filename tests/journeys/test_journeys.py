"""The whole product in a real browser, across roles, in Japanese and in English.

1. A marketer logs in, registers a use case on a closed API model through the web form and
   submits it; the policy checks block it because the model's vendor is not approved.
2. An IT reviewer finds it in the review queue, is refused when approving, follows the model
   to its vendor and sends the vendor risk questionnaire; the vendor contact answers through
   the expiring link (no account) and submits; the reviewer approves the vendor, then both
   approval stages the use case's tier needs (IT review, data and security review).
3. The marketer records the closed pilot, starts it, records a KPI measurement, skips the
   open-model proof of concept with a reason, decides the hybrid role, goes live and moves the
   use case to step 6 (rules and education: the policy acknowledgement and the training it
   needs are prepared through the services, as an admin and the marketer would have).
4. An executive sees it counted on the dashboard, creates an API token on /accounts/tokens/
   and reads the adoption API and the use-case API with it: the use case is live.

Headless Debian Chromium through Playwright's sync API against pytest-django's
``live_server``. Every browser asks for the *other* language and each person switches the UI
with the site's language select on the login page; the vendor's page follows the contact's
language. Every page is watched: console errors, uncaught exceptions, Content-Security-Policy
violations, failed requests and server errors fail the test, and a Japanese page may show no
English text the catalogue translates. Screenshots of every step go to
``test-artifacts/journeys/<language>/NN-<step>.png``.
"""

import contextlib
import datetime
import re
import shutil
import time
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import expect, sync_playwright

from governance.choices import StageStatus
from governance.education import services as education
from governance.models import ApprovalStage, StageDefinition
from governance.rules import RULES
from portal.choices import DataClassification
from portal.models import ApiToken, AuditEvent
from tests.browser import (
    LOCALES,
    OTHER_LANGUAGE,
    Watch,
    english_fragments,
    in_language,
    log_in,
    post,
    untranslated_on,
)
from tests.conftest import CHROMIUM_ARGS
from tests.factories import AIModelFactory, VendorContactFactory, VendorFactory, published_version
from tests.vendors.helpers import answer_for, needs_file
from usecases.choices import RoadmapStep, UseCaseStatus
from usecases.models import ExchangeRate, UseCase
from vendors import assessments as vendor_assessments
from vendors.choices import AnswerType, AssessmentStatus, VendorStatus
from vendors.models import Assessment, Vendor

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "journeys"
LINK_PATTERN = re.compile(r"https?://\S+/vendor/questionnaire/\S+/")
EVIDENCE = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
# The volume and prices the cost figures follow from (per month: requests x tokens x USD per
# million tokens, converted at the seeded USD rate).
MONTHLY_REQUESTS, TOKENS_IN, TOKENS_OUT = 10_000, 1_000, 500
PRICE_IN, PRICE_OUT = Decimal("2.50"), Decimal("10.00")
# Customer-facing output: the "limited" tier, approved by IT review then data and security review.
STAGES = ["it-review", "data-security-review"]

# What each person types, in the journey's language.
TEXT = {
    "ja": {
        "title": "ジャーニー試験: 商品説明文の下書き",
        "summary": "ECサイトの商品説明文をAIが下書きし、担当者が確認してから公開する。",
        "task_ai": "商品仕様から説明文を下書きする",
        "task_human": "内容を確認し、公開するか判断する",
        "kpi": "説明文1本あたりの作成時間",
        "unit": "分",
        "vendor": "ジャーニーAI株式会社",
        "contact": "佐藤 花子",
        "answer": "当社の方針に従い、顧客データを学習に使いません。",
        "findings": "回答と証跡を確認し、機密情報まで承認する。",
        "scope": "EC担当チームが1か月間、商品説明文の下書きに使う。",
        "results": "作成時間が30分から12分に短縮。担当者の評価も良い。",
        "note": "パイロット1か月目",
        "skip": "クローズドAIで十分で、オープンモデルの調整は割に合わない。",
        "rationale": "定型的な下書きのため、クローズドAPIが最も安く運用できる。",
        "token": "BIダッシュボード",
    },
    "en": {
        "title": "Journey test: product description drafts",
        "summary": "AI drafts the shop's product descriptions; a person checks each before it is published.",
        "task_ai": "Draft the description from the product specification",
        "task_human": "Check the text and decide whether to publish it",
        "kpi": "Minutes spent per description",
        "unit": "minutes",
        "vendor": "Journey AI Inc.",
        "contact": "Hanako Sato",
        "answer": "Per our policy, customer data is never used for training.",
        "findings": "Answers and evidence checked; approved up to confidential data.",
        "scope": "The e-commerce team drafts product descriptions with it for a month.",
        "results": "Drafting time down from 30 to 12 minutes; the team likes the drafts.",
        "note": "First month of the pilot",
        "skip": "Closed AI is enough here; customising an open model is not worth it.",
        "rationale": "Routine drafting: the closed API is cheapest to run.",
        "token": "BI dashboard",
    },
}


def _labels(language):
    """Everything the journey reads on the pages, as rendered in ``language`` (no database)."""
    _ = lambda label, **values: in_language(language, label, **values)  # noqa: E731
    return {
        "log_in": _("Log in"),
        "register": _("Register a use case"),
        "draft": _(UseCaseStatus.DRAFT.label),
        "submitted": _(UseCaseStatus.SUBMITTED.label),
        "in_review": _(UseCaseStatus.IN_REVIEW.label),
        "approved": _(UseCaseStatus.APPROVED.label),
        "piloting": _(UseCaseStatus.PILOTING.label),
        "in_production": _(UseCaseStatus.IN_PRODUCTION.label),
        "vendor_not_approved": _(RULES["vendor.not-approved"].title),
        "no_findings": _("No findings: nothing in the rules stands in the way."),
        "queue": _("Review queue"),
        "prospective": _(VendorStatus.PROSPECTIVE.label),
        "under_assessment": _(VendorStatus.UNDER_ASSESSMENT.label),
        "vendor_approved": _(VendorStatus.APPROVED.label),
        "confidential": _(DataClassification.CONFIDENTIAL.label),
        "sent": _(AssessmentStatus.SENT.label),
        "assessment_submitted": _(AssessmentStatus.SUBMITTED.label),
        "assessment_approved": _(AssessmentStatus.APPROVED.label),
        "submit_answers": _("Submit"),
        "vendor_thanks": _("Thank you. Your answers were submitted."),
        "stage_approved": _(StageStatus.APPROVED.label),
        "step2": _(RoadmapStep.GOVERNANCE.label),
        "step3": _(RoadmapStep.CLOSED_START.label),
        "step5": _(RoadmapStep.HYBRID.label),
        "step6": _(RoadmapStep.RULES_EDUCATION.label),
        "start_pilot": _("Start the closed pilot"),
        "move_to_6": _("Move to step %(step)s", step=6),
        "saved": _("Saved."),
        "moved_to_3": _("Moved to %(step)s.", step=_(RoadmapStep.CLOSED_START.label)),
        "moved_to_5": _("Moved to %(step)s.", step=_(RoadmapStep.HYBRID.label)),
        "moved_to_6": _("Moved to %(step)s.", step=_(RoadmapStep.RULES_EDUCATION.label)),
        "measured": _("Measurement recorded."),
        "roles_saved": _("The hybrid decision is saved."),
        "live": _("The use case is in production."),
        "dashboard": _("Adoption dashboard"),
        "tokens": _("Your API tokens"),
        "token_created": _(
            "Token “%(name)s” created. Copy the key now; it will not be shown again:", name=TEXT[language]["token"]
        ),
    }


def _decide(page, decision):
    """Record a decision on the current approval stage; the page reloads on the use case."""
    page.check(f"#decide-form input[name='stage-decision'][value='{decision}']")
    with page.expect_navigation():
        page.click("#decide-button")


def _wait_for_invitation(outbox, address, seconds=10):
    """The invitation is sent by a Celery task enqueued on commit (eager in tests)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        mails = [mail for mail in outbox if address in mail.to]
        if mails:
            return mails[-1]
        time.sleep(0.1)
    raise AssertionError(f"no invitation e-mail to {address} arrived in the outbox")


def _prepare_rules_and_education(admin, marketer, language):
    """Step 6's prerequisites, as the governance admin and the marketer would have done them
    on the rules-and-education pages (tests/governance/test_browser_education.py walks those):
    usage rules in force and acknowledged by the marketer, a required course completed."""
    document = education.save_policy_document(
        admin, {"key": "usage-rules", "title_ja": "生成AI利用ルール", "title_en": "Generative AI usage rules"}
    )
    draft = education.save_draft_version(document, admin, "# 利用ルール\n\n- 機密情報を入力しない", "# Usage rules")
    education.acknowledge(education.publish_version(draft, admin), marketer)
    course = education.save_course(
        admin,
        {"key": "ai-literacy", "title_ja": "生成AIリテラシー研修", "title_en": "AI literacy", "validity_months": 12},
    )
    education.record_completion(
        course, admin, person=marketer, completed_on=timezone.localdate() - datetime.timedelta(days=10)
    )


def _expected_spend(model):
    """The use case's monthly cost in the reporting currency, from its volume and the model's prices."""
    per_request = (TOKENS_IN * PRICE_IN + TOKENS_OUT * PRICE_OUT) / Decimal(1_000_000)
    rate = ExchangeRate.objects.get(currency=model.currency).rate
    return (per_request * MONTHLY_REQUESTS * rate).quantize(Decimal(1))


def _row(page, table, label):
    """The figure in ``table``'s row whose first cell reads ``label``."""
    row = page.locator(f"{table} tr").filter(
        has=page.locator("td:first-child", has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))
    )
    expect(row).to_have_count(1)
    return row.locator("td").last


class Journey:
    """One language's walk: the pages, the watch, the screenshots and the translation check."""

    def __init__(self, language, base, facts):
        self.language, self.base, self.facts = language, base, facts
        self.labels, self.text = facts["labels"], TEXT[language]
        self.folder = ARTIFACTS / language
        self.watch = Watch()
        self.shots = 0
        self.english_seen = {}  # screenshot -> English messages the Japanese catalogue translates, seen on it
        self.current = None

    def shot(self, name, page=None):
        """Screenshot the page, after checking its language and which English messages it shows
        (none on a Japanese page; on an English one, the check proves it reads the page)."""
        page = page or self.current
        expect(page.locator("html")).to_have_attribute("lang", self.language)
        self.shots += 1
        self.english_seen[f"{self.shots:02d}-{name} {page.url}"] = untranslated_on(page, self.facts["english"])
        page.screenshot(path=str(self.folder / f"{self.shots:02d}-{name}.png"), full_page=True)

    # --- 1. The marketer ---------------------------------------------------------------------

    def marketer_registers_and_submits(self, page):
        labels, text, base = self.labels, self.text, self.base
        self.current = page
        log_in(page, base, "requester", self.language, labels)
        self.shot("marketer-logged-in")

        page.click("nav a.nav-link[href='/usecases/new/']")
        page.wait_for_url(f"{base}/usecases/new/")
        expect(page.locator("h1")).to_have_text(labels["register"])
        page.fill("#id_title", text["title"])
        page.fill("#id_summary", text["summary"])
        page.select_option("#id_category", "content_seo")
        page.select_option("#id_audience", "customer_facing")
        page.select_option("#id_data_classification", "internal")
        page.select_option("#id_intended_style", "closed_api")
        page.check("#id_customers_see_output")
        page.check("#id_human_checks_output")
        page.fill("#id_monthly_requests", str(MONTHLY_REQUESTS))
        page.fill("#id_avg_input_tokens", str(TOKENS_IN))
        page.fill("#id_avg_output_tokens", str(TOKENS_OUT))
        page.select_option("[name='models-0-ai_model']", self.facts["model_pk"])
        page.select_option("[name='models-0-deployment']", "closed_api")
        page.fill("[name='tasks-0-description']", text["task_ai"])
        page.select_option("[name='tasks-0-performer']", "ai")
        page.fill("[name='tasks-1-description']", text["task_human"])
        page.select_option("[name='tasks-1-performer']", "human")
        page.fill("[name='kpis-0-name']", text["kpi"])
        page.fill("[name='kpis-0-unit']", text["unit"])
        page.select_option("[name='kpis-0-direction']", "decrease")
        page.fill("[name='kpis-0-baseline']", "30")
        page.fill("[name='kpis-0-target']", "10")
        self.shot("usecase-form-filled")

        post(page, "#save-draft")
        detail_url = re.compile(re.escape(base) + r"/usecases/(UC-[^/]+)/$")
        assert detail_url.match(page.url), page.url
        self.reference = detail_url.match(page.url).group(1)
        self.use_case_url = f"{base}/usecases/{self.reference}/"
        expect(page.locator("h1")).to_contain_text(text["title"])
        expect(page.locator("#status")).to_have_text(labels["draft"])
        expect(page.locator("#missing-items")).to_have_count(0)
        self.shot("draft-saved")

        post(page, "#submit-button")
        expect(page.locator("#status")).to_have_text(labels["submitted"])
        expect(page.locator("#submit-button")).to_have_count(0)
        # The vendor is not approved yet: the policy checks block approval, and say why.
        blocking = page.locator("#findings li[data-severity=block]")
        expect(blocking).to_have_count(1)
        expect(blocking).to_have_attribute("data-rule", "vendor.not-approved")
        expect(blocking).to_contain_text(labels["vendor_not_approved"])
        expect(page.locator("#stages tbody tr")).to_have_count(len(STAGES))
        for code in STAGES:
            expect(page.locator(f"#stages tr[data-stage='{code}']")).to_have_attribute("data-status", "pending")
        self.shot("submitted-blocked-by-vendor")

    # --- 2. The IT reviewer and the vendor ---------------------------------------------------

    def reviewer_assesses_the_vendor(self, page, vendor_page, outbox):
        labels, text, base, facts = self.labels, self.text, self.base, self.facts
        self.current = page
        log_in(page, base, "reviewer", self.language, labels)
        page.click("nav a.nav-link[href='/governance/queue/']")
        page.wait_for_url(f"{base}/governance/queue/")
        expect(page.locator("h1")).to_have_text(labels["queue"])
        row = page.locator("#queue tbody tr", has_text=self.reference)
        expect(row).to_have_count(1)
        self.shot("review-queue")

        row.locator(f"a[href='/usecases/{self.reference}/']").click()
        page.wait_for_url(self.use_case_url)
        expect(page.locator("#decide-form")).to_be_visible()
        # Approving is refused while the vendor is not approved; the stage stays open.
        _decide(page, "approve")
        expect(page.locator(".alert-danger")).to_contain_text(labels["vendor_not_approved"])
        expect(page.locator("#stages tr[data-stage='it-review']")).to_have_attribute("data-status", "pending")
        self.shot("approval-refused")

        # From the use case's model to its vendor, and the questionnaire sent to the contact.
        page.click(f"a[href='/vendors/models/{facts['model_pk']}/']")
        page.wait_for_url(f"{base}/vendors/models/{facts['model_pk']}/")
        page.click(f"a[href='/vendors/{facts['vendor_pk']}/']")
        page.wait_for_url(f"{base}/vendors/{facts['vendor_pk']}/")
        expect(page.locator("#vendor-status")).to_have_text(labels["prospective"])
        page.click("#send-assessment")
        page.wait_for_url(f"{base}/vendors/{facts['vendor_pk']}/send-assessment/")
        page.select_option("#id_contact", facts["contact_pk"])
        page.select_option("#id_template_version", facts["version_pk"])
        expect(page.locator("#id_template_version option:checked")).to_contain_text(facts["template_name"])
        self.shot("send-questionnaire")
        post(page, "#submit-id-save")
        assessment_url = re.compile(re.escape(base) + r"/vendors/assessments/([^/]+)/$")
        assert assessment_url.match(page.url), page.url
        self.assessment = assessment_url.match(page.url).group(1)
        expect(page.locator("#assessment-status")).to_have_text(labels["sent"])
        self.shot("questionnaire-sent")

        # The contact opens the link from the e-mail: no account, the page in the contact's language.
        self.current = vendor_page
        invitation = _wait_for_invitation(outbox, facts["contact_email"])
        link = LINK_PATTERN.search(invitation.body)
        assert link, f"no questionnaire link in the e-mail:\n{invitation.body}"
        vendor_page.goto(f"{base}{urlsplit(link.group(0)).path}")  # SITE_URL is not the live server's address
        expect(vendor_page.locator("h1")).to_have_text(facts["template_name"])
        expect(vendor_page.locator("#submit-answers")).to_have_text(labels["submit_answers"])
        for question in facts["questions"]:
            name = f"q-{question.id}"
            value = answer_for(question)
            if question.answer_type in (AnswerType.YES_NO, AnswerType.SINGLE):
                vendor_page.check(f"input[type=radio][name='{name}'][value='{value}']")
            elif question.answer_type == AnswerType.MULTIPLE:
                for item in value:
                    vendor_page.check(f"input[type=checkbox][name='{name}'][value='{item}']")
            elif question.answer_type == AnswerType.TEXT:
                vendor_page.fill(f"textarea[name='{name}']", text["answer"])
            elif value is not None:
                vendor_page.fill(f"input[name='{name}']", value)
            if needs_file(question):
                vendor_page.set_input_files(f"input[type=file][name='f-{question.id}']", facts["evidence"])
        self.shot("vendor-answers-filled")
        post(vendor_page, "#submit-answers")
        expect(vendor_page.locator(".alert-success")).to_have_text(labels["vendor_thanks"])
        expect(vendor_page.locator("#read-only")).to_be_visible()
        expect(vendor_page.locator("#submit-answers")).to_have_count(0)
        self.shot("vendor-submitted")

        # The reviewer reads the score and approves the vendor up to confidential data.
        self.current = page
        page.goto(f"{base}/vendors/assessments/{self.assessment}/")
        expect(page.locator("#assessment-status")).to_have_text(labels["assessment_submitted"])
        expect(page.locator("#score")).to_have_text(re.compile(r"^\s*\d+(\.\d+)?\s*%\s*$"))
        expect(page.locator("#knockouts")).to_have_text("0")
        expect(page.locator("#answers")).to_contain_text(text["answer"])
        page.check("#decision-form input[type=radio][name=decision][value=approve]")
        page.select_option("#decision-form select[name=approved_level]", DataClassification.CONFIDENTIAL.value)
        page.fill("#decision-form [name=findings]", text["findings"])
        self.shot("vendor-decision")
        post(page, "#decision-form button[type=submit]")
        expect(page.locator("#assessment-status")).to_have_text(labels["assessment_approved"])
        page.click(f"a[href='/vendors/{facts['vendor_pk']}/']")
        expect(page.locator("#vendor-status")).to_have_text(labels["vendor_approved"])
        expect(page.locator("#approved-level")).to_have_text(labels["confidential"])
        # The history names the assessment's states in the reader's language, not their codes.
        history = page.locator("#history")
        for state in ("sent", "assessment_submitted", "assessment_approved"):
            expect(history).to_contain_text(f"→ {labels[state]}")
        expect(history).not_to_contain_text(re.compile(r"→ (sent|in_progress|submitted|approved)\b"))
        self.shot("vendor-approved")

    def reviewer_approves_every_stage(self, page):
        labels = self.labels
        self.current = page
        page.goto(self.use_case_url)
        # The vendor's approval re-ran the policy checks: nothing blocks any more.
        expect(page.locator("#findings li[data-severity=block]")).to_have_count(0)
        for number, code in enumerate(STAGES, start=1):
            current = page.locator(f"#stages tr[data-stage='{code}']")
            expect(current.locator(".current-stage")).to_be_visible()  # the "current" badge
            _decide(page, "approve")
            expect(page.locator(".alert-danger")).to_have_count(0)
            expect(current).to_have_attribute("data-status", "approved")
            expect(current.locator("td").nth(3)).to_contain_text(labels["stage_approved"])
            # The history names the stage decided, in the reader's language (not its code).
            expect(page.locator("#history li").first).to_contain_text(f"· {self.facts['stage_names'][code]}")
            expect(page.locator("#status")).to_have_text(labels["approved" if number == len(STAGES) else "in_review"])
            self.shot(f"stage-{code}-approved")
        expect(page.locator("#decide-form")).to_have_count(0)
        expect(page.locator("#history")).not_to_contain_text(re.compile("|".join(f"· {code}" for code in STAGES)))

    # --- 3. Pilot and production through the roadmap -----------------------------------------

    def marketer_pilots_and_goes_live(self, page):
        labels, text, facts = self.labels, self.text, self.facts
        self.current = page
        roadmap_url = f"{self.use_case_url}roadmap/"
        success = page.locator(".alert-success")
        current_step = page.locator("#roadmap-steps li[aria-current=step]")

        page.goto(self.use_case_url)
        expect(page.locator("#status")).to_have_text(labels["approved"])
        page.click("#roadmap-link")
        page.wait_for_url(roadmap_url)
        expect(current_step).to_have_text(labels["step2"])
        expect(page.locator("#advance-button")).to_have_text(labels["start_pilot"])
        self.shot("roadmap-approved")

        page.click("#edit-pilot")
        page.wait_for_url(f"{roadmap_url}pilot/")
        page.select_option("#id_ai_model", facts["model_pk"])
        page.fill("#id_scope", text["scope"])
        page.fill("#id_starts_on", facts["pilot_start"])
        page.fill("#id_planned_end_on", facts["pilot_end"])
        page.fill("#id_results", text["results"])
        self.shot("pilot-form")
        post(page, "#submit-id-save")
        assert page.url == roadmap_url, page.url
        expect(success).to_have_text(labels["saved"])
        expect(page.locator("#next-step-ready")).to_be_visible()
        post(page, "#advance-button")
        expect(success).to_have_text(labels["moved_to_3"])
        expect(page.locator("#status")).to_have_text(labels["piloting"])
        expect(current_step).to_have_text(labels["step3"])
        self.shot("pilot-started")

        # A KPI measurement since the pilot started (the pilot's results need one).
        page.click(f"a[href='/usecases/{self.reference}/']")
        page.wait_for_url(self.use_case_url)
        page.click("#record-measurement")
        page.wait_for_url(f"{self.use_case_url}measurements/new/")
        page.fill("#id_measured_on", facts["today"])
        page.fill("#id_value", "12")
        page.fill("#id_note", text["note"])
        post(page, "#submit-id-save")
        assert page.url == self.use_case_url, page.url
        expect(success).to_have_text(labels["measured"])
        self.shot("kpi-measured")

        # The open-model proof of concept is skipped, with the reason: straight to step 5.
        page.click("#roadmap-link")
        page.wait_for_url(roadmap_url)
        page.fill("#skip-poc-form textarea[name='skip-reason']", text["skip"])
        post(page, "#skip-poc-button")
        expect(success).to_have_text(labels["moved_to_5"])
        expect(current_step).to_have_text(labels["step5"])
        expect(page.locator("#poc-skipped")).to_contain_text(text["skip"])

        # The hybrid decision: the closed API model runs day-to-day operations.
        page.click("#edit-roles")
        page.wait_for_url(f"{roadmap_url}roles/")
        page.select_option("select[name$='-role']", "operations")
        page.fill("textarea[name$='-rationale']", text["rationale"])
        self.shot("hybrid-roles")
        post(page, "#save-roles")
        expect(success).to_have_text(labels["roles_saved"])
        expect(page.locator("#go-live-unmet")).to_have_count(0)

        post(page, "#go-live-button")
        expect(success).to_have_text(labels["live"])
        expect(page.locator("#status")).to_have_text(labels["in_production"])
        self.shot("in-production")

        # Step 6: the usage rules are acknowledged and the training is held.
        expect(page.locator("#next-step-ready")).to_be_visible()
        expect(page.locator("#advance-button")).to_have_text(labels["move_to_6"])
        post(page, "#advance-button")
        expect(success).to_have_text(labels["moved_to_6"])
        expect(current_step).to_have_text(labels["step6"])
        expect(page.locator("#status")).to_have_text(labels["in_production"])
        self.shot("rules-and-education")

    # --- 4. The executive ----------------------------------------------------------------------

    def executive_sees_it_and_takes_a_token(self, page):
        labels, base, facts = self.labels, self.base, self.facts
        self.current = page
        log_in(page, base, "executive", self.language, labels)
        page.click("nav a.nav-link[href='/dashboard/']")
        page.wait_for_url(f"{base}/dashboard/")
        expect(page.locator("h1")).to_have_text(labels["dashboard"])
        expect(page.locator("#figure-total")).to_have_text("1")
        expect(page.locator("#figure-pending")).to_have_text("0")
        expect(_row(page, "#by-status", labels["in_production"])).to_have_text("1")
        expect(page.locator("#by-status tbody tr")).to_have_count(1)
        expect(_row(page, "#by-step", labels["step6"])).to_have_text("1")
        expect(page.locator("#figure-spend")).to_have_text(facts["spend"])
        page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('chart-status'))")
        self.shot("dashboard")

        # The navbar's API menu: a Bootstrap dropdown (JavaScript) holding the tokens page.
        menu = page.locator("nav li.dropdown", has=page.locator("a[href='/accounts/tokens/']"))
        menu.locator(".dropdown-toggle").click()
        menu.locator("a[href='/accounts/tokens/']").click()
        page.wait_for_url(f"{base}/accounts/tokens/")
        expect(page.locator("h1")).to_have_text(labels["tokens"])
        page.fill("#id_name", self.text["token"])
        with page.expect_navigation():
            page.click("#create-token")
        expect(page.locator("#new-token strong")).to_have_text(labels["token_created"])
        key = page.locator("#new-token-key").input_value()
        assert len(key) >= 40, key
        self.shot("api-token-created")
        return key


def _api_checks(playwright, base, key, language, reference, labels, spend):
    """The adoption API and the use-case API, read with the token (and refused without it)."""
    headers = {"Accept-Language": language}
    api = playwright.request.new_context(base_url=base, extra_http_headers=headers)
    try:
        anonymous = api.get("/api/v1/adoption/summary/")
        assert anonymous.status in (401, 403), anonymous.status
        token = {"Authorization": f"Token {key}"}

        summary = api.get("/api/v1/adoption/summary/", headers=token)
        assert summary.status == 200, summary.text()
        figures = summary.json()
        assert figures["total"] == 1, figures
        live = next(row for row in figures["by_status"] if row["key"] == UseCaseStatus.IN_PRODUCTION)
        assert (live["count"], live["label"]) == (1, labels["in_production"]), live
        assert sum(row["count"] for row in figures["by_status"]) == 1, figures["by_status"]
        step6 = next(row for row in figures["by_roadmap_step"] if row["key"] == str(RoadmapStep.RULES_EDUCATION))
        assert step6["count"] == 1, figures["by_roadmap_step"]

        costs = api.get("/api/v1/adoption/cost-value/", headers=token)
        assert costs.status == 200, costs.text()
        assert Decimal(str(costs.json()["total"]["closed"])).quantize(Decimal(1)) == spend, costs.json()["total"]

        detail = api.get(f"/api/v1/use-cases/{reference}/", headers=token)
        assert detail.status == 200, detail.text()
        use_case = detail.json()
        assert (use_case["status"], use_case["roadmap_step"]) == ("in_production", 6), use_case
        assert use_case["approved_at"], use_case

        listed = api.get("/api/v1/use-cases/", headers=token, params={"status": "in_production"})
        assert listed.status == 200, listed.text()
        body = listed.json()
        rows = body["results"] if isinstance(body, dict) else body
        assert [row["reference"] for row in rows] == [reference], rows
    finally:
        api.dispose()


@pytest.mark.browser
# Groups, permissions, the classification matrix, stage definitions, questionnaire templates,
# licences and exchange rates come from data migrations; a transactional test's flush would
# delete them, so restore them.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("language", ["ja", "en"])
def test_marketer_to_executive_journey(
    language, live_server, chromium_path, requester, reviewer, executive, admin_user, settings, mailoutbox, tmp_path
):
    folder = ARTIFACTS / language
    shutil.rmtree(folder, ignore_errors=True)  # only this run's screenshots
    folder.mkdir(parents=True)
    settings.MEDIA_ROOT = str(tmp_path / "media")
    base = live_server.url
    text = TEXT[language]

    # Everything the browser needs from the database, prepared and read before it starts.
    vendor = VendorFactory(name=text["vendor"], kind="closed_api", headquarters_country="JP")
    contact = VendorContactFactory(
        vendor=vendor, name=text["contact"], email="sato@journey-vendor.example", language=language
    )
    model = AIModelFactory(
        name="Journey-LLM",
        publisher=vendor,
        status="approved",
        price_input_per_million=PRICE_IN,
        price_output_per_million=PRICE_OUT,
    )
    version = published_version("genai-vendor-assessment")
    questions = vendor_assessments.questions_of(SimpleNamespace(template_version_id=version.pk))
    assert questions and any(needs_file(question) for question in questions)
    _prepare_rules_and_education(admin_user, requester, language)
    evidence = tmp_path / "evidence.pdf"
    evidence.write_bytes(EVIDENCE)
    today = timezone.localdate()
    spend = _expected_spend(model)
    labels = _labels(language)
    if language == "ja":
        english = _labels("en")
        untranslated = {name: label for name, label in labels.items() if label == english[name]}
        assert not untranslated, f"the Japanese catalogue does not translate: {untranslated}"
    facts = {
        "labels": labels,
        "english": english_fragments("ja"),
        "model_pk": str(model.pk),
        "vendor_pk": str(vendor.pk),
        "contact_pk": str(contact.pk),
        "contact_email": contact.email,
        "version_pk": str(version.pk),
        "template_name": version.template.name_ja if language == "ja" else version.template.name_en,
        "questions": questions,
        "evidence": str(evidence),
        "today": today.isoformat(),
        "pilot_start": (today - datetime.timedelta(days=14)).isoformat(),
        "pilot_end": (today + datetime.timedelta(days=30)).isoformat(),
        "spend": f"{spend:,}",
        "stage_names": {code: in_language(language, StageDefinition.objects.get(code=code)) for code in STAGES},
    }
    journey = Journey(language, base, facts)
    other = LOCALES[OTHER_LANGUAGE[language]]

    # No database queries inside this block: under Playwright's sync API Django's
    # context-local connection is a second one that nothing closes, and the open
    # session then blocks dropping the PostgreSQL test database.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        try:
            marketer = journey.watch.new_page(browser, "marketer", other)
            reviewing = journey.watch.new_page(browser, "reviewer", other)
            vendor_page = journey.watch.new_page(browser, "vendor", other)
            executive_page = journey.watch.new_page(browser, "executive", other)
            try:
                journey.marketer_registers_and_submits(marketer)
                journey.reviewer_assesses_the_vendor(reviewing, vendor_page, mailoutbox)
                journey.reviewer_approves_every_stage(reviewing)
                journey.marketer_pilots_and_goes_live(marketer)
                key = journey.executive_sees_it_and_takes_a_token(executive_page)
            except Exception as error:
                with contextlib.suppress(Exception):
                    journey.current.screenshot(path=str(folder / "failure.png"), full_page=True)
                if journey.watch.problems:
                    error.add_note("What the browser reported:\n" + "\n".join(journey.watch.problems))
                raise
            _api_checks(playwright, base, key, language, journey.reference, labels, spend)
        finally:
            browser.close()

    assert journey.watch.problems == [], "\n".join(journey.watch.problems)
    if language == "ja":
        untranslated = {page: found for page, found in journey.english_seen.items() if found}
        assert untranslated == {}, f"English left on Japanese pages: {untranslated}"
    else:
        unread = [page for page, found in journey.english_seen.items() if not found]
        assert unread == [], f"the translation check found no English on these English pages: {unread}"

    use_case = UseCase.objects.get(reference=journey.reference)
    assert (use_case.owner, use_case.department, use_case.title) == (requester, requester.department, text["title"])
    assert (use_case.status, use_case.roadmap_step) == (UseCaseStatus.IN_PRODUCTION, RoadmapStep.RULES_EDUCATION)
    assert use_case.effective_risk_tier == "limited"
    assert use_case.estimated_closed_cost.quantize(Decimal(1)) == spend
    stages = ApprovalStage.objects.filter(use_case=use_case).order_by("position")
    assert [(s.definition.code, s.status, s.decided_by) for s in stages] == [
        (code, StageStatus.APPROVED, reviewer) for code in STAGES
    ]
    assessment = Assessment.objects.get(reference=journey.assessment)
    assert (assessment.status, assessment.decided_by, assessment.knockout_count) == (
        AssessmentStatus.APPROVED,
        reviewer,
        0,
    )
    assert assessment.answers.count() == len(questions)
    vendor = Vendor.objects.get(pk=vendor.pk)
    assert (vendor.status, vendor.approved_level) == (VendorStatus.APPROVED, DataClassification.CONFIDENTIAL)
    events = AuditEvent.objects.for_object(use_case).order_by("created_at", "pk")
    actions = list(events.values_list("action", flat=True))
    moves = [a for a in actions if a in {"submit", "approve", "start_pilot", "skip_poc", "go_live", "advance_step"}]
    assert moves == ["submit", "approve", "start_pilot", "skip_poc", "go_live", "advance_step"], actions
    token = ApiToken.objects.get(user=executive)
    assert (token.name, token.revoked_at) == (text["token"], None)
    assert token.last_used_at is not None
    assert journey.shots >= 20 and len(list(folder.glob("*.png"))) == journey.shots


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_watch_sees_csp_violations_and_script_errors(live_server, chromium_path):
    """The journeys' watch is not blind: inline code (which the Content Security Policy must
    refuse) and an uncaught script error on a page are both reported."""
    watch = Watch()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        try:
            page = watch.new_page(browser, "probe", LOCALES["en"])
            page.goto(f"{live_server.url}/accounts/login/")
            assert watch.problems == [], watch.problems
            page.evaluate(
                """() => {
                    const script = document.createElement("script");
                    script.textContent = "window.inlineRan = true";
                    document.body.append(script);
                    setTimeout(() => { throw new Error("probe error"); }, 0);
                }"""
            )
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and len(watch.problems) < 3:
                page.wait_for_timeout(50)
            inline_ran = page.evaluate("() => window.inlineRan === true")
        finally:
            browser.close()
    assert not inline_ran, "inline script ran: the Content-Security-Policy does not forbid inline code"
    assert any("CSP violation (enforce): script-src" in problem for problem in watch.problems), watch.problems
    assert any("Content Security Policy" in problem for problem in watch.problems), watch.problems
    assert any("uncaught exception" in problem and "probe error" in problem for problem in watch.problems), (
        watch.problems
    )


def _probe(text):
    """The probe a failed request went to, or the whole report for any other request."""
    found = re.search(r"/probe-(\w+)/", text)
    return found[1] if found else text


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_watch_forgives_only_requests_the_page_abandoned(live_server, chromium_path):
    """A background request still running when the page moves on (the live recommendation
    when a form is submitted) is aborted by the browser: not a failure. The same abort while
    the page stays, or any other failed request, is one."""
    watch = Watch()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        try:
            page = watch.new_page(browser, "probe", LOCALES["en"])
            page.route("**/probe-broken/", lambda route: route.abort("aborted"))
            page.route("**/probe-refused/", lambda route: route.abort("connectionrefused"))
            page.route("**/probe-slow/", lambda route: None)  # never answered: pending until the page goes
            page.goto(f"{live_server.url}/accounts/login/")
            page.evaluate("() => ['/probe-broken/', '/probe-refused/'].forEach(url => fetch(url).catch(() => {}))")
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and len(watch.problems) < 2:
                page.wait_for_timeout(50)
            page.evaluate("() => { fetch('/probe-slow/').catch(() => {}); }")
            page.wait_for_timeout(200)
            page.goto(f"{live_server.url}/accounts/login/?again")
            # A request started after a navigation was issued but before it landed (the live
            # recommendation fired by the change event of the field a submit click leaves).
            page.route("**/probe-late/", lambda route: None)
            with page.expect_navigation():
                page.evaluate("() => { location.href = '?third'; fetch('/probe-late/').catch(() => {}); }")
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and len(watch.forgiven) < 2:
                page.wait_for_timeout(50)
        finally:
            browser.close()
    failed = sorted(_probe(text) for text in watch.problems if "request failed" in text)
    assert failed == ["broken", "refused"], watch.problems
    # (The page's own favicon request may be abandoned by a navigation too, and forgiven.)
    forgiven = sorted(_probe(text) for text in watch.forgiven if "/probe-" in text)
    assert forgiven == ["late", "slow"], watch.forgiven
