"""The conversation on the use-case page, its form pages, the mention autocomplete and the API."""

import datetime

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from tests.conftest import api_client_for
from tests.factories import UseCaseFactory, UserFactory
from tests.usecases.comment_helpers import comment_events, decide, submitted
from usecases.comments import services
from usecases.comments.models import Comment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("captured")]


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


def api_comments(use_case, pk=None):
    base = f"/api/v1/use-cases/{use_case.reference}/comments/"
    return f"{base}{pk}/" if pk else base


def age(comment, minutes):
    Comment.objects.filter(pk=comment.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=minutes))


# --- The page ------------------------------------------------------------------------------------


def test_the_page_shows_the_thread_with_decisions_in_order(client, requester, reviewer):
    use_case = submitted(requester)
    first = services.post_comment(use_case, requester, "審査をお願いします。")
    age(first, 5)
    decide(use_case, reviewer, comment="根拠を追記してください。")
    services.post_comment(use_case, requester, "@reviewer 追記しました。")
    client.force_login(requester)
    html = client.get(use_case.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    thread = html[html.index('id="thread"') : html.index('id="comment-form"')]
    assert thread.index("審査をお願いします") < thread.index("根拠を追記してください") < thread.index("追記しました")
    assert 'title="@reviewer"' in thread
    assert 'src="/static/usecases/mentions.js"' in html and "data-mentions-url" in html


def test_post_through_the_page_and_see_errors(client, requester, reviewer, other_requester):
    draft = UseCaseFactory(complete=True, owner=requester)
    client.force_login(requester)
    url = reverse("usecases:comment-post", kwargs={"reference": draft.reference})
    response = client.post(url, {"body": "確認お願いします"})
    comment = Comment.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"#comment-{comment.pk}")
    for body, message in [
        ("", "Write a comment."),
        ("x" * 5001, "5000"),
        ("@other 見て", "@other cannot be mentioned"),
    ]:
        response = client.post(url, {"body": body}, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        assert message in response.content.decode()
    assert Comment.objects.count() == 1


def test_reply_form_names_the_comment_answered(client, requester, reviewer):
    use_case = submitted(requester)
    comment = services.post_comment(use_case, requester, "質問です")
    client.force_login(reviewer)
    url = reverse("usecases:comment-post", kwargs={"reference": use_case.reference})
    page = client.get(f"{url}?reply_to={comment.pk}")
    assert page.status_code == 200 and "質問です" in page.content.decode()
    assert client.get(f"{url}?reply_to=abc").status_code == 200  # an odd value: a plain comment form
    client.post(url, {"body": "回答です", "parent": comment.pk})
    assert Comment.objects.get(body="回答です").parent == comment


def test_hidden_use_case_is_404_everywhere_and_no_role_is_403(client, requester, other_requester, outsider):
    draft = UseCaseFactory(complete=True, owner=requester)
    comment = services.post_comment(draft, requester, "内部のメモ")
    pages = [
        reverse("usecases:comment-post", kwargs={"reference": draft.reference}),
        reverse("usecases:comment-people", kwargs={"reference": draft.reference}),
        reverse("usecases:comment-edit", kwargs={"reference": draft.reference, "pk": comment.pk}),
    ]
    client.force_login(other_requester)
    assert [client.get(url).status_code for url in pages] == [404, 404, 404]
    assert client.post(pages[0], {"body": "こんにちは"}).status_code == 404
    api = api_client_for(other_requester)
    assert api.get(api_comments(draft)).status_code == 404
    assert api.get(api_comments(draft, comment.pk)).status_code == 404
    assert api.post(api_comments(draft), {"body": "x"}, format="json").status_code == 404
    client.force_login(outsider)
    assert client.get(pages[0]).status_code == 403
    assert api_client_for(outsider).get(api_comments(draft)).status_code == 403


def test_edit_page_within_the_window_and_after_it(client, requester, reviewer):
    use_case = submitted(requester)
    comment = services.post_comment(use_case, requester, "初稿")
    url = reverse("usecases:comment-edit", kwargs={"reference": use_case.reference, "pk": comment.pk})
    client.force_login(reviewer)
    assert client.get(url).status_code == 403
    assert client.post(url, {"body": "乗っ取り"}).status_code == 403
    client.force_login(requester)
    assert client.get(url).status_code == 200
    assert client.post(url, {"body": "改稿"}).status_code == 302
    assert Comment.objects.get().body == "改稿"
    age(comment, 16)
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "can no longer be edited" in response.content.decode()
    response = client.post(url, {"body": "再改稿"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409 and "can no longer be edited" in response.content.decode()
    assert Comment.objects.get().body == "改稿"


def test_delete_button_only_on_the_latest_own_comment_and_refused_after_a_reply(client, requester, reviewer):
    use_case = submitted(requester)
    first = services.post_comment(use_case, requester, "最初")
    client.force_login(requester)
    delete_first = reverse("usecases:comment-delete", kwargs={"reference": use_case.reference, "pk": first.pk})
    assert delete_first in client.get(use_case.get_absolute_url()).content.decode()
    services.post_comment(use_case, reviewer, "返事", parent=first)
    assert delete_first not in client.get(use_case.get_absolute_url()).content.decode()
    response = client.post(delete_first, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "someone has commented after it" in response.content.decode()
    assert Comment.objects.filter(pk=first.pk).exists()
    mine = services.post_comment(use_case, requester, "消します")
    client.post(reverse("usecases:comment-delete", kwargs={"reference": use_case.reference, "pk": mine.pk}))
    assert not Comment.objects.filter(pk=mine.pk).exists()
    client.force_login(reviewer)
    assert client.post(delete_first).status_code == 403


# --- The autocomplete ------------------------------------------------------------------------------


def test_people_lists_only_who_can_see_the_use_case(client, requester, reviewer, other_requester, marketing):
    UserFactory(username="otaku", department=marketing, role="requester", first_name="Ota")
    draft = UseCaseFactory(complete=True, owner=requester)
    url = reverse("usecases:comment-people", kwargs={"reference": draft.reference})
    client.force_login(requester)
    names = [row["username"] for row in client.get(url, {"q": "@ot"}).json()["results"]]
    assert names == ["otaku"]  # "other" (sales) cannot see the marketing draft
    assert "reviewer" in [row["username"] for row in client.get(url, {"q": ""}).json()["results"]]
    submitted_case = submitted(requester)
    url = reverse("usecases:comment-people", kwargs={"reference": submitted_case.reference})
    assert [row["username"] for row in client.get(url, {"q": "ot"}).json()["results"]] == ["otaku", "other"]


def test_people_is_throttled(client, requester):
    draft = UseCaseFactory(complete=True, owner=requester)
    url = reverse("usecases:comment-people", kwargs={"reference": draft.reference})
    client.force_login(requester)
    statuses = [client.get(url, {"q": "r"}).status_code for _ in range(61)]
    assert statuses[:60] == [200] * 60 and statuses[60] == 429


# --- The API ----------------------------------------------------------------------------------------


def test_api_create_list_edit_delete(captured, requester, reviewer):
    use_case = submitted(requester)
    api = api_client_for(requester)
    created = api.post(api_comments(use_case), {"body": "@reviewer 見てください"}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["mentions"] == ["reviewer"] and body["author"]["username"] == "requester"
    assert [event.name for event in comment_events(captured)] == ["comment.mentioned"]
    reply = api_client_for(reviewer).post(
        api_comments(use_case), {"body": "確認します", "parent": body["id"]}, format="json"
    )
    assert reply.status_code == 201 and reply.json()["parent"] == body["id"]
    listed = api.get(api_comments(use_case)).json()["results"]
    assert [row["body"] for row in listed] == ["@reviewer 見てください", "確認します"]
    edited = api.patch(api_comments(use_case, body["id"]), {"body": "@reviewer 見てください！"}, format="json")
    assert edited.status_code == 200 and edited.json()["edited_at"]
    assert api.delete(api_comments(use_case, body["id"])).status_code == 409
    assert api_client_for(reviewer).delete(api_comments(use_case, body["id"])).status_code == 403
    assert api_client_for(reviewer).delete(api_comments(use_case, reply.json()["id"])).status_code == 204


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"body": ""}, "body"),
        ({"body": "   "}, "body"),
        ({"body": "x" * 5001}, "body"),
        ({"body": "ok", "author": 1}, "author"),
        ({"body": "ok", "colour": "red"}, "colour"),
        ({"body": 5}, "body"),
        ({"body": "ok", "parent": 0}, "parent"),
        ({"body": "ok", "parent": 999999}, "parent"),
        ({"body": "@nosuchuser hi"}, "body"),
        ({}, "body"),
    ],
)
def test_api_bad_input_is_a_400_naming_the_field(requester, payload, field):
    use_case = UseCaseFactory(complete=True, owner=requester)
    response = api_client_for(requester).post(api_comments(use_case), payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Comment.objects.exists()


def test_api_edit_rules(requester, reviewer):
    use_case = submitted(requester)
    comment = services.post_comment(use_case, requester, "初稿")
    api = api_client_for(requester)
    assert api.patch(api_comments(use_case, comment.pk), {"body": "x", "parent": 1}, format="json").status_code == 400
    assert api.patch(api_comments(use_case, comment.pk), {}, format="json").status_code == 400
    assert api.put(api_comments(use_case, comment.pk), {"body": "x"}, format="json").status_code == 405
    patch = api_client_for(reviewer).patch(api_comments(use_case, comment.pk), {"body": "x"}, format="json")
    assert patch.status_code == 403
    age(comment, 16)
    assert api.patch(api_comments(use_case, comment.pk), {"body": "遅い"}, format="json").status_code == 409
    other = UseCaseFactory(complete=True, owner=requester)
    assert api.get(api_comments(other, comment.pk)).status_code == 404  # the comment of another use case
    assert api.get(api_comments(use_case, 2**63)).status_code == 404
    assert Comment.objects.get().body == "初稿"


# --- Query counts ----------------------------------------------------------------------------------


def _thread_of(use_case, requester, reviewer, count):
    for number in range(count):
        author = requester if number % 2 else reviewer
        services.post_comment(use_case, author, f"コメント {number} @requester @reviewer")


def test_the_thread_costs_the_same_queries_for_3_and_30_comments(
    client, requester, reviewer, django_assert_max_num_queries
):
    small, large = submitted(requester), submitted(requester)
    decide(small, reviewer)
    decide(large, reviewer)
    _thread_of(small, requester, reviewer, 3)
    _thread_of(large, requester, reviewer, 30)
    client.force_login(requester)
    client.get(small.get_absolute_url())  # warm the per-process caches
    with django_assert_max_num_queries(80) as few:
        assert client.get(small.get_absolute_url()).status_code == 200
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(large.get_absolute_url()).status_code == 200
    api = api_client_for(requester)
    with django_assert_max_num_queries(20) as few:
        assert api.get(api_comments(small)).status_code == 200
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(api.get(api_comments(large)).json()["results"]) == 30
