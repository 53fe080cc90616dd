"""Personal API tokens: the page (/accounts/tokens/) and the API (/api/v1/tokens/).

The key is shown once, when the token is created; only its SHA-256 hash is kept. A
revoked token stops working at once; nobody can revoke another person's token."""

import datetime
import hashlib
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from portal import services
from portal.models import ApiToken, AuditEvent

PAGE = "/accounts/tokens/"
TOKENS = "/api/v1/tokens/"
SUMMARY = "/api/v1/adoption/summary/"
ME = "/api/v1/me/"
KEY = re.compile(r'id="new-token-key" value="([^"]+)"')


def create_on_page(client, name="BIダッシュボード"):
    response = client.post(PAGE, {"name": name})
    assert response.status_code == 200, response.content.decode()[:500]
    return response, KEY.search(response.content.decode()).group(1)


def with_token(key, keyword="Token"):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {key}")
    return client


def session_client(user):
    """An API client signed in with a real session (not ``force_authenticate``)."""
    client = APIClient()
    client.force_login(user)
    return client


def events(token, action):
    return AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(ApiToken), object_id=str(token.pk), action=action
    )


# --- The page ---------------------------------------------------------------------------------------


def test_the_key_is_shown_once_and_only_its_hash_is_stored(client, requester):
    client.force_login(requester)
    response, key = create_on_page(client)
    token = ApiToken.objects.get(user=requester)
    assert token.name == "BIダッシュボード"
    assert len(key) >= 40
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert token.prefix == key[:8]
    stored = [str(value) for value in ApiToken.objects.filter(pk=token.pk).values().get().values()]
    assert not any(key in value for value in stored)
    assert "BIダッシュボード" in response.content.decode()
    # Never again: not on the next page, not in the session, not in the audit trail.
    later = client.get(PAGE).content.decode()
    assert key not in later and 'id="new-token-key"' not in later
    assert f"<code>{token.prefix}…</code>" in later
    assert all(key not in str(value) for value in dict(client.session).values())
    event = events(token, "create").get()
    assert event.actor == requester and event.data == {"name": "BIダッシュボード", "prefix": token.prefix}
    assert key not in str(event.data) + event.object_repr
    # And the key works.
    assert with_token(key).get(ME).status_code == 200


@pytest.mark.parametrize("name", ["", "   "])
def test_the_name_is_required(client, requester, name):
    client.force_login(requester)
    response = client.post(PAGE, {"name": name})
    assert response.status_code == 400
    assert response.context["form"].errors["name"]
    assert not ApiToken.objects.exists()
    assert 'id="new-token-key"' not in response.content.decode()


def test_a_21st_active_token_is_refused_with_a_form_error(client, requester):
    tokens = [services.create_api_token(requester, f"スクリプト{n}")[0] for n in range(services.MAX_ACTIVE_TOKENS)]
    client.force_login(requester)
    response = client.post(PAGE, {"name": "もう一つ"})
    assert response.status_code == 400
    errors = response.context["form"].errors["name"]
    assert len(errors) == 1 and "20" in errors[0]
    assert 'id="new-token-key"' not in response.content.decode()
    assert ApiToken.objects.filter(user=requester).count() == 20
    # Revoked tokens do not count: revoke one, and there is room again.
    services.revoke_api_token(tokens[0], requester)
    create_on_page(client, "もう一つ")
    assert ApiToken.objects.filter(user=requester, revoked_at__isnull=True).count() == 20


def test_the_limit_is_per_person(client, requester, other_requester):
    for n in range(services.MAX_ACTIVE_TOKENS):
        services.create_api_token(other_requester, f"t{n}")
    client.force_login(requester)
    create_on_page(client)


def test_the_list_shows_when_each_token_was_last_used(client, requester):
    client.force_login(requester)
    _response, key = create_on_page(client)
    token = ApiToken.objects.get(user=requester)
    row = re.search(r"<tr><td>BIダッシュボード</td>.*?</tr>", client.get(PAGE).content.decode(), re.S).group(0)
    assert "<td>—</td>" in row
    assert with_token(key).get(ME).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert timezone.now() - token.last_used_at < datetime.timedelta(seconds=30)
    shown = timezone.localtime(token.last_used_at).strftime("%Y-%m-%d %H:%M")
    assert shown in client.get(PAGE).content.decode()
    # Within a minute the time is not written again; later it is.
    first = token.last_used_at
    assert with_token(key, "Bearer").get(ME).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - datetime.timedelta(minutes=5))
    with_token(key).get(ME)
    token.refresh_from_db()
    assert token.last_used_at > first - datetime.timedelta(seconds=1)


