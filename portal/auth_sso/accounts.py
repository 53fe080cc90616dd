"""The one service of single sign-on: from the provider's verified claims to a signed-in person.

``sign_in(claims, issuer=...)`` runs in one transaction: the person is found (by issuer +
subject, else by e-mail on first sign-in) or created, their name, e-mail and department follow
the claims, and their roles and review groups follow the group claim through
``SsoGroupMapping``. Every sign-in re-applies the mapping: a group no longer granted is taken
away. Roles are always managed this way for people who sign in through the provider; other
groups only when a mapping names them. A person whose groups grant no role is refused (and
keeps no role); a new person is then not created at all.

Every sign-in and every refusal is an audit event (``sso_sign_in``, ``sso_refused``).
"""

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from portal.auth_models import ExternalIdentity, SsoGroupMapping
from portal.auth_sso.errors import Reason, SsoRefused
from portal.choices import AuditAction
from portal.models import AuditEvent, Department, User
from portal.roles import Role
from portal.services import field_changes, record_event

SIGN_IN = AuditAction.SSO_SIGN_IN
REFUSED = AuditAction.SSO_REFUSED
FALSE_WORDS = {"false", "0", "no", "off", "disabled", "inactive"}


def _claim_names():
    return settings.SSO_CLAIMS


def claim_text(claims, key, limit=150):
    value = claims.get(_claim_names()[key])
    return value.strip()[:limit] if isinstance(value, str) else ""


def claim_groups(claims):
    value = claims.get(_claim_names()["groups"])
    if isinstance(value, str):
        value = value.replace(";", ",").split(",")
    if not isinstance(value, (list, tuple)):
        return set()
    return {str(item).strip() for item in value if str(item).strip()}


def is_unverified(claims):
    value = claims.get("email_verified", True)
    return value is False or (isinstance(value, str) and value.strip().lower() in FALSE_WORDS)


def is_disabled(claims):
    value = claims.get(_claim_names()["active"], True)
    return value is False or (isinstance(value, str) and value.strip().lower() in FALSE_WORDS)


def find_department(value):
    """The department whose code, name or English name is ``value``; none when unknown."""
    if not value:
        return None
    return (
        Department.objects.filter(Q(code__iexact=value) | Q(name=value) | Q(name_en__iexact=value))
        .order_by("pk")
        .first()
    )


def granted_groups(claim_values):
    return set(
        Group.objects.filter(pk__in=SsoGroupMapping.objects.filter(claim_value__in=claim_values).values("group"))
    )


def managed_groups():
    """Groups that single sign-on sets and takes away: every role, and every mapped group."""
    return set(
        Group.objects.filter(
            Q(name__in=[role.value for role in Role]) | Q(pk__in=SsoGroupMapping.objects.values("group"))
        )
    )


def _username_for(email):
    base = email.lower()[:150]
    username, number = base, 1
    while User.objects.filter(username__iexact=username).exists():
        number += 1
        suffix = f"-{number}"
        username = base[: 150 - len(suffix)] + suffix
    return username


def _find_user(issuer, subject, email):
    identity = (
        ExternalIdentity.objects.select_for_update()
        .select_related("user")
        .filter(issuer=issuer, subject=subject)
        .first()
    )
    if identity is not None:
        return identity.user, identity
    # First sign-in through this provider: an existing account with the same e-mail is linked,
    # unless it already belongs to another identity at this provider, or is a break-glass
    # account (those stay local, whatever the provider says).
    candidates = list(
        User.objects.filter(email__iexact=email)
        .exclude(external_identities__issuer=issuer)
        .exclude(username__in=settings.SSO_BREAK_GLASS_USERS)
        .order_by("pk")[:2]
    )
    if len(candidates) > 1:
        raise SsoRefused(Reason.AMBIGUOUS, email=email, detail="several accounts share the e-mail")
    return (candidates[0] if candidates else None), None


