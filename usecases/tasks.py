"""Celery tasks of the inventory.

The reviewers' notice of a submission is no task of its own any more: ``usecases.services``
publishes ``usecase.submitted`` (``portal.events``) and the notification outbox sends it.
"""

from celery import shared_task


@shared_task
def refresh_cost_estimates(use_case_ids=None):
    """Recompute the stored monthly cost estimates (all use cases when ``use_case_ids`` is None):
    after a price, rate or default changes, and daily as a catch-up."""
    from usecases.economics import refresh_cost_estimates as refresh

    return refresh(use_case_ids)
