"""The roadmap, cost and value pages through the test client: what each role sees and may
post, gate refusals shown as messages with nothing changed, forms that come back with their
errors and what was typed, the cost table and chart data, and the organisation's pages with
their counts, links and totals. The builders are in roadmap_helpers."""

import json
import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from portal.models import AuditEvent
from tests.factories import UseCaseFactory, choose_model
from tests.usecases.roadmap_helpers import (
    approved,
    at_hybrid,
    closed_model,
    days,
    events,
    open_model,
    pilot_done,
    place,
    record_pilot,
)
from usecases import roadmap
from usecases.models import BenefitRecord, Trial, UseCase

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
MOVES = {"start_pilot", "advance_step", "skip_poc", "go_live", "move_back", "stop_pilot", "return_to_pilot", "retire"}


def page(name, use_case=None):
    return reverse(f"usecases:{name}", args=[use_case.reference] if use_case else [])


def html_of(response):
    return response.content.decode()


def block(html, element_id):
    """The inner HTML of the (non-nested) element with ``element_id``."""
    match = re.search(rf'<(\w+)[^>]*id="{element_id}"[^>]*>(.*?)</\1>', html, re.S)
    return match.group(2) if match else None


def gate_codes(html):
    return re.findall(r'data-code="([\w.]+)"', html)


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def priced(requester):
    use_case = approved(requester, monthly_requests=1_000_000, avg_input_tokens=1000, avg_output_tokens=500)
    choose_model(use_case, closed_model())
    return use_case


# --- The use case's roadmap page ---------------------------------------------------------------------------


def test_owner_sees_the_unmet_items_and_the_buttons(client, requester):
    use_case = approved(requester)
    client.force_login(requester)
    html = html_of(client.get(page("roadmap", use_case), **EN))
    assert gate_codes(block(html, "next-step-unmet")) == ["pilot.model", "pilot.dates"]
    assert "An approved closed model from an approved vendor is chosen for the pilot" in html
    assert 'id="advance-button"' in html and "Start the closed pilot" in html
    assert 'id="retire-form"' in html and 'id="edit-pilot"' in html
    assert 'id="skip-poc-form"' not in html and 'id="move-back-form"' not in html
    assert page("roadmap-advance", use_case) in html


def test_reviewer_sees_move_back_and_skip_at_the_pilot(client, requester, reviewer):
    use_case = place(approved(requester), 3)
    record_pilot(use_case, requester)
    client.force_login(reviewer)
    html = html_of(client.get(page("roadmap", use_case), **EN))
    assert 'id="move-back-form"' in html and 'id="skip-poc-form"' in html and "Move to step 4" in html
    assert re.findall(r'<option value="(\d)"', block(html, "move-back-form")) == ["2"]


def test_executive_reads_the_roadmap_without_forms(client, requester, executive):
    use_case = place(approved(requester), 3)
    record_pilot(use_case, requester)
    client.force_login(executive)
    response = client.get(page("roadmap", use_case), **EN)
    assert response.status_code == 200
    html = html_of(response)
    assert 'id="gates"' in html and gate_codes(block(html, "next-step-unmet"))
    for marker in ("advance-button", "skip-poc-form", "move-back-form", "retire-form", "edit-pilot", "edit-poc"):
        assert f'id="{marker}"' not in html, marker
    assert "/roadmap/advance/" not in html and "/roadmap/retire/" not in html


def test_advance_with_the_gate_unmet_lists_the_items_and_changes_nothing(client, requester):
    use_case = approved(requester)
    client.force_login(requester)
    response = client.post(page("roadmap-advance", use_case), **EN)
    assert response.status_code == 302 and response.url == page("roadmap", use_case)
    assert messages_of(response) == [
        "Step 3 cannot be entered yet. Still needed:",
        "An approved closed model from an approved vendor is chosen for the pilot — No pilot is recorded yet.",
        "The pilot has a start date and a planned end date",
    ]
    use_case.refresh_from_db()
    assert (use_case.status, use_case.roadmap_step, use_case.step_entered_at) == ("approved", 2, None)
    assert not MOVES & set(events(use_case))


def test_advance_once_the_gate_is_met_and_a_double_click_moves_once(client, requester):
    use_case = approved(requester)
    record_pilot(use_case, requester)
    client.force_login(requester)
    assert 'name="from_step" value="2"' in block(html_of(client.get(page("roadmap", use_case))), "next-move")
    response = client.post(page("roadmap-advance", use_case), {"from_step": "2"}, **EN)
    assert response.status_code == 302
    assert messages_of(response) == ["Moved to 3. Small start on closed AI."]
    again = client.post(page("roadmap-advance", use_case), {"from_step": "2"}, **EN)
    assert messages_of(again)[-1] == (
        f"{use_case.reference} moved to 3. Small start on closed AI meanwhile; nothing was changed. "
        "Reload and check the gate again."
    )
    use_case.refresh_from_db()
    assert (use_case.status, use_case.roadmap_step) == ("piloting", 3)


