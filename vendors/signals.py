"""Signals of the vendor registry that higher apps listen to (this app imports none of them)."""

from django.dispatch import Signal

# Sent by ``vendors.services`` once per audited create or change of a vendor, AI model or
# licence, inside the transaction that saved it (``sender`` is the model class; arguments
# ``instance``, ``created``, ``changes`` as in the audit event, ``user``). It is the only
# trigger for re-checking what depends on the object: receivers defer their work with
# ``transaction.on_commit``, so a rolled-back change triggers nothing.
registry_changed = Signal()
