"""Cross-cutting operations: reference codes, the audit trail, API tokens.

Every audited change computes its ``{field: [before, after]}`` here: ``field_changes`` for
values about to be assigned to a row, ``snapshot_changes`` for two snapshots; both keep
values as ``audit_value`` makes them."""

import contextlib
import contextvars
import secrets

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.choices import AuditAction
from portal.models import ApiToken, AuditEvent, ReferenceSequence


def next_reference(prefix, year):
    """Return the next code ``<prefix>-<year>-<nnnn>``, unique under concurrency.

    The UPDATE takes the counter row's lock until the caller's transaction ends, so
    two concurrent creations queue on it instead of reading the same value.
    """
    scope = f"{prefix}-{year}"
    with transaction.atomic():
        sequence, _created = ReferenceSequence.objects.get_or_create(scope=scope)
        ReferenceSequence.objects.filter(pk=sequence.pk).update(last_value=F("last_value") + 1)
        value = ReferenceSequence.objects.values_list("last_value", flat=True).get(pk=sequence.pk)
    return f"{scope}-{value:04d}"


# Set by ``audit_source``: what every event recorded meanwhile is marked with (e.g. an import).
_AUDIT_SOURCE = contextvars.ContextVar("audit_source", default=None)


@contextlib.contextmanager
def audit_source(**source):
    """Mark every audit event recorded inside the block with ``data["source"] = source``
    (e.g. ``{"import": 12}``: the change came from import 12, not from a form)."""
    token = _AUDIT_SOURCE.set(source)
    try:
        yield
    finally:
        _AUDIT_SOURCE.reset(token)


def record_event(obj, action, actor=None, **details):
    """Append one audit event about ``obj``; ``changes`` is ``{field: [before, after]}``."""
    event = audit_event(obj, action, actor, **details)
    event.save(force_insert=True)
    return event


def audit_event(obj, action, actor=None, *, from_state="", to_state="", comment="", data=None, changes=None):
    """The audit event ``record_event`` appends, not saved yet (for a batch that bulk-creates them)."""
    actor = actor if actor is not None and actor.is_authenticated else None
    source = _AUDIT_SOURCE.get()
    if source is not None:
        data = {**(data or {}), "source": source}
    return AuditEvent(
        actor=actor,
        actor_name=(f"{actor} ({actor.username})" if actor is not None else "")[:200],
        action=action,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        from_state=from_state,
        to_state=to_state,
        comment=comment,
        data=data or {},
        changes=changes or {},
    )


MAX_ACTIVE_TOKENS = 20


def may_use_tokens(user):
    """People with a role may hold personal API tokens."""
    return user.is_authenticated and user.is_active and user.has_perm("usecases.view_usecase")


def create_api_token(user, name, *, check=False):
    """Create a token and return ``(token, key)``; the key is not stored and cannot be shown again.
    With ``check`` (self-service), the user must hold a role, name it, and stay under the limit."""
    name = (name or "").strip()
    if check:
        if not may_use_tokens(user):
            raise PermissionDenied
        errors = []
        if not name:
            errors.append(_("Name the token after what will use it (e.g. “BI dashboard”)."))
        if ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() >= MAX_ACTIVE_TOKENS:
            errors.append(
                _("You already hold %(count)s active tokens; revoke one first.") % {"count": MAX_ACTIVE_TOKENS}
            )
        if errors:
            raise ValidationError({"name": errors})
    key = secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, name=name[:100], prefix=key[:8], key_hash=ApiToken.hash_key(key))
        record_event(token, AuditAction.CREATE, user, data={"name": token.name, "prefix": token.prefix})
    return token, key


def revoke_api_token(token, user):
    """Revoke one of ``user``'s own tokens (a conditional UPDATE: revoking twice keeps the first time)."""
    if token.user_id != user.pk:
        raise PermissionDenied
    with transaction.atomic():
        if ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()):
            record_event(token, AuditAction.REVOKE, user, data={"name": token.name, "prefix": token.prefix})
    token.refresh_from_db()
    return token


def _stored(field, value):
    """``value`` as ``field`` writes it to the database, so that equal values compare equal
    whatever their Python form (an object or its id, "2.5" or Decimal("2.5000"), a list of
    countries in any order)."""
    if field.is_relation:
        return field.target_field.get_prep_value(getattr(value, "pk", value))
    return field.get_prep_value(field.to_python(value))


def _differs(instance, name, value):
    """Whether assigning ``value`` to ``instance.name`` would change what is stored."""
    field = instance._meta.get_field(name)
    return _stored(field, value) != _stored(field, getattr(instance, field.attname))


def audit_value(value):
    """A field value as the audit trail keeps it: JSON-safe, related objects and countries
    by their text, lists element by element."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dict):
        return {str(key): audit_value(item) for key, item in value.items()}
    if hasattr(value, "__iter__") and not isinstance(value, bytes):  # lists, several countries
        return [audit_value(item) for item in value]
    return str(value)


def field_changes(instance, values):
    """The audit diff of assigning ``values`` (``{field: value}``) to ``instance``:
    ``{field: [before, after]}`` for each field whose stored value would change (for a row
    not yet saved, each non-empty value, before ``None``). Many-to-many fields compare their
    sets of related objects."""
    changes = {}
    for name, value in values.items():
        field = instance._meta.get_field(name)
        if field.many_to_many:
            before = sorted(str(item) for item in getattr(instance, name).all()) if instance.pk else []
            after = sorted(str(item) for item in value)
            if before != after:
                changes[name] = [before, after]
        elif instance._state.adding:
            if value not in (None, "", []):  # a new row: what was set, not every empty default
                changes[name] = [None, audit_value(value)]
        elif _differs(instance, name, value):
            changes[name] = [audit_value(getattr(instance, name)), audit_value(value)]
    return changes


def snapshot_changes(before, after):
    """The audit diff of two snapshots ``{name: value}`` taken before and after a change
    (a name missing from ``before`` was ``None``): ``{name: [before, after]}`` for each name
    of ``after`` whose audit value differs. For what a service assigns, ``field_changes``."""
    changes = {}
    for name, value in after.items():
        old, new = audit_value(before.get(name)), audit_value(value)
        if old != new:
            changes[name] = [old, new]
    return changes


def sync_children(parent, model, rows, fields, fk_name=None):
    """Make ``parent``'s rows of ``model`` match ``rows``: a row with an ``id`` of one
    of them updates it, other rows are created, children not mentioned are deleted.
    Returns whether anything changed."""
    fk_name = fk_name or next(
        field.name for field in model._meta.fields if field.is_relation and field.related_model is type(parent)
    )
    children = model.objects.filter(**{fk_name: parent})
    existing = {child.pk: child for child in children}
    keep = set()
    changed = False
    for position, row in enumerate(rows):
        values = {field: row[field] for field in fields if field in row}
        if "position" in fields:
            values.setdefault("position", position)
        child = existing.get(row.get("id"))
        if child is None:
            child = model.objects.create(**{fk_name: parent}, **values)
            changed = True
        else:
            updates = {name: value for name, value in values.items() if _differs(child, name, value)}
            if updates:
                for name, value in updates.items():
                    setattr(child, name, value)
                child.save(update_fields=list(updates))
                changed = True
        keep.add(child.pk)
    deleted, _details = children.exclude(pk__in=keep).delete()
    return changed or deleted > 0