def _sync_groups(user, granted):
    managed = managed_groups()
    current = set(user.groups.all())
    target = (current - managed) | (granted & managed)
    if target == current:
        return {}
    user.groups.remove(*(current - target))
    user.groups.add(*(target - current))
    return {"groups": [sorted(group.name for group in current), sorted(group.name for group in target)]}


def sign_in(claims, *, issuer):
    """The signed-in person for verified ``claims`` from ``issuer``, or ``SsoRefused``."""
    subject = str(claims.get("sub") or "").strip()
    email = claim_text(claims, "email", 254).lower()
    if not subject:
        raise SsoRefused(Reason.TOKEN_INVALID, detail="no sub claim")
    if not email or "@" not in email:
        raise SsoRefused(Reason.EMAIL_MISSING, detail=f"claim {_claim_names()['email']!r} missing")
    if is_unverified(claims):
        raise SsoRefused(Reason.EMAIL_UNVERIFIED, email=email, detail="email_verified is false")
    if is_disabled(claims):
        raise SsoRefused(Reason.ACCOUNT_DISABLED, email=email, detail="the provider marks the account inactive")
    groups = claim_groups(claims)
    refusal = None
    try:
        with transaction.atomic():
            user, identity = _find_user(issuer, subject, email)
            if user is not None and not user.is_active:
                raise SsoRefused(
                    Reason.ACCOUNT_DISABLED, email=email, user=user, detail="the portal account is inactive"
                )
            granted = granted_groups(groups)
            has_role = any(group.name in Role.values for group in granted)
            if user is None and not has_role:
                raise SsoRefused(Reason.NO_ROLE, email=email, detail=f"groups: {sorted(groups)[:20]}")
            values = {
                "email": email,
                "first_name": claim_text(claims, "given_name"),
                "last_name": claim_text(claims, "family_name"),
                "department": find_department(claim_text(claims, "department", 100)),
            }
            created = user is None
            if created:
                user = User(username=_username_for(email), **values)
                user.set_unusable_password()
                user.save()
                changes = {}
            else:
                values = {name: value for name, value in values.items() if name != "department" or value is not None}
                changes = field_changes(user, values)
                for name, value in values.items():
                    setattr(user, name, value)
            now = timezone.now()
            changes.update(_sync_groups(user, granted))
            is_staff = any(group.name == Role.GOVERNANCE_ADMIN for group in granted) or user.is_superuser
            if user.is_staff != is_staff:
                changes["is_staff"] = [user.is_staff, is_staff]
                user.is_staff = is_staff
            if not has_role:
                # Refused, but the roles taken away stay taken away.
                refusal = SsoRefused(Reason.NO_ROLE, email=email, user=user, detail=f"groups: {sorted(groups)[:20]}")
            else:
                user.last_login = now
            user.save()
            if identity is None:
                identity = ExternalIdentity.objects.create(user=user, issuer=issuer, subject=subject)
            identity.last_sign_in_at = now
            identity.save(update_fields=["last_sign_in_at"])
            if created:
                record_event(user, AuditAction.CREATE, data={"source": "sso", "issuer": issuer})
            record_event(
                user,
                SIGN_IN if refusal is None else REFUSED,
                data={"issuer": issuer, **({"reason": refusal.reason.value} if refusal else {})},
                changes=changes,
            )
    except IntegrityError as error:
        # Two first sign-ins of one person at once: the other one won; this one is refused cleanly.
        raise SsoRefused(Reason.AMBIGUOUS, email=email, detail=type(error).__name__) from error
    if refusal is not None:
        refusal.audited = True
        raise refusal
    return user


def record_refusal(refusal, *, issuer=""):
    """The audit event of a refused sign-in (the person's, when known)."""
    if getattr(refusal, "audited", False):
        return None
    user = refusal.user
    return AuditEvent.objects.create(
        action=REFUSED,
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(user.pk) if user is not None else "",
        object_repr=(str(user) if user is not None else refusal.email or "-")[:200],
        data={"reason": refusal.reason.value, "issuer": issuer, "email": refusal.email, "detail": refusal.detail},
    )
