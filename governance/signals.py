"""Re-run policy checks when something a use case depends on changes.

The vendors app knows nothing of governance; these receivers listen to its saves.
"""

from django.db.models.signals import post_save
from django.dispatch import receiver

from governance.services import enqueue_recheck
from vendors.models import AIModel, Assessment, Licence, Vendor


@receiver(post_save, sender=Vendor, dispatch_uid="governance.vendor_changed")
def vendor_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        enqueue_recheck(vendor_id=instance.pk)


@receiver(post_save, sender=AIModel, dispatch_uid="governance.model_changed")
def model_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        enqueue_recheck(model_id=instance.pk)


@receiver(post_save, sender=Licence, dispatch_uid="governance.licence_changed")
def licence_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        enqueue_recheck(licence_id=instance.pk)


@receiver(post_save, sender=Assessment, dispatch_uid="governance.assessment_changed")
def assessment_changed(sender, instance, raw=False, **kwargs):
    # A completed readiness check or a decision changes the vendor's findings.
    if not raw:
        enqueue_recheck(vendor_id=instance.vendor_id)
