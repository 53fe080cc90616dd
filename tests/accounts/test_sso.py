"""Single sign-on against a real OpenID provider process (tests/oidc_provider, oidc-provider on
loopback): the portal's code flow through the Django test client, the person's browser at the
provider through requests."""

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from portal.auth_models import ExternalIdentity, SsoGroupMapping
from portal.auth_sso.errors import Reason
from portal.auth_sso.views import SIGNED_IN_AT
from portal.choices import AuditAction
from portal.models import AuditEvent, User
from portal.roles import Role
from tests.accounts.conftest import PORTAL
from tests.accounts.oidc import OTHER_CLIENT_ID, ProviderBrowser, account
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

EMAIL = "hanako.yamada@example.com"


@pytest.fixture
def mapping(db, it_department):
    """Provider groups -> portal groups, as a governance admin sets them in the admin."""
    for claim, group in [
        ("ai-reviewers", Role.REVIEWER),
        ("ai-reviewers", "it-review"),
        ("ai-requesters", Role.REQUESTER),
        ("ai-admins", Role.GOVERNANCE_ADMIN),
    ]:
        SsoGroupMapping.objects.create(claim_value=claim, group=Group.objects.get_or_create(name=group)[0])


def start(client, **params):
    response = client.get(reverse("oidc_authentication_init"), params)
    assert response.status_code == 302, response.content[:300]
    return response["Location"]


def sign_in(client, sso, login="hanako", browser=None):
    """The whole flow; returns the portal's answer to the provider's callback."""
    browser = browser or ProviderBrowser(sso, PORTAL)
    callback = browser.authorize(start(client), login)
    return client.get(callback.removeprefix(PORTAL))


def refusals(reason):
    return AuditEvent.objects.filter(action=AuditAction.SSO_REFUSED, data__reason=reason)


def shows(response, label):
    """The page says ``label`` (in the active language, HTML-escaped as the template does)."""
    return escape(str(label)) in response.content.decode()


def groups_of(user):
    return set(user.groups.values_list("name", flat=True))


def test_first_sign_in_creates_the_person_with_roles_from_groups(client, sso, mapping, it_department):
    sso.update(accounts={"hanako": account(EMAIL, ["ai-reviewers", "unrelated-group"])})
    response = sign_in(client, sso)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    user = User.objects.get(email=EMAIL)
    assert (user.first_name, user.last_name, user.department) == ("Hanako", "Yamada", it_department)
    assert groups_of(user) == {Role.REVIEWER, "it-review"}
    assert not user.has_usable_password() and not user.is_staff
    assert ExternalIdentity.objects.get(user=user).issuer == sso.issuer
    assert client.get(reverse("home")).status_code == 200
    assert client.session["_auth_user_id"] == str(user.pk)
    actions = list(AuditEvent.objects.filter(object_id=str(user.pk)).values_list("action", flat=True))
    assert AuditAction.CREATE in actions and AuditAction.SSO_SIGN_IN in actions


def test_a_changed_group_changes_the_role_at_the_next_sign_in(client, sso, mapping):
    sso.update(accounts={"hanako": account(EMAIL, ["ai-reviewers"])})
    sign_in(client, sso)
    user = User.objects.get(email=EMAIL)
    client.logout()
    # Moved to another group at the provider; a role given by hand is taken away too.
    user.groups.add(Group.objects.get(name=Role.EXECUTIVE))
    sso.update(accounts={"hanako": account(EMAIL, ["ai-requesters"], department="unknown-dept")})
    response = sign_in(client, sso)
    assert response.status_code == 302
    user.refresh_from_db()
    assert groups_of(user) == {Role.REQUESTER}
    assert user.department is not None  # an unknown department claim keeps the one the person had
    assert User.objects.filter(email=EMAIL).count() == 1
    event = AuditEvent.objects.filter(object_id=str(user.pk), action=AuditAction.SSO_SIGN_IN).first()
    assert event.changes["groups"] == [sorted([Role.EXECUTIVE, Role.REVIEWER, "it-review"]), [Role.REQUESTER]]


def test_governance_admins_get_the_admin_site(client, sso, mapping):
    sso.update(accounts={"hanako": account(EMAIL, ["ai-admins"])})
    sign_in(client, sso)
    user = User.objects.get(email=EMAIL)
    assert user.is_staff and groups_of(user) == {Role.GOVERNANCE_ADMIN}
    assert client.get(reverse("admin:portal_ssogroupmapping_changelist")).status_code == 200