def test_only_your_own_tokens_are_listed(client, requester, other_requester):
    services.create_api_token(other_requester, "営業の連携")
    services.create_api_token(requester, "自分の連携")
    client.force_login(requester)
    content = client.get(PAGE).content.decode()
    assert "自分の連携" in content and "営業の連携" not in content


def test_revoking_stops_the_token_at_once(client, requester):
    client.force_login(requester)
    _response, key = create_on_page(client)
    token = ApiToken.objects.get(user=requester)
    assert with_token(key).get(ME).status_code == 200
    response = client.post(PAGE, {"revoke": token.pk})
    assert response.status_code == 302 and response["Location"] == PAGE
    token.refresh_from_db()
    assert token.revoked_at is not None
    response = with_token(key).get(ME)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    event = events(token, "revoke").get()
    assert event.actor == requester and event.data["prefix"] == token.prefix
    # Revoking again keeps the first time and records nothing more.
    revoked_at = token.revoked_at
    client.post(PAGE, {"revoke": token.pk})
    token.refresh_from_db()
    assert token.revoked_at == revoked_at and events(token, "revoke").count() == 1
    page = client.get(PAGE).content.decode()
    assert 'class="text-muted"' in page and f'value="{token.pk}"' not in page


def test_another_persons_token_cannot_be_revoked(client, requester, other_requester):
    token, key = services.create_api_token(other_requester, "営業の連携")
    client.force_login(requester)
    assert client.post(PAGE, {"revoke": token.pk}).status_code == 404
    assert client.post(PAGE, {"revoke": 987654}).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None and not events(token, "revoke").exists()
    assert with_token(key).get(ME).status_code == 200


def test_a_malformed_token_id_is_404_not_500(client, requester):
    """A revoke value that is not a token id ("abc", "1.5", empty) is a 404, not a server error."""
    client.raise_request_exception = False
    client.force_login(requester)
    values = ("abc", "1.5", "", "99999999999999999999")
    assert {value: client.post(PAGE, {"revoke": value}).status_code for value in values} == dict.fromkeys(values, 404)


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("requester", 200), ("reviewer", 200), ("executive", 200), ("admin", 200), ("outsider", 403)],
)
def test_who_may_hold_tokens(client, personas, persona, expected):
    client.force_login(personas[persona])
    assert client.get(PAGE).status_code == expected
    assert client.post(PAGE, {"name": "BI"}).status_code == expected
    assert ApiToken.objects.exists() == (expected == 200)


