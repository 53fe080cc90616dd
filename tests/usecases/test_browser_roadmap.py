"""End to end in a real browser: an approved use case goes through the closed pilot, skips
the open-model proof of concept, gets its hybrid decision and goes into production; its
cost and value page then draws the cost chart.

Headless Debian Chromium through Playwright's sync API against pytest-django's
``live_server``. The same journey is walked twice, on two use cases: by the owning
requester with an English UI and by a requester of another department with a Japanese UI
(the UI language follows the browser's Accept-Language). Labels are asserted as the
server renders them in that language (``_in``), since the catalogue may still lack some
roadmap strings. Screenshots of every step go to ``test-artifacts/browser/roadmap-*.png``.
"""

import contextlib
import datetime
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect, sync_playwright

from governance import services as governance_services
from portal.models import AuditEvent
from tests.browser import TIMEOUT_MS, in_language, log_in_as, post
from tests.conftest import CHROMIUM_ARGS
from tests.factories import AIModelFactory, UseCaseFactory, approved_vendor, choose_model
from usecases import services
from usecases.choices import ModelRole, RoadmapStep, UseCaseStatus
from usecases.economics import SELF_HOSTING
from usecases.models import UseCase

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
MAX_STAGES = 6  # more than the seeded stage definitions
# 1,000,000 requests a month of 1,000 input and 500 output tokens on GPT-4o at USD 2.50 / 10.00
# per million tokens: USD 0.0075 a request, JPY 1.125 at the seeded rate of 150 -> JPY 1,125,000.
# Self-hosting: the seeded GPU setup 550,000 + 0.25 FTE x 900,000 = 775,000, whatever the volume.
GPT_MONTHLY = "1,125,000"
SELF_HOSTING_MONTHLY = "775,000"
GPT_AT_TOP_OF_CURVE = 11_250_000  # the curve runs to 10x today's volume (past the break-even)


def _approved_use_case(owner, reviewer, gpt, title):
    """A complete use case on GPT-4o, submitted and approved through the services (so its
    approval, findings and stages are real), with a volume that makes the costs readable."""
    use_case = UseCaseFactory(
        complete=True,
        owner=owner,
        title=title,
        monthly_requests=1_000_000,
        avg_input_tokens=1000,
        avg_output_tokens=500,
    )
    choice = choose_model(use_case, gpt)
    use_case = services.submit(use_case, owner)
    for _round in range(MAX_STAGES):
        stage = governance_services.active_stage(use_case)
        if stage is None:
            break
        governance_services.decide_stage(stage, reviewer, "approve")
    use_case = UseCase.objects.get(pk=use_case.pk)
    assert (use_case.status, use_case.roadmap_step) == (UseCaseStatus.APPROVED, RoadmapStep.GOVERNANCE)
    return use_case, choice


def _labels(language):
    """Everything the journey reads on the pages, as rendered in ``language`` (no database)."""
    return {
        "approved": in_language(language, UseCaseStatus.APPROVED.label),
        "piloting": in_language(language, UseCaseStatus.PILOTING.label),
        "in_production": in_language(language, UseCaseStatus.IN_PRODUCTION.label),
        "step2": in_language(language, RoadmapStep.GOVERNANCE.label),
        "step3": in_language(language, RoadmapStep.CLOSED_START.label),
        "step5": in_language(language, RoadmapStep.HYBRID.label),
        "start_pilot": in_language(language, "Start the closed pilot"),
        "refused": in_language(language, "Step %(step)s cannot be entered yet. Still needed:", step=3),
        "pilot_model_unmet": "{} — {}".format(
            in_language(language, "An approved closed model from an approved vendor is chosen for the pilot"),
            in_language(language, "No pilot is recorded yet."),
        ),
        "pilot_dates_unmet": in_language(language, "The pilot has a start date and a planned end date"),
        "saved": in_language(language, "Saved."),
        "moved_to_3": in_language(
            language, "Moved to %(step)s.", step=in_language(language, RoadmapStep.CLOSED_START.label)
        ),
        "moved_to_5": in_language(language, "Moved to %(step)s.", step=in_language(language, RoadmapStep.HYBRID.label)),
        "measured": in_language(language, "Measurement recorded."),
        "skipped": in_language(language, "skipped"),
        "roles_saved": in_language(language, "The hybrid decision is saved."),
        "operations": in_language(language, ModelRole.OPERATIONS.label),
        "live": in_language(language, "The use case is in production."),
        "self_hosting": in_language(language, SELF_HOSTING),
    }


