"""The conversation on a use case: comments with @mentions, and the reviewers' decisions
(added by governance through ``usecases.comments.thread.THREAD_SOURCES``) in one thread."""
