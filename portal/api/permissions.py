"""Permission classes shared by the apps' API views."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import permissions
from rest_framework.exceptions import PermissionDenied, ValidationError


class ActionPermission(permissions.BasePermission):
    """``view.action_permissions`` maps an action to the permission it needs; others need ``view.read_permission``."""

    def has_permission(self, request, view):
        required = view.action_permissions.get(getattr(view, "action", None), view.read_permission)
        return request.user.is_authenticated and (required is None or request.user.has_perm(required))


class ReadWritePermission(permissions.BasePermission):
    """Safe methods need ``view.read_permission``; the others ``view.write_permission``."""

    def has_permission(self, request, view):
        required = view.read_permission if request.method in permissions.SAFE_METHODS else view.write_permission
        return request.user.is_authenticated and request.user.has_perm(required)


def django_errors(call, *args, **kwargs):
    """Call a service; its Django ValidationError becomes a 400 with field messages, and its
    PermissionDenied a 403."""
    try:
        return call(*args, **kwargs)
    except DjangoValidationError as error:
        raise ValidationError(error.message_dict if hasattr(error, "error_dict") else error.messages) from error
    except DjangoPermissionDenied as error:
        raise PermissionDenied from error