def _walk(page, base, journey, shot):
    """The whole journey in the browser, from the approved use case to its cost chart."""
    labels, reference = journey["labels"], journey["reference"]
    use_case_url = f"{base}/usecases/{reference}/"
    roadmap_url = f"{use_case_url}roadmap/"
    danger, success = page.locator(".alert-danger"), page.locator(".alert-success")
    current_step = page.locator("#roadmap-steps li[aria-current=step]")

    # 1. The approved use case links to its roadmap.
    page.goto(use_case_url)
    expect(page.locator("html")).to_have_attribute("lang", journey["language"])
    expect(page.locator("#status")).to_have_text(labels["approved"])
    page.click("#roadmap-link")
    page.wait_for_url(roadmap_url)
    expect(current_step).to_have_text(labels["step2"])
    expect(page.locator("#advance-button")).to_have_text(labels["start_pilot"])
    expect(page.locator("#next-step-unmet li[data-code]")).to_have_count(2)
    shot("01-roadmap-approved")

    # 2. Starting the pilot before one is recorded is refused with every unmet item; nothing moves.
    post(page, "#advance-button")
    expect(danger).to_have_text([labels["refused"], labels["pilot_model_unmet"], labels["pilot_dates_unmet"]])
    expect(page.locator("#status")).to_have_text(labels["approved"])
    expect(current_step).to_have_text(labels["step2"])
    shot("02-start-refused")

    # 3. The pilot on GPT-4o is recorded, then started.
    page.click("#edit-pilot")
    page.wait_for_url(f"{roadmap_url}pilot/")
    page.select_option("#id_ai_model", journey["model_pk"])
    page.fill("#id_scope", "One team drafts its ad copy with GPT-4o for a month.")
    page.fill("#id_starts_on", journey["pilot_start"])
    page.fill("#id_planned_end_on", journey["pilot_end"])
    page.fill("#id_results", journey["pilot_results"])
    shot("03-pilot-form")
    post(page, "#submit-id-save")
    assert page.url == roadmap_url
    expect(success).to_have_text(labels["saved"])
    expect(page.locator("#pilot")).to_contain_text(journey["pilot_results"])
    expect(page.locator("#next-step-ready")).to_be_visible()
    post(page, "#advance-button")
    expect(success).to_have_text(labels["moved_to_3"])
    expect(page.locator("#status")).to_have_text(labels["piloting"])
    expect(current_step).to_have_text(labels["step3"])
    expect(page.locator("#skip-poc-form")).to_be_visible()
    shot("04-piloting")

    # 4. A KPI measurement since the pilot started (the pilot's results need one).
    page.click(f"a[href='/usecases/{reference}/']")
    page.wait_for_url(use_case_url)
    page.click("#record-measurement")
    page.wait_for_url(f"{use_case_url}measurements/new/")
    page.fill("#id_measured_on", journey["today"])
    page.fill("#id_value", "2.1")
    page.fill("#id_note", "First month of the pilot")
    post(page, "#submit-id-save")
    assert page.url == use_case_url
    expect(success).to_have_text(labels["measured"])
    shot("05-measured")

    # 5. The open-model proof of concept is skipped, with the reason: straight to step 5.
    page.click("#roadmap-link")
    page.wait_for_url(roadmap_url)
    page.fill("#skip-poc-form textarea[name='skip-reason']", journey["skip_reason"])
    post(page, "#skip-poc-button")
    expect(success).to_have_text(labels["moved_to_5"])
    expect(current_step).to_have_text(labels["step5"])
    expect(page.locator("#poc-skipped")).to_contain_text(journey["skip_reason"])
    expect(page.locator("#roadmap-steps li").nth(3)).to_contain_text(labels["skipped"])
    expect(page.locator("#status")).to_have_text(labels["piloting"])
    expect(page.locator("#skip-poc-form")).to_have_count(0)
    shot("06-poc-skipped")

    # 6. The hybrid decision: GPT-4o runs day-to-day operations.
    page.click("#edit-roles")
    page.wait_for_url(f"{roadmap_url}roles/")
    prefix = f"model-{journey['choice_pk']}"
    page.select_option(f"select[name='{prefix}-role']", "operations")
    page.fill(f"textarea[name='{prefix}-rationale']", journey["rationale"])
    shot("07-roles-form")
    post(page, "#save-roles")
    assert page.url == roadmap_url
    expect(success).to_have_text(labels["roles_saved"])
    expect(page.locator("#hybrid tbody tr")).to_have_count(1)
    expect(page.locator("#hybrid tbody tr")).to_contain_text(labels["operations"])
    expect(page.locator("#hybrid tbody tr")).to_contain_text(journey["rationale"])
    expect(page.locator("#go-live-unmet")).to_have_count(0)
    shot("08-roles-decided")

    # 7. Go live.
    post(page, "#go-live-button")
    expect(success).to_have_text(labels["live"])
    expect(page.locator("#status")).to_have_text(labels["in_production"])
    expect(current_step).to_have_text(labels["step5"])
    expect(page.locator("#go-live-button")).to_have_count(0)
    shot("09-in-production")

    # 8. The cost and value page: the table's figures, and the chart drawn by Chart.js.
    page.click("#economics-link")
    page.wait_for_url(f"{use_case_url}economics/")
    gpt_row = page.locator("#cost-table tr.candidate")
    expect(gpt_row).to_have_count(1)
    expect(gpt_row.locator("td").first).to_have_text("GPT-4o")
    expect(gpt_row.locator("td").nth(4).locator(".amount")).to_have_text(GPT_MONTHLY)
    expect(gpt_row.locator("td").nth(4).locator(".own-amount")).to_have_text("7,500 USD")  # USD beside JPY
    expect(page.locator("#self-hosting-row td").nth(0)).to_have_text(labels["self_hosting"])
    expect(page.locator("#self-hosting-row td").nth(2)).to_have_text(SELF_HOSTING_MONTHLY)
    expect(page.locator("#cheapest-row td").nth(1)).to_have_text(labels["self_hosting"])
    expect(page.locator("#running-total")).to_have_text(GPT_MONTHLY)
    canvas = page.locator("#cost-chart")
    expect(canvas).to_be_visible()
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('cost-chart'))")
    drawn = canvas.evaluate(
        """canvas => {
            const chart = Chart.getChart(canvas);
            const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
            const near = (i, [r, g, b]) =>
                Math.abs(pixels[i] - r) + Math.abs(pixels[i + 1] - g) + Math.abs(pixels[i + 2] - b) < 40;
            let painted = 0, blue = 0, red = 0;
            for (let i = 0; i < pixels.length; i += 4) {
                if (pixels[i + 3] === 0) continue;
                painted++;
                if (pixels[i + 3] > 200 && near(i, [13, 110, 253])) blue++;  // charts.js palette[0]
                if (pixels[i + 3] > 200 && near(i, [220, 53, 69])) red++;  // palette[1]
            }
            return {
                type: chart.config.type,
                labels: chart.data.datasets.map(set => set.label),
                points: chart.data.datasets.map(set => set.data.length),
                gpt: chart.data.datasets[0].data,
                selfHosting: chart.data.datasets[1].data,
                painted: painted,
                blue: blue,
                red: red,
                area: canvas.width * canvas.height,
            };
        }"""
    )
    assert drawn["type"] == "line", drawn
    assert drawn["labels"] == ["GPT-4o", labels["self_hosting"]], drawn["labels"]
    assert drawn["points"] == [11, 11], drawn["points"]
    assert drawn["gpt"][0] == 0 and drawn["gpt"][-1] == GPT_AT_TOP_OF_CURVE, drawn["gpt"]
    assert set(drawn["selfHosting"]) == {775_000}, drawn["selfHosting"]
    # Axes, ticks, legend and two lines: well over 1% of a transparent canvas is painted.
    assert drawn["painted"] > drawn["area"] // 100, (drawn["painted"], drawn["area"])
    # Both lines (and their legend boxes) are on the canvas in their palette colours.
    assert drawn["blue"] > 300 and drawn["red"] > 300, (drawn["blue"], drawn["red"])
    canvas.scroll_into_view_if_needed()
    shot("10-cost-chart")


