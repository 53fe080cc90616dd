"""Permission classes shared by the apps' API views."""

from rest_framework import permissions


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