def test_skip_poc_with_an_empty_reason_is_refused(client, requester):
    use_case = place(approved(requester), 3)
    pilot_done(use_case, requester)
    client.force_login(requester)
    response = client.post(page("roadmap-advance", use_case), {"skip_poc": "1", "skip-reason": " "}, **EN)
    assert response.status_code == 302
    assert messages_of(response) == ["Give the reason for skipping the proof of concept."]
    use_case.refresh_from_db()
    assert (use_case.roadmap_step, use_case.poc_skipped_reason) == (3, "")
    response = client.post(page("roadmap-advance", use_case), {"skip_poc": "1", "skip-reason": "不要"})
    use_case.refresh_from_db()
    assert (use_case.roadmap_step, use_case.poc_skipped_reason) == (5, "不要")
    assert 'id="poc-skipped"' in html_of(client.get(page("roadmap", use_case)))


def test_move_back_and_retire_forms_report_missing_reasons(client, requester, reviewer):
    use_case = place(approved(requester), 3)
    client.force_login(reviewer)
    response = client.post(page("roadmap-move-back", use_case), {"to_step": "2", "reason": ""}, follow=True)
    assert response.redirect_chain == [(page("roadmap", use_case), 302)] and len(messages_of(response)) == 1
    response = client.post(page("roadmap-retire", use_case), {"retire-reason": ""}, **EN)
    assert messages_of(response) == ["Give the reason for retiring the use case."]
    assert UseCase.objects.get(pk=use_case.pk).roadmap_step == 3 and not MOVES & set(events(use_case))
    client.post(page("roadmap-move-back", use_case), {"to_step": "2", "reason": "再評価"})
    assert UseCase.objects.get(pk=use_case.pk).status == "approved"


def test_owner_may_not_move_back(client, requester):
    use_case = place(approved(requester), 3)
    client.force_login(requester)
    response = client.post(page("roadmap-move-back", use_case), {"to_step": "2", "reason": "x"})
    assert response.status_code == 403
    assert UseCase.objects.get(pk=use_case.pk).roadmap_step == 3


# --- Pilot and hybrid-role forms ---------------------------------------------------------------------------


def test_pilot_form_errors_come_back_with_what_was_typed(client, requester):
    use_case = approved(requester)
    model = closed_model()
    client.force_login(requester)
    data = {
        "ai_model": model.pk,
        "scope": "広告コピーを1チームで",
        "starts_on": str(days(10)),
        "planned_end_on": str(days(1)),
        "results": "途中経過メモ",
    }
    response = client.post(page("pilot", use_case), data)
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"planned_end_on"}
    html = html_of(response)
    assert "広告コピーを1チームで" in html and "途中経過メモ" in html and str(days(10)) in html
    response = client.post(page("pilot", use_case), {**data, "ai_model": open_model().pk, "planned_end_on": ""})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"ai_model", "planned_end_on"}
    assert not Trial.objects.exists() and not use_case.model_choices.exists()
    saved = client.post(page("pilot", use_case), {**data, "planned_end_on": str(days(40))})
    assert saved.status_code == 302 and saved.url == page("roadmap", use_case)
    assert Trial.objects.get().scope == "広告コピーを1チームで"


def _role_data(use_case, **overrides):
    data = {}
    for choice in use_case.model_choices.select_related("ai_model"):
        row = {
            "role": "core" if choice.deployment.startswith("open") else "operations",
            "rationale": "用途に合う方式",
            "request_share": "",
        }
        row.update(overrides.get(choice.ai_model.name, {}))
        data.update({f"model-{choice.pk}-{key}": value for key, value in row.items()})
    return data


@pytest.mark.parametrize(
    "overrides",
    [
        {"GPT-4o": {"role": "core", "rationale": "コア業務に使う"}},
        {"GPT-4o": {"rationale": ""}},
        {"GPT-4o": {"request_share": "60"}, "Llama 3 70B": {"request_share": "60"}},
    ],
)
def test_model_roles_page_shows_the_errors(client, requester, overrides):
    use_case = at_hybrid(requester)
    client.force_login(requester)
    response = client.post(page("model-roles", use_case), _role_data(use_case, **overrides))
    assert response.status_code == 400
    assert block(html_of(response), "role-errors")
    if "rationale" in overrides["GPT-4o"] and overrides["GPT-4o"]["rationale"]:
        assert "コア業務に使う" in html_of(response)
    assert not use_case.model_choices.exclude(role="").exists()


