"""The error pages (400, 403, 404, 500, CSRF failure) in the portal's layout and the reader's
language, each with a way back; the admin's titles in the reader's language."""

import pytest
from django.core.exceptions import SuspiciousOperation
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from portal.errors import RoleRequired, roles_granting
from portal.roles import Role
from portal.views import server_error

pytestmark = pytest.mark.django_db

TEXTS = {
    "en": {
        403: "You do not have access to this page",
        404: "Page not found",
        400: "The request could not be understood",
        500: "Something went wrong",
        "csrf": "The form has expired",
        "home": "Back to the home page",
        "back": "Back to the previous page",
        "nav": "Log out",
        "ask": "ask a governance admin",
    },
    "ja": {
        403: "このページへのアクセス権がありません",
        404: "ページが見つかりません",
        400: "リクエストを処理できませんでした",
        500: "エラーが発生しました",
        "csrf": "フォームの有効期限が切れました",
        "home": "ホーム",
        "back": "前のページに戻る",
        "nav": "ログアウト",
        "ask": "ガバナンス管理者",
    },
}
LANGUAGES = ["en", "ja"]


def client_for(user, language, **kwargs):
    client = Client(HTTP_ACCEPT_LANGUAGE=language, **kwargs)
    if user is not None:
        client.force_login(user)
    return client


def page_text(response):
    return response.content.decode()


def role_label(role, language):
    with translation.override(language):
        return str(role.label)


@pytest.mark.parametrize("language", LANGUAGES)
def test_404_page_in_the_layout_with_navigation_and_a_way_back(requester, language):
    client = client_for(requester, language)
    response = client.get("/no-such-page/", HTTP_REFERER="http://testserver/usecases/")
    text = page_text(response)
    assert response.status_code == 404
    assert TEXTS[language][404] in text
    assert TEXTS[language]["nav"] in text  # the signed-in navigation of base.html
    assert 'id="nav-inbox"' in text
    assert 'href="/" id="error-home"' in text
    assert 'href="http://testserver/usecases/" id="error-back"' in text
    assert f'<html lang="{language}">' in text


def test_the_back_link_never_leads_off_site(requester):
    client = client_for(requester, "en")
    response = client.get("/no-such-page/", HTTP_REFERER="https://evil.example/phish")
    text = page_text(response)
    assert response.status_code == 404
    assert "evil.example" not in text
    assert 'id="error-back"' not in text
    assert 'id="error-home"' in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_404_for_an_anonymous_reader_offers_sign_in(client, language):
    response = client_for(None, language).get("/no-such-page/")
    text = page_text(response)
    assert response.status_code == 404
    assert TEXTS[language][404] in text
    assert 'id="error-login"' in text
    assert 'id="nav-inbox"' not in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_403_on_the_review_queue_names_the_roles_that_may_open_it(requester, language):
    response = client_for(requester, language).get(reverse("governance:queue"))
    text = page_text(response)
    assert response.status_code == 403
    assert TEXTS[language][403] in text
    assert TEXTS[language]["nav"] in text
    message = text.split('id="error-message">')[1].split("</p>")[0]
    for role in (Role.REVIEWER, Role.EXECUTIVE, Role.GOVERNANCE_ADMIN):
        assert role_label(role, language) in message
    assert role_label(Role.REQUESTER, language) not in message
    assert TEXTS[language]["ask"] in text
    separator = "、" if language == "ja" else ", "
    assert separator.join(role_label(role, language) for role in (Role.REVIEWER, Role.EXECUTIVE)) in message
    assert 'id="error-home"' in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_403_on_the_use_case_intake_names_the_requester_role(reviewer, language):
    response = client_for(reviewer, language).get(reverse("usecases:create"))
    message = page_text(response).split('id="error-message">')[1].split("</p>")[0]
    assert response.status_code == 403
    assert role_label(Role.REQUESTER, language) in message
    assert role_label(Role.GOVERNANCE_ADMIN, language) in message
    assert role_label(Role.REVIEWER, language) not in message


@pytest.mark.parametrize("language", LANGUAGES)
def test_403_without_a_known_role_is_generic_and_says_who_to_ask(requester, language, monkeypatch):
    from usecases import views

    def refuse(self, request, *args, **kwargs):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("internal reason")

    monkeypatch.setattr(views.UseCaseListView, "get", refuse)
    response = client_for(requester, language).get(reverse("usecases:list"))
    text = page_text(response)
    assert response.status_code == 403
    assert TEXTS[language][403] in text
    assert TEXTS[language]["ask"] in text
    assert "internal reason" not in text


