"""End to end in a real browser: the whole vendor assessment loop.

A reviewer sends the "Generative AI vendor assessment" questionnaire to a vendor
contact; the contact opens the link from the e-mail on a phone-sized screen (no
account), answers in Japanese, uploads evidence, saves and submits; the reviewer sees
the score and approves; the vendor's status, approved level and reassessment date
follow. Headless Debian Chromium through Playwright's sync API against pytest-django's
``live_server``. Screenshots of every step go to ``test-artifacts/vendor-assessment/``.
"""

import contextlib
import datetime
import re
import time
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import expect, sync_playwright

from portal.choices import DataClassification
from tests.browser import TIMEOUT_MS, in_language
from tests.conftest import CHROMIUM_ARGS
from tests.factories import PASSWORD, VendorContactFactory, VendorFactory, published_version
from vendors import assessments
from vendors.choices import AnswerType, AssessmentStatus, VendorStatus
from vendors.models import Assessment, EvidenceFile, Vendor

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "vendor-assessment"
PHONE = {"width": 390, "height": 844}
ANSWER_TEXT = "デモ回答です。当社の方針に従って対応しています。"
LINK_PATTERN = re.compile(r"https?://\S+/vendor/questionnaire/\S+/")


def _preferred_radio(values):
    """For a radio group: "yes" or "never" when offered (never a knockout in the seed), else the first."""
    for preferred in ("yes", "never"):
        if preferred in values:
            return preferred
    return values[0]


