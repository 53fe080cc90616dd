"""Price, exchange-rate and cost-default changes refresh the stored cost estimates (in a task,
after the change commits: one rate change touches every use case)."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from usecases.models import CostSettings, ExchangeRate, UseCaseModel
from vendors.models import AIModel


def _enqueue(use_case_ids=None):
    from usecases.tasks import refresh_cost_estimates

    ids = None if use_case_ids is None else sorted(set(use_case_ids))
    if ids == []:
        return
    # robust: a broker outage must not fail the admin's save; the daily refresh catches up.
    transaction.on_commit(lambda: refresh_cost_estimates.delay(ids), robust=True)


@receiver(post_save, sender=AIModel, dispatch_uid="usecases.model_prices_changed")
def model_changed(sender, instance, created, **kwargs):
    if not created:
        _enqueue(UseCaseModel.objects.filter(ai_model=instance).values_list("use_case_id", flat=True))


@receiver(post_save, sender=ExchangeRate, dispatch_uid="usecases.rate_saved")
@receiver(post_delete, sender=ExchangeRate, dispatch_uid="usecases.rate_deleted")
@receiver(post_save, sender=CostSettings, dispatch_uid="usecases.cost_settings_saved")
def defaults_changed(sender, **kwargs):
    _enqueue()