def test_the_page_is_in_japanese_by_default_and_english_when_asked(client, requester):
    client.force_login(requester)
    assert "自分のAPIトークン" in client.get(PAGE).content.decode()
    assert "Your API tokens" in client.get(PAGE, HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert client.post(PAGE, {"name": "BI"}).status_code == 302
    assert not ApiToken.objects.exists()


# --- The API ----------------------------------------------------------------------------------------


def test_api_lists_your_own_tokens_only(requester, other_requester):
    mine = [services.create_api_token(requester, name)[0] for name in ("一つ目", "二つ目")]
    theirs, their_key = services.create_api_token(other_requester, "営業")
    response = session_client(requester).get(TOKENS)
    assert response.status_code == 200
    assert sorted(item["id"] for item in response.json()) == sorted(token.pk for token in mine)
    fields = {"id", "name", "prefix", "created_at", "last_used_at", "revoked_at"}
    assert all(set(item) == fields for item in response.json())
    assert session_client(requester).get(f"{TOKENS}{theirs.pk}/").status_code == 404
    # A token lists its owner's tokens.
    assert [item["id"] for item in with_token(their_key).get(TOKENS).json()] == [theirs.pk]


def test_api_creates_a_token_with_a_session(requester):
    response = session_client(requester).post(TOKENS, {"name": "月次レポート"}, format="json")
    assert response.status_code == 201
    body = response.json()
    token = ApiToken.objects.get(pk=body["id"])
    assert body["name"] == "月次レポート" and body["prefix"] == body["key"][:8] == token.prefix
    assert token.key_hash == hashlib.sha256(body["key"].encode()).hexdigest()
    assert events(token, "create").get().actor == requester
    assert with_token(body["key"]).get(ME).json()["username"] == requester.username
    assert "key" not in session_client(requester).get(f"{TOKENS}{token.pk}/").json()


def test_api_refuses_to_create_a_token_with_a_token(requester):
    _token, key = services.create_api_token(requester, "BI")
    response = with_token(key).post(TOKENS, {"name": "盗まれた鍵から"}, format="json")
    assert response.status_code == 403
    assert ApiToken.objects.filter(user=requester).count() == 1


def test_api_create_checks_the_name_and_the_limit(requester):
    client = session_client(requester)
    assert client.post(TOKENS, {"name": ""}, format="json").status_code == 400
    assert client.post(TOKENS, {"name": "   "}, format="json").status_code == 400
    for n in range(services.MAX_ACTIVE_TOKENS):
        services.create_api_token(requester, f"t{n}")
    response = client.post(TOKENS, {"name": "21"}, format="json")
    assert response.status_code == 400 and "name" in response.json()
    assert ApiToken.objects.filter(user=requester).count() == 20


def test_api_revokes_your_own_token(requester):
    token, key = services.create_api_token(requester, "BI")
    response = session_client(requester).post(f"{TOKENS}{token.pk}/revoke/")
    assert response.status_code == 200 and response.json()["revoked_at"]
    assert with_token(key).get(ME).status_code == 401
    assert events(token, "revoke").count() == 1


def test_a_token_can_revoke_itself(requester):
    token, key = services.create_api_token(requester, "BI")
    assert with_token(key).post(f"{TOKENS}{token.pk}/revoke/").status_code == 200
    assert with_token(key).get(TOKENS).status_code == 401


def test_api_cannot_revoke_another_persons_token(requester, other_requester):
    token, key = services.create_api_token(other_requester, "営業")
    _mine, my_key = services.create_api_token(requester, "BI")
    assert session_client(requester).post(f"{TOKENS}{token.pk}/revoke/").status_code == 404
    assert session_client(requester).post(f"{TOKENS}abc/revoke/").status_code == 404
    assert with_token(my_key).post(f"{TOKENS}{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert with_token(key).get(ME).status_code == 200


def test_api_tokens_need_a_role(outsider, requester):
    assert session_client(outsider).get(TOKENS).status_code == 403
    assert session_client(outsider).post(TOKENS, {"name": "BI"}, format="json").status_code == 403
    assert APIClient().get(TOKENS).status_code == 401
    assert not ApiToken.objects.exists()


def test_a_deactivated_persons_token_stops_working(requester):
    _token, key = services.create_api_token(requester, "BI")
    requester.is_active = False
    requester.save(update_fields=["is_active"])
    assert with_token(key).get(ME).status_code == 401


@pytest.mark.parametrize("key", ["", "not-a-real-key", "a b"])
def test_unknown_or_malformed_keys_are_401(requester, key):
    services.create_api_token(requester, "BI")
    assert with_token(key).get(ME).status_code == 401


# --- Tokens and the adoption API ------------------------------------------------------------------------


def test_a_token_carries_its_owners_permissions(requester, executive, reviewer):
    _token, requester_key = services.create_api_token(requester, "BI")
    executive_token, executive_key = services.create_api_token(executive, "BI")
    _token, reviewer_key = services.create_api_token(reviewer, "BI")
    assert with_token(requester_key).get(SUMMARY).status_code == 403
    response = with_token(executive_key).get(SUMMARY)
    assert response.status_code == 200 and response.json()["total"] == 0
    assert with_token(reviewer_key).get(SUMMARY).status_code == 200
    services.revoke_api_token(executive_token, executive)
    assert with_token(executive_key).get(SUMMARY).status_code == 401


def test_a_persons_permissions_are_read_when_the_token_is_used(requester):
    """Giving the owner the executive role widens what the same token may read; nothing is frozen in it."""
    from django.contrib.auth.models import Group

    _token, key = services.create_api_token(requester, "BI")
    assert with_token(key).get(SUMMARY).status_code == 403
    requester.groups.add(Group.objects.get(name="executive"))
    assert with_token(key).get(SUMMARY).status_code == 200