@pytest.mark.browser
# Groups, permissions, the classification matrix, the licences, the cost settings and the
# exchange rates come from data migrations; a transactional test's flush would delete
# them, so restore them.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_use_case_goes_from_approval_through_pilot_and_skipped_poc_to_production_with_cost_chart(
    live_server, chromium_path, requester, other_requester, reviewer
):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("roadmap-*failure.png"):
        old.unlink()  # only this run's failure, if any
    base = live_server.url

    vendor = approved_vendor(name="OpenAI")
    gpt = AIModelFactory(
        name="GPT-4o",
        publisher=vendor,
        status="approved",
        price_input_per_million="2.50",
        price_output_per_million="10.00",
    )
    today = timezone.localdate()
    journeys = []
    for user, language, title in (
        (requester, "en", "Roadmap browser test: ad copy drafts"),
        (other_requester, "ja", "ロードマップのブラウザテスト: 提案書の下書き"),
    ):
        use_case, choice = _approved_use_case(user, reviewer, gpt, title)
        journeys.append(
            {
                "user": user,
                "username": user.username,
                "language": language,
                "locale": {"en": "en-US", "ja": "ja-JP"}[language],
                "pk": use_case.pk,
                "reference": use_case.reference,
                "model_pk": str(gpt.pk),
                "choice_pk": choice.pk,
                "today": today.isoformat(),
                "pilot_start": (today - datetime.timedelta(days=14)).isoformat(),
                "pilot_end": (today + datetime.timedelta(days=30)).isoformat(),
                "pilot_results": f"[{language}] CTR up from 1.8% to 2.1%; the team likes the drafts.",
                "skip_reason": f"[{language}] Closed AI is enough here; customising an open model is not worth it.",
                "rationale": f"[{language}] Routine drafting: the closed API is cheapest to run.",
                "labels": _labels(language),
            }
        )
    assert journeys[1]["labels"]["piloting"] != "Piloting", "the Japanese catalogue does not translate 'Piloting'"

    # No database queries inside this block: under Playwright's sync API Django's
    # context-local connection is a second one that nothing closes, and the open
    # session then blocks dropping the PostgreSQL test database.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        try:
            for journey in journeys:
                context = browser.new_context(locale=journey["locale"], viewport={"width": 1280, "height": 900})
                context.set_default_timeout(TIMEOUT_MS)
                page = context.new_page()
                prefix = f"roadmap-{journey['language']}"

                def shot(name, page=page, prefix=prefix):
                    page.screenshot(path=str(ARTIFACTS / f"{prefix}-{name}.png"), full_page=True)

                try:
                    log_in_as(page, base, journey["username"])
                    _walk(page, base, journey, shot)
                except Exception:
                    with contextlib.suppress(Exception):
                        shot("failure")
                    raise
                finally:
                    context.close()
        finally:
            browser.close()

    for journey in journeys:
        use_case = UseCase.objects.get(pk=journey["pk"])
        assert use_case.status == UseCaseStatus.IN_PRODUCTION
        assert use_case.roadmap_step == RoadmapStep.HYBRID
        assert use_case.poc_skipped_reason == journey["skip_reason"]
        assert use_case.went_live_at is not None
        assert not use_case.trials.filter(kind="open_poc").exists()
        pilot = use_case.trials.get(kind="closed_pilot")
        assert (pilot.ai_model_id, pilot.starts_on.isoformat(), pilot.results) == (
            gpt.pk,
            journey["pilot_start"],
            journey["pilot_results"],
        )
        assert list(use_case.model_choices.values_list("ai_model_id", "role", "role_rationale")) == [
            (gpt.pk, "operations", journey["rationale"])
        ]
        measurement = use_case.kpis.get().measurements.get()
        assert (measurement.measured_on.isoformat(), str(measurement.value.normalize())) == (journey["today"], "2.1")
        events = AuditEvent.objects.for_object(use_case).order_by("created_at", "pk")
        actions = list(events.values_list("action", flat=True))
        moves = [a for a in actions if a in {"start_pilot", "advance_step", "skip_poc", "decide_roles", "go_live"}]
        assert moves == ["start_pilot", "skip_poc", "decide_roles", "go_live"], actions
        skip = events.get(action="skip_poc")
        assert (skip.comment, skip.data, skip.actor_id) == (
            journey["skip_reason"],
            {"from_step": 3, "to_step": 5},
            journey["user"].pk,
        )
        assert events.get(action="go_live").to_state == UseCaseStatus.IN_PRODUCTION
        assert "record_measurement" in actions and "save_trial" in actions