def test_a_person_disabled_at_the_provider_is_refused(client, sso, mapping):
    browser = ProviderBrowser(sso, PORTAL)
    sso.update(accounts={"hanako": account(EMAIL, ["ai-reviewers"])})
    assert sign_in(client, sso, browser=browser).status_code == 302
    client.logout()
    sso.update(accounts={"hanako": account(EMAIL, ["ai-reviewers"], disabled=True)})
    # Same browser: the provider's session is still open, and it refuses all the same.
    response = sign_in(client, sso, browser=browser)
    assert response.status_code == 403
    assert shows(response, Reason.PROVIDER_REFUSED.label)
    assert "_auth_user_id" not in client.session
    assert refusals(Reason.PROVIDER_REFUSED).exists()


def test_an_inactive_claim_is_refused(client, sso, mapping):
    sso.update(accounts={"hanako": account(EMAIL, ["ai-reviewers"])})
    assert sign_in(client, sso).status_code == 302
    client.logout()
    sso.update(accounts={"hanako": {**account(EMAIL, ["ai-reviewers"]), "active": False}})
    response = sign_in(client, sso)
    assert response.status_code == 403 and "_auth_user_id" not in client.session
    assert refusals(Reason.ACCOUNT_DISABLED).exists()


def test_a_new_person_whose_groups_give_no_role_is_refused_and_not_created(client, sso, mapping):
    sso.update(accounts={"taro": account("taro@example.com", ["nobody-maps-this"])})
    response = sign_in(client, sso, login="taro")
    assert response.status_code == 403
    assert shows(response, Reason.NO_ROLE.label)
    assert not User.objects.filter(email="taro@example.com").exists()
    assert not ExternalIdentity.objects.exists()
    assert refusals(Reason.NO_ROLE).filter(data__email="taro@example.com").exists()


def test_losing_every_role_refuses_and_takes_the_roles_away(client, sso, mapping):
    sso.update(accounts={"hanako": account(EMAIL, ["ai-reviewers"])})
    sign_in(client, sso)
    client.logout()
    sso.update(accounts={"hanako": account(EMAIL, [])})
    response = sign_in(client, sso)
    assert response.status_code == 403 and "_auth_user_id" not in client.session
    assert groups_of(User.objects.get(email=EMAIL)) == set()
    assert refusals(Reason.NO_ROLE).count() == 1


def test_a_person_disabled_in_the_portal_is_refused(client, sso, mapping):
    UserFactory(username="hanako", email=EMAIL, is_active=False)
    sso.update(accounts={"hanako": account(EMAIL, ["ai-reviewers"])})
    response = sign_in(client, sso)
    assert response.status_code == 403
    assert refusals(Reason.ACCOUNT_DISABLED).exists()


def test_tampered_state_is_refused(client, sso, mapping):
    sso.update(accounts={"hanako": account(EMAIL, ["ai-reviewers"])})
    callback = ProviderBrowser(sso, PORTAL).authorize(start(client), "hanako")
    query = parse_qs(urlsplit(callback).query)
    response = client.get(reverse("oidc_authentication_callback"), {"code": query["code"][0], "state": "forged"})
    assert response.status_code == 400
    assert shows(response, Reason.STATE_INVALID.label)
    assert not User.objects.filter(email=EMAIL).exists()
    assert refusals(Reason.STATE_INVALID).exists()
    # The genuine answer still works once, and only once (the state is spent).
    assert client.get(callback.removeprefix(PORTAL)).status_code == 302
    client.logout()
    assert client.get(callback.removeprefix(PORTAL)).status_code == 400


def test_an_id_token_for_another_client_is_refused(client, sso, mapping):
    sso.update(accounts={"hanako": account(EMAIL, ["ai-reviewers"])}, substitute_audience=OTHER_CLIENT_ID)
    response = sign_in(client, sso)
    assert response.status_code == 403
    assert shows(response, Reason.TOKEN_INVALID.label)
    assert not User.objects.filter(email=EMAIL).exists()
    event = refusals(Reason.TOKEN_INVALID).get()
    assert "another client" in event.data["detail"]


def test_a_missing_email_claim_is_refused(client, sso, mapping):
    sso.update(accounts={"hanako": account(None, ["ai-reviewers"])})
    response = sign_in(client, sso)
    assert response.status_code == 403
    assert not ExternalIdentity.objects.exists()
    assert refusals(Reason.EMAIL_MISSING).exists()


