"""Re-run policy checks when something a use case depends on changes.

The vendors app knows nothing of governance; these receivers listen to its signals.
"""

from django.db.models.signals import post_save
from django.dispatch import receiver

from governance.checks import enqueue_recheck
from vendors.models import AIModel, Assessment, Licence, Vendor
from vendors.signals import registry_changed

# Which dependency of ``dependent_use_case_ids`` each registry model is.
DEPENDENCY = {Vendor: "vendor_id", AIModel: "model_id", Licence: "licence_id"}


@receiver(registry_changed, dispatch_uid="governance.registry_changed")
def registry_object_changed(sender, instance, created, **kwargs):
    # Edits go through vendors.services, which sends this once per audited change; a new
    # vendor, model or licence is not yet used by any use case.
    if not created and sender in DEPENDENCY:
        enqueue_recheck(**{DEPENDENCY[sender]: instance.pk})


@receiver(post_save, sender=Assessment, dispatch_uid="governance.assessment_changed")
def assessment_changed(sender, instance, raw=False, **kwargs):
    # A completed readiness check or a decision changes the vendor's findings.
    if not raw:
        enqueue_recheck(vendor_id=instance.vendor_id)
