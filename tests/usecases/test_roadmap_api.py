"""The roadmap, cost and value API: a use case's roadmap and its moves (advance, skip the
PoC, go live, move back, retire), the pilot and PoC, the hybrid roles, the economics with
one figure checked by hand, the organisation's roadmap and cost totals, cost settings and
exchange rates; who may do what, and query counts that stay flat as rows grow. The builders
(``approved``, ``place``, ...) are in roadmap_helpers."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from portal.models import AuditEvent
from tests.conftest import api_client_for
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
    roles_payload,
)
from usecases import roadmap_services, services
from usecases.models import BenefitRecord, CostSettings, ExchangeRate, KpiMeasurement, Trial, UseCase

pytestmark = pytest.mark.django_db
BASE = "/api/v1/use-cases/"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


# --- Helpers ---------------------------------------------------------------------------------------------


def url(use_case, tail=""):
    return f"{BASE}{use_case.reference}/{tail}"


def codes(items):
    return [item["code"] for item in items]


# --- The use case's roadmap --------------------------------------------------------------------------------


def test_roadmap_lists_every_gate_and_what_the_next_move_needs(requester, reviewer, executive):
    use_case = approved(requester)
    body = api_client_for(requester).get(url(use_case, "roadmap/"), **EN).json()
    assert [body[key] for key in ("reference", "status", "step", "next_step")] == [use_case.reference, "approved", 2, 3]
    assert body["can_skip_poc"] is False and body["go_live_unmet"] == []
    assert [gate["step"] for gate in body["gates"]] == [1, 2, 3, 4, 5, 6]
    gate = {g["step"]: (codes(g["start"]), codes(g["finish"])) for g in body["gates"]}
    assert gate[1] == ([], ["inventory.submitted"])
    assert gate[2] == (["governance.approved"], [])
    assert gate[3] == (["pilot.model", "pilot.dates"], ["pilot.kpi_results", "pilot.feedback"])
    assert gate[4] == (["poc.model", "poc.readiness", "poc.scope", "poc.licence"], ["poc.results", "poc.comparison"])
    assert gate[5] == ([], ["hybrid.roles", "hybrid.live"])
    assert gate[6] == (["rules.acknowledged", "rules.trained"], [])
    met = {item["code"]: item["met"] for g in body["gates"] for item in g["start"] + g["finish"]}
    assert met["inventory.submitted"] is True and met["governance.approved"] is True
    assert met["pilot.model"] is False and met["rules.acknowledged"] is False and met["rules.trained"] is False
    assert codes(body["next_step_unmet"]) == ["pilot.model", "pilot.dates"]
    assert body["next_step_unmet"][0]["detail"] == "No pilot is recorded yet."
    assert body["trials"] == [] and body["models"] == []
    assert body["allowed_actions"] == ["start_pilot", "retire"]
    for user, actions in ((reviewer, ["start_pilot", "retire"]), (executive, [])):
        assert api_client_for(user).get(url(use_case, "roadmap/")).json()["allowed_actions"] == actions


def test_roadmap_is_read_as_the_use_case_is_visible(requester, other_requester, outsider, api_client):
    draft = UseCaseFactory(complete=True, owner=requester)
    assert api_client_for(requester).get(url(draft, "roadmap/")).json()["step"] == 1
    assert api_client_for(other_requester).get(url(draft, "roadmap/")).status_code == 404
    assert api_client_for(other_requester).get(url(approved(requester), "roadmap/")).status_code == 200
    assert api_client_for(outsider).get(url(draft, "roadmap/")).status_code == 403
    assert api_client.get(url(draft, "roadmap/")).status_code == 401


def test_roadmap_shows_the_trials_and_models(requester):
    use_case = approved(requester)
    model = closed_model()
    record_pilot(use_case, requester, model, scope="1チームで試す")
    body = api_client_for(requester).get(url(use_case, "roadmap/")).json()
    assert [(t["kind"], t["ai_model"], t["scope"], t["updated_by"]) for t in body["trials"]] == [
        ("closed_pilot", model.pk, "1チームで試す", str(requester))
    ]
    assert [(m["ai_model"], m["deployment"], m["role"]) for m in body["models"]] == [(model.pk, "closed_api", "")]
    assert body["next_step_unmet"] == []


# --- Moves -------------------------------------------------------------------------------------------------


def test_advance_lists_every_unmet_item_then_moves_once_the_pilot_is_recorded(requester):
    use_case = approved(requester)
    client = api_client_for(requester)
    refused = client.post(url(use_case, "roadmap/advance/"), {}, format="json")
    assert refused.status_code == 400
    body = refused.json()
    assert set(body) == {"detail", "step", "unmet"} and body["step"] == 3
    assert codes(body["unmet"]) == ["pilot.model", "pilot.dates"]
    assert all(set(item) == {"code", "label", "met", "detail"} and item["met"] is False for item in body["unmet"])
    assert UseCase.objects.get(pk=use_case.pk).roadmap_step == 2
    pilot = {"ai_model": closed_model().pk, "starts_on": str(days(-3)), "planned_end_on": str(days(27))}
    assert client.put(url(use_case, "roadmap/pilot/"), pilot, format="json").status_code == 200
    moved = client.post(url(use_case, "roadmap/advance/"), {}, format="json")
    assert moved.status_code == 200, moved.content
    assert (moved.json()["step"], moved.json()["status"]) == (3, "piloting")
    assert moved.json()["step_entered_at"] is not None
    assert moved.json()["allowed_actions"] == ["advance_step", "skip_poc", "retire"]
    assert events(use_case)[-1] == "start_pilot"


def test_advance_from_the_pilot_lists_the_pilot_and_poc_items_together(requester):
    use_case = place(approved(requester), 3)
    record_pilot(use_case, requester)
    response = api_client_for(requester).post(url(use_case, "roadmap/advance/"), {}, format="json")
    assert response.status_code == 400
    assert response.json()["step"] == 4
    assert codes(response.json()["unmet"]) == [
        "pilot.kpi_results", "pilot.feedback", "poc.model", "poc.readiness", "poc.scope", "poc.licence",
    ]  # fmt: skip


def test_a_pilot_on_an_unapproved_model_does_not_meet_the_gate(requester):
    use_case = approved(requester)
    record_pilot(use_case, requester, closed_model(status="under_review"))
    response = api_client_for(requester).post(url(use_case, "roadmap/advance/"), {}, format="json", **EN)
    assert response.status_code == 400
    assert codes(response.json()["unmet"]) == ["pilot.model"]
    assert response.json()["unmet"][0]["detail"] == "GPT-4o is Under review."


def test_skip_poc_needs_a_reason_and_the_pilot_results(requester):
    use_case = place(approved(requester), 3)
    record_pilot(use_case, requester)
    client = api_client_for(requester)
    no_reason = client.post(url(use_case, "roadmap/advance/"), {"skip_poc": True}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    blank = client.post(url(use_case, "roadmap/advance/"), {"skip_poc": True, "reason": "  "}, format="json")
    assert blank.status_code == 400 and "reason" in blank.json()
    unmet = client.post(url(use_case, "roadmap/advance/"), {"skip_poc": True, "reason": "不要"}, format="json")
    assert unmet.status_code == 400
    assert (unmet.json()["step"], codes(unmet.json()["unmet"])) == (5, ["pilot.kpi_results", "pilot.feedback"])
    pilot_done(use_case, requester)
    skipped = client.post(
        url(use_case, "roadmap/advance/"), {"skip_poc": True, "reason": "カスタマイズの必要がない"}, format="json"
    )
    assert skipped.status_code == 200, skipped.content
    assert (skipped.json()["step"], skipped.json()["poc_skipped_reason"]) == (5, "カスタマイズの必要がない")
    assert events(use_case)[-1] == "skip_poc"


@pytest.mark.parametrize("status, step", [("draft", 1), ("submitted", 1)])
def test_advance_is_a_conflict_before_approval(requester, status, step):
    use_case = UseCaseFactory(complete=True, owner=requester)
    if status == "submitted":
        services.submit(use_case, requester)
    response = api_client_for(requester).post(url(use_case, "roadmap/advance/"), {}, format="json")
    assert response.status_code == 409 and "detail" in response.json()
    assert UseCase.objects.get(pk=use_case.pk).roadmap_step == step


def test_skip_poc_is_a_conflict_away_from_step_3(requester):
    use_case = approved(requester)
    record_pilot(use_case, requester)
    skip = {"skip_poc": True, "reason": "不要"}
    assert api_client_for(requester).post(url(use_case, "roadmap/advance/"), skip, format="json").status_code == 409


def test_advance_refuses_who_may_not_act_before_reading_the_gate(requester, other_requester):
    """Rights come before the gate: the gate's items are not shown to who may not act
    (answered 400 with them before a2ec6af)."""
    use_case = approved(requester)
    response = api_client_for(other_requester).post(url(use_case, "roadmap/advance/"), {}, format="json")
    assert response.status_code == 403, response.content


def test_advance_on_a_retired_use_case_is_a_conflict_whatever_the_gate(requester):
    """The transition table comes before the gate (answered 400 with the items before a2ec6af)."""
    use_case = place(approved(requester), 3, status="retired")
    response = api_client_for(requester).post(url(use_case, "roadmap/advance/"), {}, format="json")
    assert response.status_code == 409, response.content


def test_a_move_based_on_a_step_no_longer_current_is_a_conflict(requester, reviewer):
    use_case = approved(requester)
    record_pilot(use_case, requester)
    client = api_client_for(requester)
    assert client.post(url(use_case, "roadmap/advance/"), {"from_step": 7}, format="json").status_code == 400
    assert client.post(url(use_case, "roadmap/advance/"), {"from_step": 2}, format="json").status_code == 200
    assert client.post(url(use_case, "roadmap/advance/"), {"from_step": 2}, format="json").status_code == 409
    stale = {"to_step": 2, "reason": "再評価", "from_step": 4}
    assert api_client_for(reviewer).post(url(use_case, "roadmap/move-back/"), stale, format="json").status_code == 409
    assert UseCase.objects.get(pk=use_case.pk).roadmap_step == 3


def test_go_live_needs_the_hybrid_roles_and_then_step_6_needs_rules_and_training(requester):
    use_case = at_hybrid(requester)
    client = api_client_for(requester)
    assert codes(client.get(url(use_case, "roadmap/")).json()["go_live_unmet"]) == ["hybrid.roles"]
    refused = client.post(url(use_case, "roadmap/go-live/"), {}, format="json")
    assert refused.status_code == 400
    assert (refused.json()["step"], codes(refused.json()["unmet"])) == (5, ["hybrid.roles"])
    assert client.put(url(use_case, "roadmap/model-roles/"), roles_payload(use_case), format="json").status_code == 200
    live = client.post(url(use_case, "roadmap/go-live/"), {"comment": "本番へ"}, format="json")
    assert live.status_code == 200, live.content
    assert live.json()["status"] == "in_production" and live.json()["went_live_at"] is not None
    onward = client.post(url(use_case, "roadmap/advance/"), {}, format="json")
    assert onward.status_code == 400
    assert [(i["code"], i["met"]) for i in onward.json()["unmet"]] == [
        ("rules.acknowledged", False),
        ("rules.trained", False),
    ]


def test_go_live_away_from_step_5_is_a_conflict(requester):
    piloting = place(approved(requester), 3)
    assert api_client_for(requester).post(url(piloting, "roadmap/go-live/"), {}, format="json").status_code == 409
    assert api_client_for(requester).post(url(approved(requester), "roadmap/go-live/")).status_code == 409


def test_move_back_is_for_reviewers_with_a_reason_and_an_earlier_step(requester, reviewer):
    use_case = place(approved(requester), 3)
    owner = api_client_for(requester).post(url(use_case, "roadmap/move-back/"), {"to_step": 2, "reason": "x"})
    assert owner.status_code == 403
    client = api_client_for(reviewer)
    for payload, field in (
        ({"to_step": 1, "reason": "x"}, "to_step"),
        ({"to_step": 6, "reason": "x"}, "to_step"),
        ({"to_step": "three", "reason": "x"}, "to_step"),
        ({"to_step": 3, "reason": "x"}, "to_step"),  # not earlier than step 3
        ({"to_step": 2}, "reason"),
        ({"to_step": 2, "reason": " "}, "reason"),
    ):
        response = client.post(url(use_case, "roadmap/move-back/"), payload, format="json")
        assert response.status_code == 400 and field in response.json(), (payload, response.content)
    assert UseCase.objects.get(pk=use_case.pk).roadmap_step == 3
    back = client.post(url(use_case, "roadmap/move-back/"), {"to_step": 2, "reason": "再評価"}, format="json")
    assert back.status_code == 200
    assert (back.json()["step"], back.json()["status"]) == (2, "approved")
    event = AuditEvent.objects.for_object(use_case).get(action="stop_pilot")
    assert (event.comment, event.data) == ("再評価", {"from_step": 3, "to_step": 2})


def test_move_back_below_step_5_returns_a_live_use_case_to_piloting(requester, reviewer):
    use_case = place(approved(requester), 5, status="in_production")
    UseCase.objects.filter(pk=use_case.pk).update(went_live_at=timezone.now())
    back = api_client_for(reviewer).post(url(use_case, "roadmap/move-back/"), {"to_step": 4, "reason": "品質"})
    assert back.status_code == 200
    assert (back.json()["step"], back.json()["status"], back.json()["went_live_at"]) == (4, "piloting", None)


def test_retire_needs_a_reason_and_closes_the_roadmap(requester, reviewer):
    use_case = place(approved(requester), 3)
    client = api_client_for(requester)
    for payload in ({}, {"reason": ""}, {"reason": "   "}):
        response = client.post(url(use_case, "roadmap/retire/"), payload, format="json")
        assert response.status_code == 400 and "reason" in response.json()
    retired = client.post(url(use_case, "roadmap/retire/"), {"reason": "効果が出ない"}, format="json")
    assert retired.status_code == 200
    assert (retired.json()["status"], retired.json()["allowed_actions"]) == ("retired", [])
    assert api_client_for(reviewer).post(url(use_case, "roadmap/retire/"), {"reason": "再度"}).status_code == 409
    draft = UseCaseFactory(complete=True, owner=requester)
    assert client.post(url(draft, "roadmap/retire/"), {"reason": "x"}, format="json").status_code == 409


# --- Pilot and proof of concept ----------------------------------------------------------------------------


def test_pilot_is_recorded_read_back_and_its_model_joins_the_use_case(requester):
    use_case = approved(requester)
    client = api_client_for(requester)
    assert client.get(url(use_case, "roadmap/pilot/")).status_code == 404
    model = closed_model()
    payload = {"ai_model": model.pk, "scope": "1チーム", "starts_on": str(days(-3)), "planned_end_on": str(days(27))}
    saved = client.put(url(use_case, "roadmap/pilot/"), payload, format="json")
    assert saved.status_code == 200, saved.content
    assert (saved.json()["kind"], saved.json()["ai_model_name"], saved.json()["updated_by"]) == (
        "closed_pilot", "GPT-4o", str(requester),
    )  # fmt: skip
    assert list(use_case.model_choices.values_list("ai_model", "deployment")) == [(model.pk, "closed_api")]
    again = client.put(url(use_case, "roadmap/pilot/"), {**payload, "results": "好評"}, format="json")
    assert again.status_code == 200 and again.json()["results"] == "好評"
    assert Trial.objects.filter(use_case=use_case).count() == 1 and use_case.model_choices.count() == 1
    read = client.get(url(use_case, "roadmap/pilot/")).json()
    assert (read["ai_model"], read["scope"], read["results"]) == (model.pk, "1チーム", "好評")
    assert client.get(url(use_case, "roadmap/poc/")).status_code == 404
    assert client.get(url(use_case, "roadmap/trial/")).status_code == 404
    assert [e for e in events(use_case) if e == "save_trial"] == ["save_trial", "save_trial"]


def test_poc_on_an_open_model_is_added_as_self_hosted(requester):
    use_case = place(approved(requester), 3)
    model = open_model()
    payload = {"ai_model": model.pk, "scope": "FAQ検索", "starts_on": str(days(0)), "planned_end_on": str(days(20))}
    response = api_client_for(requester).put(url(use_case, "roadmap/poc/"), payload, format="json")
    assert response.status_code == 200 and response.json()["kind"] == "open_poc"
    assert list(use_case.model_choices.values_list("ai_model", "deployment")) == [(model.pk, "open_self_hosted")]


@pytest.mark.parametrize(
    "kind, changes, fields",
    [
        ("pilot", {"ai_model": "open"}, {"ai_model"}),
        ("poc", {"ai_model": "closed"}, {"ai_model"}),
        ("pilot", {"planned_end_on": -10}, {"planned_end_on"}),
        ("pilot", {"ended_on": -10}, {"ended_on"}),
        (
            "pilot",
            {"ai_model": None, "starts_on": None, "planned_end_on": None},
            {"ai_model", "starts_on", "planned_end_on"},
        ),  # fmt: skip
        ("pilot", {"ai_model": 999999}, {"ai_model"}),
        ("poc", {"starts_on": "someday"}, {"starts_on"}),
    ],
)
def test_bad_trials_give_field_errors_and_save_nothing(requester, kind, changes, fields):
    use_case = approved(requester)
    models = {"open": open_model().pk, "closed": closed_model().pk}
    payload = {"ai_model": models["closed" if kind == "pilot" else "open"], "starts_on": str(days(0))}
    payload["planned_end_on"] = str(days(20))
    for name, value in changes.items():
        if value is None:
            del payload[name]
        elif name == "ai_model":
            payload[name] = models.get(value, value)
        elif isinstance(value, int):
            payload[name] = str(days(value))
        else:
            payload[name] = value
    response = api_client_for(requester).put(url(use_case, f"roadmap/{kind}/"), payload, format="json")
    assert response.status_code == 400
    assert set(response.json()) == fields
    assert not Trial.objects.exists() and not use_case.model_choices.exists()


def test_a_trial_before_approval_is_refused(requester):
    draft = UseCaseFactory(complete=True, owner=requester)
    payload = {"ai_model": closed_model().pk, "starts_on": str(days(0)), "planned_end_on": str(days(20))}
    response = api_client_for(requester).put(url(draft, "roadmap/pilot/"), payload, format="json")
    assert response.status_code == 400 and "status" in response.json()
    assert not Trial.objects.exists()


# --- Hybrid roles ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"GPT-4o": {"role": "core"}},  # the core runs on an open model
        {"Llama 3 70B": {"role": "operations"}},  # operations run on closed AI
        {"GPT-4o": {"rationale": ""}},
        {"GPT-4o": {"request_share": 50}, "Llama 3 70B": {"request_share": 30}},
        {"GPT-4o": {"role": "retired"}, "Llama 3 70B": {"role": "retired"}},  # none stays in use
        {"GPT-4o": {"role": ""}},
    ],
)
def test_roles_that_do_not_fit_are_refused(requester, overrides):
    use_case = at_hybrid(requester)
    response = api_client_for(requester).put(
        url(use_case, "roadmap/model-roles/"), roles_payload(use_case, **overrides), format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"roles"} and response.json()["roles"]
    assert not use_case.model_choices.exclude(role="").exists()


def test_roles_for_a_model_not_of_the_use_case_or_missing_a_model_are_refused(requester):
    use_case = at_hybrid(requester)
    client = api_client_for(requester)
    rows = roles_payload(use_case)
    stranger = [*rows, {"ai_model": closed_model("Claude").pk, "role": "operations", "rationale": "x"}]
    response = client.put(url(use_case, "roadmap/model-roles/"), stranger, format="json")
    assert response.status_code == 400 and "roles" in response.json()
    assert client.put(url(use_case, "roadmap/model-roles/"), rows[:1], format="json").status_code == 400
    bad_role = client.put(url(use_case, "roadmap/model-roles/"), [{**rows[0], "role": "boss"}, rows[1]], format="json")
    assert bad_role.status_code == 400 and "role" in bad_role.json()["0"]
    share = client.put(url(use_case, "roadmap/model-roles/"), [{**rows[0], "request_share": 101}, rows[1]])
    assert share.status_code == 400 and "request_share" in share.json()["0"]
    assert not use_case.model_choices.exclude(role="").exists()


def test_roles_listing_a_model_twice_are_refused(requester):
    """BUG: a model listed twice with different roles is accepted, the last row silently winning."""
    use_case = at_hybrid(requester)
    rows = roles_payload(use_case)
    twice = [rows[0], {**rows[0], "role": "retired"}, rows[1]]
    response = api_client_for(requester).put(url(use_case, "roadmap/model-roles/"), twice, format="json")
    assert response.status_code == 400, response.content
    assert not use_case.model_choices.exclude(role="").exists()


def test_roles_are_saved_with_their_shares(requester):
    use_case = at_hybrid(requester)
    client = api_client_for(requester)
    payload = roles_payload(use_case, **{"GPT-4o": {"request_share": 70}, "Llama 3 70B": {"request_share": 30}})
    response = client.put(url(use_case, "roadmap/model-roles/"), payload, format="json")
    assert response.status_code == 200, response.content
    saved = [(r["ai_model_name"], r["role"], r["rationale"], r["request_share"]) for r in response.json()]
    assert saved == [("GPT-4o", "operations", "用途に合う方式", 70), ("Llama 3 70B", "core", "用途に合う方式", 30)]
    assert client.get(url(use_case, "roadmap/model-roles/")).json() == response.json()
    assert sorted(use_case.model_choices.values_list("role", "request_share")) == [("core", 30), ("operations", 70)]
    assert events(use_case)[-1] == "decide_roles"
    retire = roles_payload(use_case, **{"Llama 3 70B": {"role": "retired", "request_share": 30}})
    response = client.put(url(use_case, "roadmap/model-roles/"), retire, format="json")
    assert [(r["role"], r["request_share"]) for r in response.json()] == [("operations", None), ("retired", None)]


# --- Economics ---------------------------------------------------------------------------------------------


@pytest.fixture
def priced(requester):
    """GPT-4o at USD 2.50 / 10.00 per 1M tokens; 1,000,000 requests of 1,000 in and 500 out."""
    use_case = approved(requester, monthly_requests=1_000_000, avg_input_tokens=1000, avg_output_tokens=500)
    choose_model(use_case, closed_model())
    return use_case


def test_economics_figures_checked_by_hand(requester, priced):
    body = api_client_for(requester).get(url(priced, "economics/"), **EN).json()
    assert (body["currency"], body["monthly_requests"], body["problems"]) == ("JPY", 1_000_000, [])
    assert body["assumptions"]["rates"]["USD"] == "150.000000"
    [gpt] = body["candidates"]
    assert (gpt["label"], gpt["price_currency"]) == ("GPT-4o", "USD")
    # (1,000 x 2.50 + 500 x 10.00) / 1,000,000 = USD 0.0075 a request = JPY 1.125
    assert gpt["cost_per_request"] == "1.125000"
    assert (gpt["monthly_now"], gpt["monthly_2x"], gpt["monthly_10x"]) == ("1125000.00", "2250000.00", "11250000.00")
    # GPU 550,000 + 0.25 FTE x 900,000 = 775,000 whatever the volume; 775,000 / 1.125 a request
    assert body["self_hosting"] == {"now": "775000.00", "at_2x": "775000.00", "at_10x": "775000.00"}
    assert gpt["break_even_requests"] == "688888.89"
    assert body["cheapest"] == dict.fromkeys(("now", "at_2x", "at_10x"), "Self-hosted open model")
    assert body["curve"]["volumes"][:2] == [0, 1_000_000] and body["curve"]["volumes"][-1] == 10_000_000
    series = {s["label"]: s["values"] for s in body["curve"]["series"]}
    assert series["GPT-4o"][1] == 1_125_000.0 and set(series["Self-hosted open model"]) == {775_000.0}
    assert (body["running"]["closed"], body["running"]["total"]) == ("1125000.00", "1125000.00")
    assert body["returns"]["roi"] is None and body["returns"]["months"] == []


def test_benefits_give_the_return(requester, priced):
    client = api_client_for(requester)
    month = timezone.localdate().replace(day=1)
    record = {"month": str(month), "hours_saved": "200", "cost_saved": "350000", "note": "請求作業"}
    created = client.post(url(priced, "economics/benefits/"), record, format="json")
    assert created.status_code == 201, created.content
    assert (created.json()["month"], created.json()["recorded_by"]) == (str(month), str(requester))
    returns = client.get(url(priced, "economics/")).json()["returns"]
    # 200 h x 5,000 + 350,000 = 1,350,000 against 1,125,000: (1,350,000 - 1,125,000) / 1,125,000 = 20 %
    assert [m["benefit"] for m in returns["months"]] == ["1350000.00"]
    assert (returns["total_benefit"], returns["total_cost"]) == ("1350000.00", "1125000.00")
    assert (returns["roi"], returns["roi_percent"]) == ("0.200000", "20.0")
    again = client.post(url(priced, "economics/benefits/"), {**record, "hours_saved": "0"}, format="json")
    assert again.status_code == 201 and BenefitRecord.objects.filter(use_case=priced).count() == 1
    assert [b["hours_saved"] for b in client.get(url(priced, "economics/benefits/")).json()] == ["0.00"]


def test_a_benefit_for_a_month_not_begun_is_refused(requester, priced):
    next_month = (timezone.localdate().replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    client = api_client_for(requester)
    for payload, field in (
        ({"month": str(next_month), "hours_saved": "1"}, "month"),
        ({"month": str(timezone.localdate()), "hours_saved": "-1"}, "hours_saved"),
    ):
        response = client.post(url(priced, "economics/benefits/"), payload, format="json")
        assert response.status_code == 400 and field in response.json()
    assert not BenefitRecord.objects.exists()


def test_assumptions_change_the_figures_and_null_restores_the_default(requester, priced):
    client = api_client_for(requester)
    response = client.patch(url(priced, "economics/assumptions/"), {"gpu_monthly_cost": "-1"}, format="json")
    assert response.status_code == 400 and "gpu_monthly_cost" in response.json()
    response = client.patch(url(priced, "economics/assumptions/"), {"operations_fte": "101"}, format="json")
    assert response.status_code == 400 and "operations_fte" in response.json()
    assert not [e for e in events(priced) if e == "change_costs"]
    changed = client.patch(url(priced, "economics/assumptions/"), {"gpu_monthly_cost": "300000"}, format="json")
    assert changed.status_code == 200 and changed.json()["gpu_monthly_cost"] == "300000.00"
    assert client.get(url(priced, "economics/")).json()["self_hosting"]["now"] == "525000.00"  # 300,000 + 225,000
    reset = client.patch(url(priced, "economics/assumptions/"), {"gpu_monthly_cost": None}, format="json")
    assert reset.status_code == 200 and reset.json()["gpu_monthly_cost"] is None
    assert UseCase.objects.get(pk=priced.pk).gpu_monthly_cost is None
    assert client.get(url(priced, "economics/")).json()["self_hosting"]["now"] == "775000.00"


# --- Organisation --------------------------------------------------------------------------------------------


@pytest.fixture
def portfolio(requester, other_requester):
    """Marketing: a draft (1), approved (2), piloting (3); sales: an uncategorised draft (1),
    one at step 5 (analytics), and a retired one (not counted)."""
    draft = UseCaseFactory(complete=True, owner=requester)
    at_2 = approved(requester)
    at_3 = place(approved(requester), 3)
    sales_draft = UseCaseFactory(owner=other_requester)
    at_5 = place(approved(other_requester, category="analytics"), 5)
    place(approved(other_requester), 3, status="retired")
    return {"draft": draft, 2: at_2, 3: at_3, "sales_draft": sales_draft, 5: at_5}


def test_organisation_roadmap_counts_by_step_department_and_category(reviewer, portfolio, marketing, sales):
    body = api_client_for(reviewer).get("/api/v1/roadmap/").json()
    assert body["total"] == 5
    assert [(s["step"], s["count"]) for s in body["steps"]] == [(1, 2), (2, 1), (3, 1), (4, 0), (5, 1), (6, 0)]
    waiting = {s["step"]: [u["reference"] for u in s["oldest_waiting"]] for s in body["steps"]}
    assert set(waiting[1]) == {portfolio["draft"].reference, portfolio["sales_draft"].reference}
    assert waiting[5] == [portfolio[5].reference] and waiting[6] == []
    departments = {d["id"]: d["counts"] for d in body["by_department"]}
    assert departments == {marketing.pk: [1, 1, 1, 0, 0, 0], sales.pk: [1, 0, 0, 0, 1, 0]}
    categories = [(c["category"], c["counts"]) for c in body["by_category"]]
    assert categories == [("", [1, 0, 0, 0, 0, 0]), ("analytics", [0, 0, 0, 0, 1, 0]), ("creative", [1, 1, 1, 0, 0, 0])]
    readiness = {s["step"]: codes(s["readiness"]) for s in body["steps"]}
    assert readiness[2] == ["org.assessment", "org.matrix"] and readiness[6] == ["org.rules_published", "org.training"]
    assert {i["code"]: i["met"] for s in body["steps"] for i in s["readiness"]}["org.inventory"] is True


def test_organisation_roadmap_counts_only_what_the_requester_may_see(requester, portfolio, marketing, sales):
    body = api_client_for(requester).get("/api/v1/roadmap/").json()
    assert body["total"] == 4
    assert [s["count"] for s in body["steps"]] == [1, 1, 1, 0, 1, 0]
    assert {d["id"]: d["counts"] for d in body["by_department"]}[sales.pk] == [0, 0, 0, 0, 1, 0]
    assert "" not in [c["category"] for c in body["by_category"]]


def test_organisation_views_need_a_role(outsider, executive, api_client):
    for path in ("/api/v1/roadmap/", "/api/v1/roadmap/economics/"):
        assert api_client.get(path).status_code == 401
        assert api_client_for(outsider).get(path).status_code == 403
        assert api_client_for(executive).get(path).status_code == 200


def test_organisation_economics_totals_two_live_use_cases(reviewer, requester, other_requester, marketing, sales):
    volume = {"monthly_requests": 1_000_000, "avg_input_tokens": 1000, "avg_output_tokens": 500}
    closed = place(approved(requester, **volume), 5, status="in_production")
    choose_model(closed, closed_model())
    BenefitRecord.objects.create(
        use_case=closed, month=timezone.localdate().replace(day=1), hours_saved=200, cost_saved=350_000,
        recorded_by=requester,
    )  # fmt: skip
    hosted = approved(other_requester)
    choose_model(hosted, open_model(), "open_self_hosted")
    choose_model(UseCaseFactory(complete=True, owner=requester, **volume), closed_model("Draft model"))  # not live
    body = api_client_for(reviewer).get("/api/v1/roadmap/economics/").json()
    assert body["currency"] == "JPY"
    total = body["total"]
    assert (total["closed"], total["self_hosted"], total["other"]) == ("1125000.00", "775000.00", "0.00")
    # Both were approved this month: one month of the ROI period each. The self-hosted one records no
    # benefit yet; its cost counts in the total, and its department shows no ROI, saying why.
    assert (total["cost"], total["benefit"], total["cost_over_months"]) == ("1900000.00", "1350000.00", "1900000.00")
    assert (total["roi_percent"], total["roi_reason"]) == ("-28.9", None)  # (1,350,000 - 1,900,000) / 1,900,000
    departments = {d["name"]: (d["cost"], d["roi_percent"], d["roi_reason"]) for d in body["departments"]}
    assert departments == {
        marketing.name: ("1125000.00", "20.0", None),
        sales.name: ("775000.00", None, "no_benefit"),
    }
    assert body["period"]["months"] == 12 and body["period"]["last_month"] == str(timezone.localdate().replace(day=1))
    rows = {r["reference"]: (r["running"]["total"], r["total_benefit"]) for r in body["use_cases"]}
    assert rows == {closed.reference: ("1125000.00", "1350000.00"), hosted.reference: ("775000.00", "0.00")}


# --- Cost settings and exchange rates ------------------------------------------------------------------------


def test_cost_settings_are_read_by_every_role(personas, api_client):
    for name, user in personas.items():
        response = api_client_for(user).get("/api/v1/cost-settings/")
        expected = {"anonymous": 401, "outsider": 403}.get(name, 200)
        assert response.status_code == expected, name
        if expected == 200:
            assert (response.json()["currency"], response.json()["gpu_monthly_cost"]) == ("JPY", "550000.00")


def test_only_admins_change_cost_settings_with_an_audit_event(personas, admin_user):
    for name in ("requester", "reviewer", "executive", "outsider"):
        response = api_client_for(personas[name]).patch("/api/v1/cost-settings/", {"hourly_rate": "1"}, format="json")
        assert response.status_code == 403, name
    client = api_client_for(admin_user)
    for payload in ({"hourly_rate": "-1"}, {"operations_fte": "-0.5"}, {"currency": "GBP"}):
        response = client.patch("/api/v1/cost-settings/", payload, format="json")
        assert response.status_code == 400 and set(response.json()) == set(payload)
    assert CostSettings.load().hourly_rate == 5000 and not AuditEvent.objects.exists()
    response = client.patch("/api/v1/cost-settings/", {"hourly_rate": "6000", "operations_fte": "0.25"}, format="json")
    assert response.status_code == 200 and response.json()["hourly_rate"] == "6000.00"
    assert CostSettings.load().hourly_rate == 6000
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.changes) == ("update", admin_user, {"hourly_rate": ["5000.00", "6000.00"]})


def test_exchange_rates_are_read_by_currency_code(requester, executive, outsider):
    listed = api_client_for(requester).get("/api/v1/exchange-rates/")
    assert [(r["currency"], r["rate"]) for r in listed.json()] == [("EUR", "160.000000"), ("USD", "150.000000")]
    assert api_client_for(executive).get("/api/v1/exchange-rates/USD/").json()["rate"] == "150.000000"
    assert api_client_for(requester).get("/api/v1/exchange-rates/JPY/").status_code == 404
    assert api_client_for(requester).get("/api/v1/exchange-rates/usd/").status_code == 404
    assert api_client_for(outsider).get("/api/v1/exchange-rates/").status_code == 403


def test_exchange_rates_are_written_by_admins_only(personas, admin_user):
    for name in ("requester", "reviewer", "executive"):
        client = api_client_for(personas[name])
        assert client.post("/api/v1/exchange-rates/", {"currency": "JPY", "rate": "1"}).status_code == 403
        assert client.patch("/api/v1/exchange-rates/USD/", {"rate": "1"}, format="json").status_code == 403
        assert client.delete("/api/v1/exchange-rates/USD/").status_code == 403
    assert api_client_for(None).delete("/api/v1/exchange-rates/USD/").status_code == 401
    client = api_client_for(admin_user)
    for payload in (
        {"currency": "JPY", "rate": "0"},
        {"currency": "JPY", "rate": "-1"},
        {"currency": "GBP", "rate": "190"},
        {"currency": "USD", "rate": "151"},  # USD already has a rate
    ):
        response = client.post("/api/v1/exchange-rates/", payload, format="json")
        assert response.status_code == 400, payload
    assert client.patch("/api/v1/exchange-rates/USD/", {"rate": "0"}, format="json").status_code == 400
    assert ExchangeRate.objects.get(currency="USD").rate == 150 and not AuditEvent.objects.exists()
    created = client.post("/api/v1/exchange-rates/", {"currency": "JPY", "rate": "1"}, format="json")
    assert created.status_code == 201 and created.json()["currency"] == "JPY"
    changed = client.put("/api/v1/exchange-rates/USD/", {"currency": "USD", "rate": "155.5"}, format="json")
    assert changed.status_code == 200 and changed.json()["rate"] == "155.500000"
    assert client.delete("/api/v1/exchange-rates/EUR/").status_code == 204
    assert list(ExchangeRate.objects.values_list("currency", "rate")) == [("JPY", 1), ("USD", Decimal("155.5"))]
    audit = list(AuditEvent.objects.order_by("pk").values_list("action", "changes", "data"))
    assert audit == [
        ("create", {"currency": [None, "JPY"], "rate": [None, "1.000000"]}, {}),
        ("update", {"rate": ["150.000000", "155.500000"]}, {}),
        ("update", {}, {"deleted": True, "rate": "160.000000"}),
    ]


# --- Who may write ------------------------------------------------------------------------------------------


def _operation(name, owner):
    """(use case, method, path, payload, success code) with everything in place to succeed."""
    use_case = approved(owner)
    if name == "advance":
        record_pilot(use_case, owner)
        return use_case, "post", "roadmap/advance/", {}, 200
    if name == "go-live":
        use_case = place(use_case, 5)
        choose_model(use_case, closed_model(), "closed_api")
        roadmap_services.decide_roles(use_case, owner, [
            {"choice": use_case.model_choices.get(), "role": "operations", "rationale": "運用"}
        ])  # fmt: skip
        return use_case, "post", "roadmap/go-live/", {}, 200
    if name == "move-back":
        return place(use_case, 3), "post", "roadmap/move-back/", {"to_step": 2, "reason": "再評価"}, 200
    if name == "retire":
        return use_case, "post", "roadmap/retire/", {"reason": "中止"}, 200
    if name in ("pilot", "poc"):
        model = closed_model() if name == "pilot" else open_model()
        payload = {"ai_model": model.pk, "starts_on": str(days(0)), "planned_end_on": str(days(9))}
        return use_case, "put", f"roadmap/{name}/", payload, 200
    if name == "model-roles":
        choose_model(use_case, closed_model())
        return use_case, "put", "roadmap/model-roles/", roles_payload(use_case), 200
    if name == "assumptions":
        return use_case, "patch", "economics/assumptions/", {"hourly_rate": "7000"}, 200
    payload = {"month": str(timezone.localdate().replace(day=1)), "hours_saved": "10"}
    return use_case, "post", "economics/benefits/", payload, 201


WRITES = ("advance", "go-live", "move-back", "retire", "pilot", "poc", "model-roles", "assumptions", "benefits")


@pytest.mark.parametrize("operation", WRITES)
@pytest.mark.parametrize(
    "persona", ["anonymous", "outsider", "executive", "other_requester", "requester", "reviewer", "admin"]
)
def test_who_may_write_the_roadmap(personas, requester, persona, operation):
    use_case, method, path, payload, success = _operation(operation, requester)
    before = AuditEvent.objects.count()
    response = getattr(api_client_for(personas[persona]), method)(url(use_case, path), payload, format="json")
    expected = {"anonymous": 401, "outsider": 403, "executive": 403, "other_requester": 403}.get(persona, success)
    if persona == "requester" and operation == "move-back":
        expected = 403  # reviewers only
    assert response.status_code == expected, response.content
    if expected >= 400:
        assert AuditEvent.objects.count() == before
    else:
        assert AuditEvent.objects.count() > before


@pytest.mark.parametrize("operation", WRITES)
def test_writes_on_a_use_case_the_user_cannot_see_are_404(requester, other_requester, operation):
    _approved, method, path, payload, _success = _operation(operation, requester)
    draft = UseCaseFactory(complete=True, owner=requester)
    response = getattr(api_client_for(other_requester), method)(url(draft, path), payload, format="json")
    assert response.status_code == 404


# --- Query counts ---------------------------------------------------------------------------------------------


def test_organisation_roadmap_queries_do_not_grow_with_rows(reviewer, requester, other_requester,
                                                            django_assert_max_num_queries):  # fmt: skip
    client = api_client_for(reviewer)
    approved(requester)
    with django_assert_max_num_queries(25) as few:
        assert client.get("/api/v1/roadmap/").status_code == 200
    for step in (2, 3, 3, 4, 5, 5, 6):
        for owner in (requester, other_requester):
            place(approved(owner, category="analytics" if step % 2 else "creative"), step)
    UseCaseFactory.create_batch(5, owner=other_requester)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/api/v1/roadmap/").json()["total"] == 20


def test_use_case_roadmap_queries_do_not_grow_with_rows(requester, django_assert_max_num_queries):
    use_case = place(approved(requester), 4)
    client = api_client_for(requester)
    record_pilot(use_case, requester)
    roadmap_services.save_trial(
        use_case, requester, "open_poc", {"ai_model": open_model(), "starts_on": days(0), "planned_end_on": days(9)}
    )
    with django_assert_max_num_queries(30) as few:
        assert client.get(url(use_case, "roadmap/")).status_code == 200
    for index in range(8):
        choose_model(use_case, closed_model(f"model {index}"))
    kpi = use_case.kpis.first()
    for index in range(20):
        KpiMeasurement.objects.create(kpi=kpi, measured_on=days(-index), value=index)
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = client.get(url(use_case, "roadmap/")).json()
    assert len(body["models"]) == 10 and len(body["trials"]) == 2
