"""The cost view: models the policy checks refuse are marked and never the cheapest,
request shares are explicit (set on the intake form, the hybrid decision or the API, never
assumed), amounts priced in USD show USD beside JPY, and numbers are grouped the reader's way."""

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from governance.models import PolicyException
from tests.conftest import api_client_for
from tests.factories import AIModelFactory, UseCaseFactory, VendorFactory, approved_vendor, choose_model
from tests.usecases.roadmap_helpers import approved
from usecases import economics, returns, services
from usecases.models import UseCase, UseCaseModel

pytestmark = pytest.mark.django_db
EN, JA = {"HTTP_ACCEPT_LANGUAGE": "en"}, {"HTTP_ACCEPT_LANGUAGE": "ja"}
TRAINS = "Vendor trains on customer data without opt-out"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):  # the reasons are read in English (pages set their own language)
        yield


def priced(name, price_in, price_out, vendor=None, status="approved"):
    return AIModelFactory(
        name=name,
        price_input_per_million=price_in,
        price_output_per_million=price_out,
        currency="USD",
        status=status,
        openness="closed_api",
        publisher=vendor or clean_vendor(),
    )


def clean_vendor():
    """Approved for any data, keeps nothing, never trains, processes in Japan: nothing blocks it."""
    return approved_vendor("restricted", training_use="never", zero_retention_available=True, processing_regions=["JP"])


def trains_on_data():
    """DeepSeek as seeded: approved for nothing in particular, trains on our data with no opt-out."""
    return approved_vendor("restricted", name="DeepSeek", training_use="no_opt_out", processing_regions=["JP"])


def figures(use_case):
    return returns.use_case_economics(UseCase.objects.get(pk=use_case.pk))["cost"]


def html_of(response):
    return response.content.decode()


def block(html, element_id):
    match = re.search(rf'<(\w+)[^>]*id="{element_id}"[^>]*>(.*?)</\1>', html, re.S)
    return match.group(2) if match else None


def running_card(html):
    """The running-cost card (it holds nested elements, so up to the next card)."""
    return html[html.index('id="running-cost"') : html.index('id="roi"')]


# --- Blocked or not allowed: marked, never the cheapest -----------------------------------------------------


def test_a_model_whose_vendor_trains_on_confidential_data_is_not_the_cheapest(requester):
    """The reported case: DeepSeek R1 is far cheaper, but a blocking finding refuses it here."""
    use_case = approved(requester, data_classification="confidential", monthly_requests=1000)
    deepseek = choose_model(use_case, priced("DeepSeek R1", "0.55", "2.19", vendor=trains_on_data()))
    choose_model(use_case, priced("GPT-4o", "2.50", "10.00"))
    cost = figures(use_case)
    by_label = {c.label: c for c in cost.candidates}
    assert TRAINS in by_label["DeepSeek R1"].blocked and by_label["GPT-4o"].blocked == []
    assert by_label["DeepSeek R1"].monthly[1] < by_label["GPT-4o"].monthly[1]
    assert cost.cheapest == {1: "GPT-4o", 2: "GPT-4o", 10: "GPT-4o"}

    # The same model for public data: nothing refuses it, so it is the cheapest again.
    UseCase.objects.filter(pk=use_case.pk).update(data_classification="public")
    assert figures(use_case).cheapest[1] == "DeepSeek R1"

    # A valid exception for that finding lifts the mark; an expired one does not.
    UseCase.objects.filter(pk=use_case.pk).update(data_classification="confidential")
    subject = f"vendor:{deepseek.ai_model.publisher_id}"
    exception = PolicyException.objects.create(
        use_case=use_case,
        rule_id="vendor.trains-on-data",
        subject=subject,
        justification="試験的に",
        expires_on=timezone.localdate() - datetime.timedelta(days=1),
        granted_by=requester,
    )
    assert TRAINS in {c.label: c for c in figures(use_case).candidates}["DeepSeek R1"].blocked
    PolicyException.objects.filter(pk=exception.pk).update(expires_on=timezone.localdate() + datetime.timedelta(days=9))
    assert TRAINS not in {c.label: c for c in figures(use_case).candidates}["DeepSeek R1"].blocked