def _wait_for_invitation(outbox, seconds=10):
    """The invitation is sent by a Celery task enqueued on commit (eager in tests)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if outbox:
            return outbox[-1]
        time.sleep(0.1)
    raise AssertionError("no invitation e-mail arrived in the outbox")


@pytest.mark.browser
# Groups, permissions, licences and the seeded templates come from data migrations; a
# transactional test's flush would delete them, so restore the migrated contents.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_reviewer_sends_vendor_answers_in_japanese_and_reviewer_approves(
    live_server, chromium_path, reviewer, settings, mailoutbox, tmp_path
):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):  # only this run's screenshots
        old.unlink()
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    base = live_server.url

    # Everything the browser steps need from the database, read before the browser starts.
    vendor = VendorFactory(name="ブラウザ試験AI株式会社")
    contact = VendorContactFactory(vendor=vendor, name="山田 太郎", email="yamada@vendor.example", language="ja")
    version = published_version("genai-vendor-assessment")
    template_names = {"ja": version.template.name_ja, "en": version.template.name_en}
    questions = assessments.questions_of(SimpleNamespace(template_version_id=version.pk))
    assert questions, "the seeded template has no questions"
    evidence_questions = [q.id for q in questions if q.evidence_required or q.answer_type == AnswerType.FILE]
    assert evidence_questions, "the seeded template asks for no evidence"
    evidence = tmp_path / "evidence.pdf"
    evidence.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
    today = timezone.localdate()
    expected_next = {assessments.add_months(today, 12), assessments.add_months(today + datetime.timedelta(days=1), 12)}
    pentest_date = (today - datetime.timedelta(days=60)).isoformat()

    # No database queries inside this block: under Playwright's sync API Django's
    # context-local connection is a second one that nothing closes, and the open
    # session then blocks dropping the PostgreSQL test database.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        # The browsers ask for English: the vendor page switching to Japanese is the contact's language.
        staff = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
        staff.set_default_timeout(TIMEOUT_MS)
        outside = browser.new_context(locale="en-US", viewport=PHONE, is_mobile=True, has_touch=True)
        outside.set_default_timeout(TIMEOUT_MS)
        page = staff.new_page()
        phone = outside.new_page()
        current = page

        def shot(name, target=None):
            (target or current).screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

        try:
            # 1. The reviewer logs in.
            page.goto(f"{base}/accounts/login/")
            page.fill("#id_username", "reviewer")
            page.fill("#id_password", PASSWORD)
            shot("01-login")
            page.click("input[type=submit][name=submit]")
            page.wait_for_url(f"{base}/")
            staff_lang = page.locator("html").get_attribute("lang")

            # 2. The vendor page: "Send a questionnaire" to the contact.
            page.goto(f"{base}/vendors/{vendor.pk}/")
            expect(page.locator("h1")).to_contain_text(vendor.name)
            page.click("#send-assessment")
            page.wait_for_url(f"{base}/vendors/{vendor.pk}/send-assessment/")
            page.select_option("#id_contact", str(contact.pk))
            page.select_option("#id_template_version", str(version.pk))
            expect(page.locator("#id_template_version option:checked")).to_contain_text(template_names[staff_lang])
            shot("02-send-form")
            page.click("#submit-id-save")
            detail_url = re.compile(re.escape(base) + r"/vendors/assessments/([^/]+)/$")
            page.wait_for_url(detail_url)
            reference = detail_url.match(page.url).group(1)
            expect(page.locator("#assessment-status")).to_have_text(
                in_language(staff_lang, AssessmentStatus.SENT.label)
            )
            shot("03-assessment-sent")

            # 3. The contact opens the link from the e-mail, in a context without the reviewer's session.
            invitation = _wait_for_invitation(mailoutbox)
            assert invitation.to == [contact.email]
            link = LINK_PATTERN.search(invitation.body)
            assert link, f"no questionnaire link in the e-mail:\n{invitation.body}"
            link_path = urlsplit(link.group(0)).path  # SITE_URL is not the live server's address
            current = phone
            phone.goto(f"{base}{link_path}")
            expect(phone.locator("html")).to_have_attribute("lang", "ja")
            expect(phone.locator("h1")).to_have_text(template_names["ja"])
            expect(phone.locator("#read-only")).to_have_count(0)
            save_ja = in_language("ja", "Save answers")
            assert save_ja != "Save answers", "the Japanese catalogue (locale/ja) does not translate 'Save answers'"
            expect(phone.locator("#save-answers")).to_have_text(save_ja)
            expect(phone.locator("#submit-answers")).to_have_text(in_language("ja", "Submit"))
            overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, f"the vendor page is {overflow}px wider than a phone screen"
            shot("04-vendor-questionnaire-phone")

            # Answer every question in Japanese and attach the PDF wherever evidence is asked for.
            for question in questions:
                name = f"q-{question.id}"
                if question.answer_type in (AnswerType.YES_NO, AnswerType.SINGLE):
                    values = [option["value"] for option in question.options]
                    phone.check(f"input[type=radio][name='{name}'][value='{_preferred_radio(values)}']")
                elif question.answer_type == AnswerType.MULTIPLE:
                    boxes = phone.locator(f"input[type=checkbox][name='{name}']")
                    expect(boxes).to_have_count(len(question.options))
                    for index in range(boxes.count()):
                        boxes.nth(index).check()
                elif question.answer_type == AnswerType.NUMBER:
                    phone.fill(f"input[type=number][name='{name}']", "24")
                elif question.answer_type == AnswerType.DATE:
                    phone.fill(f"input[type=date][name='{name}']", pentest_date)
                elif question.answer_type == AnswerType.TEXT:
                    phone.fill(f"textarea[name='{name}']", ANSWER_TEXT)
            file_inputs = phone.locator("input[type=file]")
            expect(file_inputs).to_have_count(len(evidence_questions))
            for question_id in evidence_questions:
                phone.set_input_files(f"input[type=file][name='f-{question_id}']", str(evidence))
            shot("05-vendor-answers-filled")

            # Save: the same page again, with the success message and the files listed.
            phone.click("#save-answers")
            saved = phone.locator(".alert-success")
            expect(saved).to_contain_text(
                in_language("ja", "Your answers were saved. You can come back with the same link.")
            )
            expect(phone.locator("html")).to_have_attribute("lang", "ja")
            expect(phone.locator("#questionnaire")).to_contain_text("✓ evidence.pdf")
            expect(phone.locator(f"textarea[name='q-{questions[0].id}']")).to_have_value(ANSWER_TEXT)
            shot("06-vendor-answers-saved")

            # Submit: the answers become read-only.
            phone.click("#submit-answers")
            expect(phone.locator("#read-only")).to_be_visible()
            expect(phone.locator("#read-only")).to_have_text(
                in_language("ja", "These answers were submitted and can no longer change. Thank you.")
            )
            expect(phone.locator(".alert-success")).to_contain_text(
                in_language("ja", "Thank you. Your answers were submitted.")
            )
            expect(phone.locator("#submit-answers")).to_have_count(0)
            expect(phone.locator(f"textarea[name='q-{questions[0].id}']")).to_be_disabled()
            overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, f"the submitted vendor page is {overflow}px wider than a phone screen"
            shot("07-vendor-submitted-phone")

            # 4. The reviewer sees the score and approves up to "confidential".
            current = page
            page.goto(f"{base}/vendors/assessments/{reference}/")
            expect(page.locator("#assessment-status")).to_have_text(
                in_language(staff_lang, AssessmentStatus.SUBMITTED.label)
            )
            expect(page.locator("#score")).to_have_text(re.compile(r"^\s*\d+(\.\d+)?\s*%\s*$"))
            expect(page.locator("#knockouts")).to_have_text("0")
            expect(page.locator("#answers")).to_contain_text(ANSWER_TEXT)
            expect(page.locator("#answers a", has_text="evidence.pdf").first).to_be_visible()
            page.check("#decision-form input[type=radio][name=decision][value=approve]")
            page.select_option("#decision-form select[name=approved_level]", DataClassification.CONFIDENTIAL.value)
            page.fill("#decision-form [name=findings]", "回答内容を確認し、機密情報まで承認する。")
            shot("08-review-decision")
            page.click("#decision-form button[type=submit]")
            expect(page.locator("#assessment-status")).to_have_text(
                in_language(staff_lang, AssessmentStatus.APPROVED.label)
            )
            expect(page.locator("#decision-form")).to_have_count(0)
            shot("09-assessment-approved")

            # The vendor page shows the new status, the approved level and the reassessment date.
            page.goto(f"{base}/vendors/{vendor.pk}/")
            expect(page.locator("#vendor-status")).to_have_text(in_language(staff_lang, VendorStatus.APPROVED.label))
            expect(page.locator("#approved-level")).to_have_text(
                in_language(staff_lang, DataClassification.CONFIDENTIAL.label)
            )
            shown_next = page.locator("#next-reassessment").inner_text().strip()
            assert shown_next in {day.isoformat() for day in expected_next}, shown_next
            shot("10-vendor-approved")
        except Exception:
            with contextlib.suppress(Exception):
                shot("failure")
            raise
        finally:
            outside.close()
            staff.close()
            browser.close()

    assessment = Assessment.objects.select_related("vendor").get(reference=reference)
    assert assessment.status == AssessmentStatus.APPROVED
    assert assessment.score is not None
    assert assessment.knockout_count == 0
    assert assessment.submitted_at is not None
    assert assessment.decided_by == reviewer
    assert assessment.approved_level == DataClassification.CONFIDENTIAL
    assert assessment.answers.count() == len(questions)
    assert assessment.answers.get(question_id=questions[0].id).value == ANSWER_TEXT
    vendor = Vendor.objects.get(pk=vendor.pk)
    assert vendor.status == VendorStatus.APPROVED
    assert vendor.approved_level == DataClassification.CONFIDENTIAL
    assert vendor.next_reassessment_on in expected_next
    assert 360 <= (vendor.next_reassessment_on - today).days <= 367
    files = EvidenceFile.objects.filter(answer__assessment=assessment)
    assert files.count() == len(evidence_questions)
    stored = files.first()
    assert stored.original_name == "evidence.pdf"
    assert Path(stored.file.path).is_relative_to(tmp_path / "media")
    assert Path(stored.file.path).read_bytes().startswith(b"%PDF-1.4")
