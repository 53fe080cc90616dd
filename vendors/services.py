"""Edits of the vendor registry: vendors (with their contacts and certifications), AI models
and licences.

Vendors, AI models and licences carry what the policy checks read (training use, processing
regions, zero retention, model status, licence terms). Every create and change goes through
these functions, from the pages, the API and the admin: the row is locked, validated whole,
saved, audited with its field-level changes, and ``registry_changed`` tells governance to
re-check the use cases that depend on it. The functions take the fields a form or serializer
validated, so a field added to the form flows through without a change here.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext_lazy as _

from portal.choices import AuditAction
from portal.services import audit_value, field_changes, record_event, snapshot_changes, sync_children
from vendors.models import AIModel, Licence, Vendor, VendorCertification, VendorContact
from vendors.signals import registry_changed

# Child rows edited with a vendor: the fields each row carries.
VENDOR_CHILDREN = {
    "contacts": (VendorContact, ("name", "email", "language")),
    "certifications": (VendorCertification, ("name", "other_name", "expires_on")),
}


def editable_values(model, data):
    """The entries of ``data`` (a form's cleaned_data or a serializer's validated_data) that
    are editable fields of ``model``; the rest (formset rows, read-only fields) are left out."""
    names = {
        field.name
        for field in model._meta.get_fields()
        if (field.concrete or field.many_to_many) and not field.auto_created and field.editable
    }
    return {name: value for name, value in data.items() if name in names}


def _child_rows(vendor, name):
    model, fields = VENDOR_CHILDREN[name]
    if vendor.pk is None:
        return []
    return [
        {"id": child.pk, **{field: audit_value(getattr(child, field)) for field in fields}}
        for child in model.objects.filter(vendor=vendor).order_by("pk")
    ]


def _save_registry_object(model, user, fields, instance=None, children=None):
    """Create (``instance`` None) or change a registry row; returns it, with
    ``audit_changes`` set to what changed (empty: nothing was saved or recorded)."""
    created = instance is None
    unknown = set(fields) - set(editable_values(model, fields))
    if unknown:
        raise ValueError(f"Not editable fields of {model.__name__}: {sorted(unknown)}")
    with transaction.atomic():
        # Re-read and lock the row: a bound form has already written its values on ``instance``,
        # and two editors saving at once queue here, each diffed against what the other saved.
        obj = model() if created else model.objects.select_for_update().get(pk=instance.pk)
        changes = field_changes(obj, fields)
        many = {name for name in changes if model._meta.get_field(name).many_to_many}
        for name in changes.keys() - many:
            setattr(obj, name, fields[name])
        if created or changes.keys() - many:
            # The whole row is validated (e.g. a licence's commercial terms against each other),
            # so nothing invalid is saved whichever way it came in.
            obj.full_clean()
            try:
                with transaction.atomic():
                    obj.save()
            except IntegrityError as error:  # a concurrent create of the same name
                raise ValidationError(
                    _("This conflicts with a record saved meanwhile; reload and try again.")
                ) from error
        for name in many:
            getattr(obj, name).set(fields[name])
        for name, rows in (children or {}).items():
            if rows is None:
                continue
            child_model, child_fields = VENDOR_CHILDREN[name]
            before = _child_rows(obj, name)
            try:
                sync_children(obj, child_model, rows, child_fields)
            except ProtectedError as error:
                raise ValidationError(
                    {"contacts": [_("A contact who received a questionnaire cannot be removed. Nothing was saved.")]}
                ) from error
            changes.update(snapshot_changes({name: before}, {name: _child_rows(obj, name)}))
        if changes:
            record_event(obj, AuditAction.CREATE if created else AuditAction.UPDATE, user, changes=changes)
            registry_changed.send(sender=model, instance=obj, created=created, changes=changes, user=user)
    obj.audit_changes = changes
    return obj


def _require(user, permission):
    if not user.has_perm(permission):
        raise PermissionDenied


def create_vendor(user, fields, *, contacts=None, certifications=None):
    """A new vendor (prospective until an assessment is decided), with its contacts and certifications."""
    _require(user, "vendors.add_vendor")
    return _save_registry_object(
        Vendor, user, fields, children={"contacts": contacts, "certifications": certifications}
    )


def update_vendor(vendor, user, fields, *, contacts=None, certifications=None):
    """Change a vendor's details; ``contacts``/``certifications`` of None leave those lists
    as they are, otherwise they are the full lists (rows with an ``id`` change that row)."""
    _require(user, "vendors.change_vendor")
    return _save_registry_object(
        Vendor, user, fields, vendor, children={"contacts": contacts, "certifications": certifications}
    )


def create_model(user, fields):
    _require(user, "vendors.add_aimodel")
    return _save_registry_object(AIModel, user, fields)


def update_model(ai_model, user, fields):
    """Change an AI model, its status included (blocked or restricted models raise findings)."""
    _require(user, "vendors.change_aimodel")
    return _save_registry_object(AIModel, user, fields, ai_model)


def create_licence(user, fields):
    _require(user, "vendors.add_licence")
    return _save_registry_object(Licence, user, fields)


def update_licence(licence, user, fields):
    _require(user, "vendors.change_licence")
    return _save_registry_object(Licence, user, fields, licence)