def test_catalogue_options_are_checked_against_this_use_case(requester):
    """Without own priced models the approved catalogue is compared; it is checked too."""
    use_case = approved(requester, data_classification="confidential", monthly_requests=1000)
    choose_model(
        use_case,
        AIModelFactory(name="Llama 3", openness="open_weights", publisher=VendorFactory(kind="open_weights")),
        "open_self_hosted",
    )
    priced("DeepSeek R1", "0.55", "2.19", vendor=trains_on_data())
    priced("GPT-4o", "2.50", "10.00")
    cost = figures(use_case)
    by_label = {c.label: c for c in cost.candidates}
    assert TRAINS in by_label["DeepSeek R1"].blocked and by_label["GPT-4o"].allowed
    assert cost.cheapest[1] == "GPT-4o"


def test_a_blocked_model_is_marked_on_the_page_and_in_the_api(client, requester):
    use_case = approved(requester, monthly_requests=1000, avg_input_tokens=1000, avg_output_tokens=500)
    choose_model(use_case, priced("DeepSeek R1", "0.55", "2.19", status="blocked"))
    client.force_login(requester)
    html = html_of(client.get(reverse("usecases:economics", args=[use_case.reference]), **EN))
    row = re.search(r'<tr class="candidate blocked[^"]*">(.*?)</tr>', html, re.S).group(1)
    assert "DeepSeek R1" in row and "may not be used here" in row and "Model blocked" in row
    assert "DeepSeek R1" not in block(html, "cheapest-row")
    assert "Self-hosted open model" in block(html, "cheapest-row")

    body = api_client_for(requester).get(f"/api/v1/use-cases/{use_case.reference}/economics/", **EN).json()
    (candidate,) = body["candidates"]
    assert (candidate["allowed"], candidate["blocked_reasons"]) == (False, ["Model blocked"])
    assert body["cheapest"]["now"] == "Self-hosted open model"

    ja = html_of(client.get(reverse("usecases:economics", args=[use_case.reference]), **JA))
    row = re.search(r'<tr class="candidate blocked[^"]*">(.*?)</tr>', ja, re.S).group(1)
    assert "このユースケースでは利用不可" in row and "利用禁止のモデル" in row


# --- Amounts: USD beside JPY, grouped and without meaningless decimals ------------------------------------


