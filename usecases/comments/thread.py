"""The thread of a use case: its comments and what other apps add (the reviewers' decisions).

This app knows nothing of approval stages. Governance registers a source in
``THREAD_SOURCES`` (from ``governance.wiring.install()``): an object with
``items(use_case)``, the thread items it adds (one query, whatever the thread's length),
and ``followers(use_case)``, the ids of the people its records make concerned with the
use case (those who decided or are assigned a stage), told of new comments.
"""

from dataclasses import dataclass, field
from datetime import datetime

from portal.registry import Registry
from usecases.comments.mentions import render
from usecases.comments.models import Comment

THREAD_SOURCES = Registry(
    "usecases.comments.thread.THREAD_SOURCES", "source with items(use_case) and followers(use_case)"
)


@dataclass
class ThreadItem:
    """One entry of the thread. ``comment`` is set for a comment; the others (a decision)
    carry a ``title`` (e.g. the stage and the decision) and a plain ``text``."""

    at: datetime
    author: object
    kind: str = "comment"
    comment: Comment | None = None
    title: str = ""
    text: str = ""
    details: dict = field(default_factory=dict)

    @property
    def html(self):
        if self.comment is not None:
            return render(self.comment.body, self.comment.mentions.all())
        return ""


def comments_of(use_case):
    return (
        Comment.objects.filter(use_case=use_case)
        .select_related("author", "parent__author")
        .prefetch_related("mentions")
        .order_by("created_at", "id")
    )


def thread(use_case):
    """Every item of ``use_case``'s thread, oldest first (a constant number of queries)."""
    items = [
        ThreadItem(at=comment.created_at, author=comment.author, comment=comment) for comment in comments_of(use_case)
    ]
    for source in THREAD_SOURCES:
        items.extend(source.items(use_case))
    # A comment and a decision written in the same instant: the decision first.
    return sorted(items, key=lambda item: (item.at, item.kind == "comment", item.comment.pk if item.comment else 0))


def followers(use_case):
    """Ids of the people concerned by the use case's conversation: the owner, those other
    apps name (deciders), and everyone who commented on it."""
    ids = [use_case.owner_id]
    for source in THREAD_SOURCES:
        ids.extend(source.followers(use_case))
    ids.extend(Comment.objects.filter(use_case=use_case).order_by().values_list("author_id", flat=True).distinct())
    return list(dict.fromkeys(ids))