def test_provider_down_gives_a_clear_page_in_the_readers_language(client, sso, settings, mapping):
    settings.SSO_DISCOVERY_URL = "http://127.0.0.1:9/.well-known/openid-configuration"
    for language in ("ja", "en"):
        response = client.get(reverse("oidc_authentication_init"), HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 503
        with translation.override(language):
            assert shows(response, Reason.PROVIDER_UNREACHABLE.label)
    assert refusals(Reason.PROVIDER_UNREACHABLE).count() == 2


def test_logout_ends_the_portal_session_and_the_providers(client, sso, mapping):
    browser = ProviderBrowser(sso, PORTAL)
    sso.update(accounts={"hanako": account(EMAIL, ["ai-reviewers"])})
    sign_in(client, sso, browser=browser)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    end_session = response["Location"]
    assert end_session.startswith(f"{sso.issuer}/session/end")
    params = parse_qs(urlsplit(end_session).query)
    assert params["post_logout_redirect_uri"] == [f"{PORTAL}{reverse('login')}"] and params["id_token_hint"]
    assert client.get(reverse("home")).status_code == 302  # signed out of the portal
    # The provider asks to confirm, then ends its session and sends the browser back.
    page = browser.session.get(end_session, timeout=10)
    assert page.status_code == 200 and 'name="xsrf"' in page.text
    xsrf = page.text.split('name="xsrf" value="')[1].split('"')[0]
    action = page.text.split('action="')[1].split('"')[0]
    done = browser.session.post(
        action if action.startswith("http") else f"{sso.issuer}{action}",
        data={"xsrf": xsrf, "logout": "yes"},
        allow_redirects=False,
        timeout=10,
    )
    assert done.is_redirect and done.headers["Location"].startswith(f"{PORTAL}{reverse('login')}")
    # Its session is gone: the next sign-in asks for the login again.
    first_hop = browser.session.get(start(client), allow_redirects=True, timeout=10)
    assert 'name="login"' in first_hop.text


def test_sessions_end_after_the_configured_age(client, sso, settings, mapping):
    sso.update(accounts={"hanako": account(EMAIL, ["ai-reviewers"])})
    sign_in(client, sso)
    assert client.get(reverse("home")).status_code == 200
    session = client.session
    session[SIGNED_IN_AT] = time.time() - settings.SSO_MAX_SESSION_SECONDS - 1
    session.save()
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_password_sign_in_closed_except_break_glass(client, sso, settings, requester, admin_user):
    settings.SSO_LOCAL_LOGIN = False
    settings.SSO_BREAK_GLASS_USERS = [admin_user.username]
    page = client.get(reverse("login")).content.decode()
    assert page.index('id="sso-sign-in"') < page.index('id="login-form"')
    assert 'id="break-glass"' in page and "Test IdP" in page
    refused = client.post(reverse("login"), {"username": requester.username, "password": PASSWORD})
    assert refused.status_code == 200 and "_auth_user_id" not in client.session
    allowed = client.post(reverse("login"), {"username": admin_user.username, "password": PASSWORD})
    assert allowed.status_code == 302 and client.session["_auth_user_id"] == str(admin_user.pk)


def test_sso_routes_are_not_found_when_off(client, settings):
    settings.SSO_ENABLED = False
    assert client.get(reverse("oidc_authentication_init")).status_code == 404
    assert client.get(reverse("oidc_authentication_callback"), {"code": "x", "state": "y"}).status_code == 404
    assert 'id="sso-sign-in"' not in client.get(reverse("login")).content.decode()


def test_an_unverified_email_is_refused(client, sso, mapping):
    sso.update(accounts={"hanako": {**account(EMAIL, ["ai-reviewers"]), "email_verified": False}})
    response = sign_in(client, sso)
    assert response.status_code == 403 and shows(response, Reason.EMAIL_UNVERIFIED.label)
    assert not User.objects.filter(email=EMAIL).exists()


def test_a_local_account_with_the_email_is_linked_but_never_a_break_glass_one(
    client, sso, settings, mapping, requester, admin_user
):
    requester.email = EMAIL
    requester.save()
    sso.update(accounts={"hanako": account(EMAIL, ["ai-reviewers"])})
    sign_in(client, sso)
    assert ExternalIdentity.objects.get().user == requester
    assert groups_of(requester) == {Role.REVIEWER, "it-review"}
    client.logout()
    # The break-glass administrator's address at the provider: a separate account, theirs untouched.
    settings.SSO_BREAK_GLASS_USERS = [admin_user.username]
    admin_user.email = "root@example.com"
    admin_user.save()
    sso.update(accounts={"mallory": account("root@example.com", ["ai-requesters"])})
    sign_in(client, sso, login="mallory")
    assert groups_of(admin_user) == {Role.GOVERNANCE_ADMIN}
    assert ExternalIdentity.objects.get(subject="mallory").user != admin_user