def test_an_anonymous_visitor_is_still_sent_to_sign_in(client):
    response = client.get(reverse("governance:queue"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_roles_granting_needs_every_permission():
    assert roles_granting(["usecases.add_usecase"]) == [Role.REQUESTER.label, Role.GOVERNANCE_ADMIN.label]
    assert roles_granting(["usecases.add_usecase", "governance.decide_approvalstage"]) == [Role.GOVERNANCE_ADMIN.label]
    assert roles_granting(["no.such_permission"]) == []
    assert isinstance(RoleRequired([]), Exception)


@pytest.mark.parametrize("language", LANGUAGES)
def test_400_page(requester, language, monkeypatch):
    from usecases import views

    def suspicious(self, request, *args, **kwargs):
        raise SuspiciousOperation("bad")

    monkeypatch.setattr(views.UseCaseListView, "get", suspicious)
    response = client_for(requester, language).get(reverse("usecases:list"))
    text = page_text(response)
    assert response.status_code == 400
    assert TEXTS[language][400] in text
    assert TEXTS[language]["nav"] in text
    assert 'id="error-home"' in text


def test_400_for_a_disallowed_host_renders_without_failing(client):
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert TEXTS["en"][400] in page_text(response)


@pytest.mark.parametrize("language", LANGUAGES)
def test_csrf_failure_page(requester, language):
    client = client_for(requester, language, enforce_csrf_checks=True)
    response = client.post(reverse("usecases:create"), {"title": "x"})
    text = page_text(response)
    assert response.status_code == 403
    assert TEXTS[language]["csrf"] in text
    assert TEXTS[language]["nav"] in text
    assert 'id="error-csrf-hint"' in text
    assert 'id="error-home"' in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_500_page_with_debug_off(requester, language, monkeypatch, settings):
    from usecases import views

    settings.DEBUG = False

    def broken(self, request, *args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(views.UseCaseListView, "get", broken)
    client = client_for(requester, language)
    client.raise_request_exception = False
    response = client.get(reverse("usecases:list"), HTTP_REFERER="http://testserver/")
    text = page_text(response)
    assert response.status_code == 500
    assert TEXTS[language][500] in text
    assert "secret internal detail" not in text
    assert 'class="navbar-brand"' in text  # the minimal layout
    assert 'href="/" id="error-home"' in text
    assert 'href="http://testserver/" id="error-back"' in text
    assert f'<html lang="{language}">' in text


def test_500_page_touches_neither_the_database_nor_the_user(django_assert_num_queries):
    class Untouchable:
        def __getattr__(self, name):
            raise AssertionError(f"the 500 page read request.user.{name}")

    request = RequestFactory().get("/usecases/")
    request.user = Untouchable()
    request.session = Untouchable()
    with translation.override("ja"), django_assert_num_queries(0):
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            response = server_error(request)
    assert response.status_code == 500
    assert TEXTS["ja"][500] in response.content.decode()


def test_unknown_api_paths_stay_json():
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get("/api/v1/no-such-endpoint/")
    assert response.status_code in (401, 404)
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(
    ("language", "title"),
    [("en", "AI governance portal administration"), ("ja", "AI ガバナンスポータル 管理")],
)
def test_admin_is_titled_in_the_readers_language(admin_user, language, title):
    response = client_for(admin_user, language).get(reverse("admin:index"))
    text = page_text(response)
    assert response.status_code == 200
    assert title in text
    assert "Django" not in text.split("<title>")[1].split("</title>")[0]
    assert "Django 管理サイト" not in text
    assert "Django administration" not in text


def test_admin_login_page_is_titled_too():
    response = Client(HTTP_ACCEPT_LANGUAGE="ja").get(reverse("admin:login"))
    assert "AI ガバナンスポータル 管理" in page_text(response)


@pytest.mark.parametrize("language", LANGUAGES)
def test_403_from_a_views_own_rule_does_not_name_the_readers_own_role(requester, executive, language):
    """The executive holds the page's permission (view_usecase) but is not the owner nor a
    reviewer: the refusal must not claim the executive role is needed."""
    from tests.factories import UseCaseFactory

    use_case = UseCaseFactory(complete=True, owner=requester)
    response = client_for(executive, language).get(reverse("usecases:pilot", args=[use_case.reference]))
    message = page_text(response).split('id="error-message">')[1].split("</p>")[0]
    assert response.status_code == 403
    assert role_label(Role.EXECUTIVE, language) not in message
    assert TEXTS[language]["ask"] in page_text(response)
