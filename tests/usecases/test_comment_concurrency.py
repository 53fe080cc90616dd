"""Deleting a comment while someone answers it, at the same moment, on PostgreSQL.

Both services lock the use case's row first, so one waits for the other: either the delete
goes first and the reply is refused (its parent is gone), or the reply goes first and the
delete is refused (answered). Never a crash on the foreign key, never both.
"""

import pytest

from tests.governance.test_concurrency import run_together, slow_down
from tests.usecases.comment_helpers import submitted
from usecases.comments import mentions, services
from usecases.comments.models import Comment

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("postgres", "captured"),
]


def test_delete_and_reply_at_once_one_is_refused_cleanly(monkeypatch, requester, reviewer):
    use_case = submitted(requester)
    comment = services.post_comment(use_case, requester, "最初の質問")
    slow_down(monkeypatch, services, "later_comments")  # inside the delete's lock
    slow_down(monkeypatch, mentions, "resolve")  # inside the reply's lock
    (_deleted, delete_error), (reply, reply_error) = run_together(
        lambda: services.delete_comment(comment, requester),
        lambda: services.post_comment(use_case, reviewer, "回答です", parent=comment),
    )
    assert (delete_error is None) != (reply_error is None), (delete_error, reply_error)
    if delete_error is None:
        assert "parent" in reply_error.message_dict
        assert not Comment.objects.exists()
    else:
        assert isinstance(delete_error, services.CommentAnswered)
        assert list(Comment.objects.values_list("pk", flat=True)) == [comment.pk, reply.pk]