def test_model_roles_page_saves_the_decision(client, requester):
    use_case = at_hybrid(requester)
    client.force_login(requester)
    bad = client.post(page("model-roles", use_case), _role_data(use_case, **{"GPT-4o": {"request_share": "101"}}))
    assert bad.status_code == 400 and not block(html_of(bad), "role-errors")
    data = _role_data(use_case, **{"GPT-4o": {"request_share": "80"}, "Llama 3 70B": {"request_share": "20"}})
    response = client.post(page("model-roles", use_case), data)
    assert response.status_code == 302
    assert sorted(use_case.model_choices.values_list("role", "request_share")) == [("core", 20), ("operations", 80)]


# --- Economics page ----------------------------------------------------------------------------------------


def test_economics_page_shows_the_cost_table_and_chart_data(client, requester, priced):
    client.force_login(requester)
    response = client.get(page("economics", priced), **EN)
    assert response.status_code == 200
    html = html_of(response)
    rows = re.findall(r'<tr class="candidate">(.*?)</tr>', block(html, "cost-table"), re.S)
    assert len(rows) == 1 and "GPT-4o" in rows[0]
    assert "1,125,000" in rows[0] and "688,889 requests" in rows[0]
    assert "775,000" in block(html, "self-hosting-row")
    assert "Self-hosted open model" in block(html, "cheapest-row")
    chart = json.loads(re.search(r'<script id="cost-chart-data" type="application/json">(.*?)</script>', html).group(1))
    assert chart["currency"] == "JPY" and chart["volumes"][1] == 1_000_000
    series = {item["label"]: item["values"] for item in chart["series"]}
    assert list(series) == ["GPT-4o", "Self-hosted open model"]
    assert series["GPT-4o"][1] == 1_125_000.0 and set(series["Self-hosted open model"]) == {775_000.0}
    assert 'id="assumptions-form"' in html and 'id="benefit-form"' in html


def test_a_negative_assumption_re_renders_and_saves_nothing(client, requester, priced):
    client.force_login(requester)
    data = {"form": "assumptions", "gpu_monthly_cost": "-1", "hourly_rate": "7000"}
    response = client.post(page("economics", priced), data)
    assert response.status_code == 400
    assert set(response.context["assumptions_form"].errors) == {"gpu_monthly_cost"}
    assert 'value="-1"' in html_of(response) and 'value="7000"' in html_of(response)
    priced.refresh_from_db()
    assert (priced.gpu_monthly_cost, priced.hourly_rate) == (None, None)
    assert "change_costs" not in events(priced)
    saved = client.post(page("economics", priced), {**data, "gpu_monthly_cost": "300000"})
    assert saved.status_code == 302
    priced.refresh_from_db()
    assert (priced.gpu_monthly_cost, priced.hourly_rate) == (300000, 7000)


def test_a_benefit_is_recorded_and_the_roi_shown(client, requester, priced):
    client.force_login(requester)
    month = timezone.localdate().strftime("%Y-%m")
    data = {"form": "benefit", "month": month, "hours_saved": "200", "cost_saved": "350000", "revenue_gained": "0"}
    response = client.post(page("economics", priced), data)
    assert response.status_code == 302
    record = BenefitRecord.objects.get(use_case=priced)
    assert (record.month, record.hours_saved, record.recorded_by) == (
        timezone.localdate().replace(day=1),
        200,
        requester,
    )
    assert "20.0%" in block(html_of(client.get(page("economics", priced), **EN)), "roi")
    future = client.post(page("economics", priced), {**data, "month": str(days(62))[:7]})
    assert future.status_code == 400 and "month" in future.context["benefit_form"].errors


# --- Organisation pages ------------------------------------------------------------------------------------


@pytest.fixture
def portfolio(requester, other_requester):
    return {
        "draft": UseCaseFactory(complete=True, owner=requester),
        "at_3": place(approved(requester), 3),
        "sales_at_3": place(approved(other_requester, category="analytics"), 3),
        "sales_draft": UseCaseFactory(owner=other_requester),
    }


