"""The conversation on a use case: the services' rules, mentions, notices and the thread."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone, translation

from portal.models import AuditEvent
from tests.factories import UseCaseFactory, UserFactory
from tests.usecases.comment_helpers import comment_events, decide, submitted
from usecases.comments import mentions, services
from usecases.comments.models import Comment
from usecases.comments.people import person_name, who_can_see
from usecases.comments.thread import thread
from usecases.models import UseCase

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("captured")]


def audit(comment_pk, action):
    return AuditEvent.objects.filter(object_id=str(comment_pk), action=action)


# --- Posting and notices -------------------------------------------------------------------


def test_post_writes_the_comment_audits_it_and_tells_the_deciders_and_owner(captured, requester, reviewer):
    use_case = submitted(requester)
    decide(use_case, reviewer)
    comment = services.post_comment(use_case, reviewer, "  追記しました？  ")
    assert comment.body == "追記しました？"
    event = audit(comment.pk, "post_comment").get()
    assert event.actor == reviewer and event.changes == {"body": [None, "追記しました？"]}
    assert event.data["use_case"] == use_case.reference
    [posted] = comment_events(captured)
    assert posted.name == "comment.posted" and posted.key == f"comment.posted:{comment.pk}"
    assert posted.subject == comment and posted.actor == reviewer
    assert posted.recipients == (requester.pk,)  # the reviewer wrote it: not told of their own comment
    assert posted.params["use_case"] == use_case.reference


def test_the_owner_s_comment_goes_to_deciders_and_earlier_commenters(captured, requester, reviewer, executive):
    use_case = submitted(requester)
    decide(use_case, reviewer)
    services.post_comment(use_case, executive, "進捗はどうですか。")
    captured.clear()
    comment = services.post_comment(use_case, requester, "修正しました。")
    [posted] = comment_events(captured)
    assert set(posted.recipients) == {reviewer.pk, executive.pk}
    assert posted.key == f"comment.posted:{comment.pk}"


def test_nobody_else_concerned_publishes_nothing(captured, requester):
    use_case = UseCaseFactory(complete=True, owner=requester)
    services.post_comment(use_case, requester, "メモ")
    assert comment_events(captured) == []  # an empty recipient list would let the outbox pick defaults


def test_a_commenter_who_can_no_longer_see_a_draft_is_not_told(captured, requester, marketing, sales):
    colleague = UserFactory(username="colleague", department=marketing, role="requester")
    draft = UseCaseFactory(complete=True, owner=requester)
    services.post_comment(draft, colleague, "手伝います。")
    colleague.department = sales
    colleague.save()
    captured.clear()
    services.post_comment(draft, requester, "ありがとう。")
    assert comment_events(captured) == []


def test_mentions_are_resolved_and_told_apart_from_the_followers(captured, requester, reviewer, executive, admin_user):
    use_case = submitted(requester)
    decide(use_case, reviewer)
    services.post_comment(use_case, admin_user, "確認中です。")
    captured.clear()
    comment = services.post_comment(use_case, requester, "@reviewerさん と @executive、確認をお願いします。@reviewer")
    assert {user.username for user in comment.mentions.all()} == {"reviewer", "executive"}
    mentioned, posted = comment_events(captured)
    assert mentioned.name == "comment.mentioned" and mentioned.key == f"comment.mentioned:{comment.pk}"
    assert mentioned.recipients == (reviewer.pk, executive.pk)
    # The decider is told once, of the mention; the earlier commenter of the new comment.
    assert posted.name == "comment.posted" and posted.recipients == (admin_user.pk,)


def test_mentioning_someone_who_cannot_see_the_use_case_is_refused_naming_them(captured, requester, other_requester):
    draft = UseCaseFactory(complete=True, owner=requester)  # hidden from the sales requester
    with pytest.raises(ValidationError) as refused:
        services.post_comment(draft, requester, "@other 見てください")
    assert "@other" in refused.value.message_dict["body"][0]
    with pytest.raises(ValidationError) as unknown:
        services.post_comment(draft, requester, "@nosuchuser 見てください")
    # The same words for an account that exists elsewhere and one that does not.
    assert unknown.value.message_dict["body"][0] == refused.value.message_dict["body"][0].replace("other", "nosuchuser")
    assert not Comment.objects.exists() and comment_events(captured) == []


def test_e_mail_addresses_and_sentence_ends_are_not_mentions():
    assert mentions.mentioned_usernames("mail a@b.com, ask @rev.a. and @rev-b!") == ["rev.a", "rev-b"]


@pytest.mark.parametrize(
    ("body", "message"),
    [("", "Write a comment."), ("   \n ", "Write a comment."), ("x" * 5001, "at most 5000 characters")],
)
def test_empty_or_too_long_bodies_are_refused(requester, body, message):
    use_case = UseCaseFactory(complete=True, owner=requester)
    with translation.override("en"):
        with pytest.raises(ValidationError) as refused:
            services.post_comment(use_case, requester, body)
        # The message is lazy: read it in English too (outside, it is Japanese once the .mo is compiled).
        assert message in refused.value.message_dict["body"][0]


def test_a_reply_must_answer_a_comment_of_the_same_use_case(requester):
    mine = UseCaseFactory(complete=True, owner=requester)
    other = UseCaseFactory(complete=True, owner=requester)
    elsewhere = services.post_comment(other, requester, "別件")
    with pytest.raises(ValidationError) as refused:
        services.post_comment(mine, requester, "返信", parent=elsewhere)
    assert "parent" in refused.value.message_dict
    first = services.post_comment(mine, requester, "最初")
    assert services.post_comment(mine, requester, "返信", parent=first).parent == first


def test_someone_who_cannot_see_the_use_case_cannot_post(requester, other_requester):
    draft = UseCaseFactory(complete=True, owner=requester)
    with pytest.raises(services.NotFound):
        services.post_comment(draft, other_requester, "こんにちは")


# --- Editing ---------------------------------------------------------------------------------


def test_the_author_edits_within_the_window_and_new_mentions_are_told(captured, requester, reviewer, executive):
    use_case = submitted(requester)
    comment = services.post_comment(use_case, requester, "@reviewer 確認を")
    captured.clear()
    later = comment.created_at + datetime.timedelta(minutes=14)
    edited = services.edit_comment(comment, requester, "@reviewer @executive 確認を", now=later)
    assert edited.edited_at == later and edited.body == "@reviewer @executive 確認を"
    event = audit(comment.pk, "edit_comment").get()
    assert event.changes["body"] == ["@reviewer 確認を", "@reviewer @executive 確認を"]
    assert event.changes["mentions"] == [["reviewer"], ["executive", "reviewer"]]
    [mentioned] = comment_events(captured)
    assert mentioned.recipients == (executive.pk,)  # only the newly named
    assert mentioned.key == f"comment.mentioned:{comment.pk}:{later.isoformat()}"


def test_editing_after_the_window_is_refused(requester):
    use_case = UseCaseFactory(complete=True, owner=requester)
    comment = services.post_comment(use_case, requester, "初稿")
    with pytest.raises(services.EditWindowClosed):
        services.edit_comment(comment, requester, "改稿", now=comment.created_at + datetime.timedelta(minutes=16))
    with override_settings(COMMENT_EDIT_WINDOW_MINUTES=30):
        services.edit_comment(comment, requester, "改稿", now=comment.created_at + datetime.timedelta(minutes=16))
    assert Comment.objects.get().body == "改稿"


def test_only_the_author_edits(requester, reviewer):
    use_case = submitted(requester)
    comment = services.post_comment(use_case, requester, "初稿")
    with pytest.raises(services.NotTheAuthor):
        services.edit_comment(comment, reviewer, "書き換え")
    assert not audit(comment.pk, "edit_comment").exists()


# --- Deleting --------------------------------------------------------------------------------


def test_the_author_deletes_the_latest_comment_and_the_deletion_is_audited(requester):
    use_case = UseCaseFactory(complete=True, owner=requester)
    comment = services.post_comment(use_case, requester, "消すつもり")
    pk = comment.pk
    services.delete_comment(comment, requester)
    assert not Comment.objects.filter(pk=pk).exists()
    assert audit(pk, "delete_comment").get().changes == {"body": ["消すつもり", ""]}


@pytest.mark.parametrize("as_reply", [True, False])
def test_deleting_is_refused_once_someone_commented_after_it(requester, reviewer, as_reply):
    use_case = submitted(requester)
    comment = services.post_comment(use_case, requester, "最初")
    services.post_comment(use_case, reviewer, "返事", parent=comment if as_reply else None)
    with pytest.raises(services.CommentAnswered):
        services.delete_comment(comment, requester)
    assert Comment.objects.filter(pk=comment.pk).exists()
    assert not audit(comment.pk, "delete_comment").exists()


def test_only_the_author_deletes(requester, reviewer):
    use_case = submitted(requester)
    comment = services.post_comment(use_case, requester, "最初")
    with pytest.raises(services.NotTheAuthor):
        services.delete_comment(comment, reviewer)


# --- Who may take part, and the thread -----------------------------------------------------------


def test_who_can_see_agrees_with_the_use_case_scoping(personas, requester, marketing):
    colleague = UserFactory(username="colleague", department=marketing, role="requester")
    inactive = UserFactory(username="gone", department=marketing, role="requester", is_active=False)
    superuser = UserFactory(username="root", is_superuser=True)
    people = [user for user in personas.values() if user] + [colleague, inactive, superuser]
    for use_case in (UseCaseFactory(complete=True, owner=requester), submitted(requester)):
        expected = {user.pk for user in people if UseCase.objects.visible_to(user).filter(pk=use_case.pk).exists()}
        assert set(who_can_see(use_case).filter(pk__in=[u.pk for u in people]).values_list("pk", flat=True)) == expected


def test_the_thread_mixes_comments_and_decisions_in_time_order(requester, reviewer):
    use_case = submitted(requester)
    before = services.post_comment(use_case, requester, "審査をお願いします。")
    Comment.objects.filter(pk=before.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=5))
    decide(use_case, reviewer, comment="根拠を追記してください。")
    after = services.post_comment(use_case, requester, "追記しました。")
    items = thread(use_case)
    assert [item.kind for item in items] == ["comment", "decision", "comment"]
    assert items[0].comment == before and items[2].comment == after
    assert items[1].author == reviewer and items[1].text == "根拠を追記してください。"
    assert [item.at for item in items] == sorted(item.at for item in items)


def test_mentions_show_the_person_s_name_family_name_first_in_japanese(requester, reviewer):
    reviewer.first_name, reviewer.last_name = "Taro", "Yamada"
    reviewer.save()
    use_case = submitted(requester)
    comment = services.post_comment(use_case, requester, "<b>@reviewer</b> 見て\n2行目")
    with translation.override("ja"):
        html = mentions.render(comment.body, comment.mentions.all())
        assert person_name(reviewer) == "Yamada Taro"
    assert '<span class="mention fw-semibold" title="@reviewer">Yamada Taro</span>' in html
    assert "&lt;b&gt;" in html and "<br>" in html
    with translation.override("en"):
        assert "Taro Yamada" in mentions.render(comment.body, comment.mentions.all())
