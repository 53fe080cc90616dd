"""In a real browser, in Japanese and in English: a marketer reports a leaked customer e-mail
from a chatbot use case; the incident manager triages it, suspends the use case, records the
preliminary report to the regulator, contains and resolves it; the use case goes back to review
and a reviewer lifts the suspension. Screenshots go to ``test-artifacts/browser/incident-*.png``."""

import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import expect, sync_playwright

from incidents.models import Incident
from portal.roles import Role
from tests.browser import LOCALES, TIMEOUT_MS, log_in_as, post
from tests.conftest import CHROMIUM_ARGS
from tests.factories import UseCaseFactory, UserFactory

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"


def _walk(chromium_path, base, language, people, use_case_url, use_case_id):
    """The whole journey in one language; no database queries in here (see the other browser tests)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        try:

            def session(username):
                context = browser.new_context(locale=LOCALES[language], viewport={"width": 1280, "height": 900})
                context.set_default_timeout(TIMEOUT_MS)
                page = context.new_page()
                log_in_as(page, base, username)
                expect(page.locator("html")).to_have_attribute("lang", language)
                return context, page

            def shot(page, name):
                page.screenshot(path=str(ARTIFACTS / f"incident-{language}-{name}.png"), full_page=True)

            # The marketer reports from the use case page, the use case preselected.
            context, page = session(people["marketer"])
            try:
                page.goto(f"{base}{use_case_url}")
                page.click("#report-incident")
                expect(page.locator("#id_use_case")).to_have_value(str(use_case_id))
                page.fill("#id_title", "Chatbot answered with another customer's e-mail address")
                page.fill("#id_description", "The answer to a delivery question showed another customer's e-mail.")
                page.fill("#id_noticed_at", timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
                page.select_option("#id_channel", "chatbot")
                page.fill("#id_affected_people", "1")
                page.check("#id_personal_data")
                shot(page, "01-report")
                post(page, "#submit-report")
                incident_url = page.url
                expect(page.locator("#incident-state")).to_be_visible()
                shot(page, "02-reported")
            finally:
                context.close()

            # The incident manager triages, suspends, reports to the regulator, contains, resolves.
            context, page = session(people["manager"])
            try:
                page.goto(incident_url)
                page.select_option("#id_triage-severity", "high")
                page.select_option("#id_triage-category", "data_leak")
                page.check("#id_triage-unauthorised_access")
                post(page, "#triage")
                expect(page.locator("#deadlines tr[data-clock='appi_preliminary']")).to_have_count(1)
                expect(page.locator("#deadlines tr[data-clock='appi_final']")).to_have_count(1)
                shot(page, "03-triaged")
                post(page, "#suspend-use-case")
                row = page.locator("#deadlines tr[data-clock='appi_preliminary']")
                row.locator("input[name=note]").fill("PPC preliminary report, receipt 2026-001")
                with page.expect_navigation():
                    row.locator("button[type=submit]").click()
                page.select_option("#id_action-kind", "corrective")
                page.fill("#id_action-description", "Filter e-mail addresses out of answers")
                page.select_option("#id_action-owner", str(people["manager_id"]))
                post(page, "#add-action button[type=submit]")
                post(page, "#act-contain")
                with page.expect_navigation():
                    page.locator("#incident-actions button[type=submit]").click()
                page.fill("#id_resolution", "Filter added; the bot answers again without addresses.")
                post(page, "#act-resolve")
                shot(page, "04-resolved")
            finally:
                context.close()

            # A reviewer lifts the suspension from the use case page.
            context, page = session(people["reviewer"])
            try:
                page.goto(f"{base}{use_case_url}")
                expect(page.locator("#suspension")).to_be_visible()
                post(page, "#lift-suspension")
                expect(page.locator("#suspension")).to_have_count(0)
                shot(page, "05-lifted")
            finally:
                context.close()
            return incident_url
        finally:
            browser.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("language", ["ja", "en"])
def test_incident_journey(live_server, chromium_path, language, marketing, it_department, monkeypatch):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    marketer = UserFactory(username=f"marketer-{language}", department=marketing, role=Role.REQUESTER)
    manager = UserFactory(username=f"manager-{language}", department=it_department, role=Role.REVIEWER)
    manager.groups.add(Group.objects.get(name=settings.INCIDENT_MANAGER_GROUP))
    reviewer = UserFactory(username=f"reviewer-{language}", department=it_department, role=Role.REVIEWER)
    use_case = UseCaseFactory(
        owner=marketer,
        complete=True,
        title="問い合わせチャットボット",
        status="piloting",
        roadmap_step=3,
        submitted_at=timezone.now() - datetime.timedelta(days=40),
        approved_at=timezone.now() - datetime.timedelta(days=20),
    )
    people = {
        "marketer": marketer.username,
        "manager": manager.username,
        "manager_id": manager.pk,
        "reviewer": reviewer.username,
    }
    incident_url = _walk(chromium_path, live_server.url, language, people, use_case.get_absolute_url(), use_case.pk)
    incident = Incident.objects.get(use_case=use_case)
    assert incident_url.endswith(incident.get_absolute_url())
    assert (incident.state, incident.severity, incident.reporter) == ("resolved", "high", marketer)
    preliminary = incident.deadlines.get(clock="appi_preliminary")
    assert (preliminary.done_by, preliminary.note) == (manager, "PPC preliminary report, receipt 2026-001")
    assert incident.deadlines.get(clock="appi_final").due_at == incident.noticed_at + datetime.timedelta(days=60)
    use_case.refresh_from_db()
    assert (use_case.status, use_case.roadmap_step) == ("piloting", 3)
    assert use_case.next_review_on == timezone.localdate()  # back to review after the corrective action