def test_organisation_roadmap_counts_link_to_the_filtered_inventory(client, reviewer, requester, portfolio, sales):
    client.force_login(reviewer)
    html = html_of(client.get(page("organisation-roadmap"), **EN))
    # The counts are of use cases in progress, and so are the inventories their links open.
    in_progress = "&amp;".join(f"status={status}" for status in roadmap.IN_PROGRESS_STATES)
    assert "rejected" not in in_progress and "draft" in in_progress
    step_link = r'href="/usecases/\?roadmap_step=(\d)&amp;' + re.escape(in_progress) + r'">(\d+)</a>'
    counts = dict(re.findall(step_link, html))
    assert counts == {"1": "2", "2": "0", "3": "2", "4": "0", "5": "0", "6": "0"}
    department = block(html, "by-department")
    assert f'href="/usecases/?department={sales.pk}&amp;roadmap_step=3&amp;{in_progress}">1</a>' in department
    assert f'href="/usecases/?category=analytics&amp;roadmap_step=3&amp;{in_progress}">1</a>' in block(
        html, "by-category"
    )
    listed = html_of(client.get(f"/usecases/?department={sales.pk}&roadmap_step=3&{in_progress.replace('&amp;', '&')}"))
    assert portfolio["sales_at_3"].reference in listed and portfolio["at_3"].reference not in listed
    client.force_login(requester)
    mine = html_of(client.get(page("organisation-roadmap")))
    assert dict(re.findall(step_link, mine))["1"] == "1"


def test_organisation_economics_page_totals(client, executive, requester, other_requester):
    volume = {"monthly_requests": 1_000_000, "avg_input_tokens": 1000, "avg_output_tokens": 500}
    live = place(approved(requester, **volume), 5, status="in_production")
    choose_model(live, closed_model())
    hosted = approved(other_requester)
    choose_model(hosted, open_model(), "open_self_hosted")
    client.force_login(executive)
    html = html_of(client.get(page("organisation-economics"), **EN))
    assert re.sub(r"\s", "", block(html, "total-closed")) == "1,125,000"
    assert re.sub(r"\s", "", block(html, "total-self-hosted")) == "775,000"
    assert re.sub(r"\s", "", block(html, "total-cost")) == "1,900,000"
    assert re.sub(r"\s", "", block(html, "total-roi")) == "—"
    table = block(html, "use-case-totals")
    assert live.reference in table and hosted.reference in table and page("economics", live) in table


# --- Who may see and post ----------------------------------------------------------------------------------


def test_pages_need_a_role(client, requester, outsider):
    use_case = approved(requester)
    client.force_login(outsider)
    for name in ("roadmap", "economics", "pilot", "poc", "model-roles"):
        assert client.get(page(name, use_case)).status_code == 403, name
    for name in ("organisation-roadmap", "organisation-economics"):
        assert client.get(page(name)).status_code == 403, name
    assert client.post(page("roadmap-advance", use_case)).status_code == 403
    client.logout()
    response = client.get(page("roadmap", use_case))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_pages_of_an_invisible_use_case_are_404(client, requester, other_requester):
    draft = UseCaseFactory(complete=True, owner=requester)
    client.force_login(other_requester)
    for name in ("roadmap", "economics", "pilot", "poc", "model-roles"):
        assert client.get(page(name, draft)).status_code == 404, name
    for name in ("roadmap-advance", "roadmap-retire", "economics", "pilot"):
        assert client.post(page(name, draft), {"retire-reason": "x"}).status_code == 404, name


def test_executive_reads_but_may_not_post(client, requester, executive, priced):
    record_pilot(priced, requester)
    client.force_login(executive)
    assert client.get(page("economics", priced)).status_code == 200
    assert 'id="assumptions-form"' not in html_of(client.get(page("economics", priced)))
    for name in ("pilot", "model-roles"):
        assert client.get(page(name, priced)).status_code == 403, name
    posts = {
        "roadmap-advance": {},
        "roadmap-retire": {"retire-reason": "中止"},
        "economics": {"form": "assumptions", "hourly_rate": "1"},
        "pilot": {"ai_model": closed_model("Other").pk, "starts_on": str(days(0)), "planned_end_on": str(days(5))},
    }
    for name, data in posts.items():
        assert client.post(page(name, priced), data).status_code == 403, name
    priced.refresh_from_db()
    assert (priced.status, priced.roadmap_step, priced.hourly_rate) == ("approved", 2, None)
    assert AuditEvent.objects.for_object(priced).filter(actor=executive).count() == 0


def test_executive_post_is_refused_before_the_gate_is_read(client, requester, executive):
    """Rights come before the gate (before a2ec6af the gate's items came back as messages)."""
    use_case = approved(requester)
    client.force_login(executive)
    assert client.post(page("roadmap-advance", use_case)).status_code == 403