@pytest.mark.parametrize("headers", [EN, JA], ids=["en", "ja"])
def test_the_cost_page_shows_usd_beside_jpy_with_grouped_numbers(client, requester, headers):
    use_case = approved(requester, monthly_requests=1_000_000, avg_input_tokens=1000, avg_output_tokens=500)
    choose_model(use_case, priced("GPT-4o", "2.50", "10.00"))
    use_case.kpis.update(baseline="12000.50", target="15000")
    client.force_login(requester)
    html = html_of(client.get(reverse("usecases:economics", args=[use_case.reference]), **headers))
    kpis = block(html, "kpi-progress")
    assert "<td>12,000.5</td><td>15,000</td>" in kpis
    row = re.search(r'<tr class="candidate">(.*?)</tr>', block(html, "cost-table"), re.S).group(1)
    cells = [re.sub(r"<[^>]+>", " ", cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    cells = [" ".join(cell.split()) for cell in cells]
    # price 2.5 / 10 USD (not "2.5000"), and in yen 375 / 1,500 at 150
    assert cells[1] == "2.5 / 10 USD 375 / 1,500 JPY"
    assert cells[2] == "1 USD = 150 JPY"
    assert cells[3] == "1.125 0.0075 USD"  # per request: JPY, then USD
    assert cells[4:7] == ["1,125,000 7,500 USD", "2,250,000 15,000 USD", "11,250,000 75,000 USD"]
    assert "2.5000" not in html
    volume = " ".join(re.sub(r"<[^>]+>", " ", block(html, "volume")).split())
    assert "1,000,000" in volume and "1,000" in volume and "1000 " not in volume
    running = " ".join(re.sub(r"<[^>]+>", " ", running_card(html)).split())
    assert "1,125,000 7,500 USD" in running
    assert "1 USD = 150 JPY" in block(html, "exchange-rates")


# --- Shares: explicit, validated, used --------------------------------------------------------------------


def test_two_models_without_shares_show_full_volume_costs_and_no_total(client, requester):
    use_case = approved(requester, monthly_requests=1_000_000, avg_input_tokens=1000, avg_output_tokens=500)
    choose_model(use_case, priced("GPT-4o", "2.50", "10.00"))
    choose_model(use_case, priced("Claude 3", "3.00", "15.00"))
    client.force_login(requester)
    html = html_of(client.get(reverse("usecases:economics", args=[use_case.reference]), **EN))
    running = running_card(html)
    assert "50%" not in running and "50.00" not in running
    assert running.count("if it took all the requests") == 2
    assert "1,125,000" in running and "1,575,000" in running  # each at the whole volume
    assert block(html, "running-total").strip() == "—"
    assert "their shares of the requests are not set" in running
    assert 'id="set-shares"' in running
    assert reverse("usecases:model-roles", args=[use_case.reference]) in running

    body = api_client_for(requester).get(f"/api/v1/use-cases/{use_case.reference}/economics/").json()
    assert (body["running"]["shares_set"], body["running"]["total"], body["running"]["closed"]) == (False, None, None)
    assert [(line["share"], line["cost"], line["full_volume"]) for line in body["running"]["lines"]] == [
        (None, "1125000.00", True),
        (None, "1575000.00", True),
    ]
    assert [line["own_cost"] for line in body["running"]["lines"]] == ["7500.00", "10500.00"]

    ja = html_of(client.get(reverse("usecases:economics", args=[use_case.reference]), **JA))
    assert running_card(ja).count('full-volume">(すべてのリクエストを処理した場合)') == 2
    assert "リクエストの配分が未設定のため運用コストの合計は出していません" in running_card(ja)
    roles = html_of(client.get(reverse("usecases:model-roles", args=[use_case.reference]), **JA))
    assert "配分を仮定しません" in roles


@pytest.mark.parametrize(
    "shares, error",
    [
        ((60, 30), "The shares of the requests add up to 90%; they must add up to 100%."),
        ((100, None), "Give every model its share of the requests, or leave all shares empty."),
        ((101, -1), "A share of the requests is a percentage from 0 to 100."),
    ],
)
def test_shares_are_all_or_none_and_add_up_to_100(requester, shares, error):
    a, b = priced("GPT-4o", "2.50", "10.00"), priced("Claude 3", "3.00", "15.00")
    rows = [
        {"ai_model": a, "deployment": "closed_api", "request_share": shares[0]},
        {"ai_model": b, "deployment": "closed_api", "request_share": shares[1]},
    ]
    with pytest.raises(ValidationError) as caught:
        services.create_draft(requester, {"title": "配分"}, models=rows)
    assert [str(m) for m in caught.value.message_dict["models"]] == [error]
    assert not UseCase.objects.exists()


def test_shares_set_on_the_intake_form_are_saved_and_used(client, requester):
    use_case = UseCaseFactory(complete=True, owner=requester, monthly_requests=1_000_000, avg_input_tokens=1000,
                              avg_output_tokens=500)  # fmt: skip
    a, b = priced("GPT-4o", "2.50", "10.00"), priced("Claude 3", "3.00", "15.00")
    client.force_login(requester)
    html = html_of(client.get(reverse("usecases:economics", args=[use_case.reference]), **EN))
    choose_model(use_case, a)
    choose_model(use_case, b)
    html = html_of(client.get(reverse("usecases:economics", args=[use_case.reference]), **EN))
    assert reverse("usecases:update", args=[use_case.reference]) in running_card(html)  # a draft: intake

    def post(first, second):
        data = {"title": use_case.title, "summary": use_case.summary, "category": use_case.category,
                "audience": use_case.audience, "data_classification": use_case.data_classification,
                "intended_style": use_case.intended_style, "monthly_requests": "1000000",
                "avg_input_tokens": "1000", "avg_output_tokens": "500",
                "loaded_version": UseCase.objects.get(pk=use_case.pk).version}  # fmt: skip
        rows = {
            "tasks": [
                {"id": t.pk, "description": t.description, "performer": t.performer} for t in use_case.tasks.all()
            ],
            "kpis": [
                {"id": k.pk, "name": k.name, "unit": k.unit, "direction": k.direction, "target": k.target}
                for k in use_case.kpis.all()
            ],
            "models": [
                {
                    "id": UseCaseModel.objects.get(use_case=use_case, ai_model=model).pk,
                    "ai_model": model.pk,
                    "deployment": "closed_api",
                    "request_share": share,
                }
                for model, share in ((a, first), (b, second))
            ],
        }
        for prefix, items in rows.items():
            data[f"{prefix}-TOTAL_FORMS"] = str(len(items))
            data[f"{prefix}-INITIAL_FORMS"] = str(len(items))
            for index, row in enumerate(items):
                data.update({f"{prefix}-{index}-{key}": value for key, value in row.items()})
        return client.post(reverse("usecases:update", args=[use_case.reference]), data, **EN)

    form = html_of(client.get(reverse("usecases:update", args=[use_case.reference]), **EN))
    assert 'name="models-0-request_share"' in form and 'name="models-1-request_share"' in form
    refused = post("70", "")
    assert refused.status_code == 200
    assert "Give every model its share of the requests, or leave all shares empty." in html_of(refused)
    assert list(use_case.model_choices.values_list("request_share", flat=True)) == [None, None]
    saved = post("70", "30")
    assert saved.status_code == 302, html_of(saved)
    assert list(use_case.model_choices.values_list("request_share", flat=True)) == [70, 30]
    running = figures(use_case).running
    # 700,000 x 1.125 + 300,000 x (1,000 x 3 + 500 x 15) / 1M x 150
    assert (running["shares_set"], running["total"]) == (True, economics.money(787_500 + 472_500))


def test_shares_through_the_use_case_api(requester):
    client = api_client_for(requester)
    a, b = priced("GPT-4o", "2.50", "10.00"), priced("Claude 3", "3.00", "15.00")
    payload = {"title": "配分つき", "models": [
        {"ai_model": a.pk, "deployment": "closed_api", "request_share": 60},
        {"ai_model": b.pk, "deployment": "closed_api", "request_share": 30},
    ]}  # fmt: skip
    refused = client.post("/api/v1/use-cases/", payload, format="json", **EN)
    assert refused.status_code == 400 and "models" in refused.json(), refused.content
    assert not UseCase.objects.exists()
    payload["models"][1]["request_share"] = 40
    created = client.post("/api/v1/use-cases/", payload, format="json")
    assert created.status_code == 201, created.content
    assert [row["request_share"] for row in created.json()["models"]] == [60, 40]
    too_big = client.patch(
        created.json()["url"], {"models": [{**payload["models"][0], "request_share": 101}]}, format="json"
    )
    assert too_big.status_code == 400 and "models" in too_big.json()


@pytest.mark.parametrize("headers", [EN, JA], ids=["en", "ja"])
def test_the_detail_page_groups_the_volume(client, requester, headers):
    use_case = UseCaseFactory(complete=True, owner=requester, monthly_requests=12000, avg_input_tokens=1500,
                              avg_output_tokens=800)  # fmt: skip
    client.force_login(requester)
    html = html_of(client.get(use_case.get_absolute_url(), **headers))
    assert "12,000" in html and "1,500" in html and "12000" not in html


def test_the_organisation_page_and_api_say_which_use_cases_are_left_out(client, requester):
    split = approved(requester, monthly_requests=1000)
    choose_model(split, priced("GPT-4o", "2.50", "10.00"))
    choose_model(split, priced("Claude 3", "3.00", "15.00"))
    client.force_login(requester)
    html = html_of(client.get(reverse("usecases:organisation-economics"), **EN))
    assert "1 live use case is left out of the sums" in block(html, "unpriced")
    ja = html_of(client.get(reverse("usecases:organisation-economics"), **JA))
    assert "稼働中のユースケース1件を合計から除いています" in block(ja, "unpriced")
    body = api_client_for(requester).get("/api/v1/roadmap/economics/").json()
    assert body["total"]["unpriced"] == 1 and body["use_cases"][0]["running"]["total"] is None
