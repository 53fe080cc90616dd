"""Password sign-in, which can be closed to everyone but named break-glass accounts once
single sign-on is in place (SSO_LOCAL_LOGIN=false, SSO_BREAK_GLASS_USERS)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


def local_login_open():
    """True when anyone with a password may sign in with it."""
    return settings.SSO_LOCAL_LOGIN or not settings.SSO_ENABLED


def may_use_password(username):
    if local_login_open():
        return True
    return (username or "").casefold() in {name.casefold() for name in settings.SSO_BREAK_GLASS_USERS}


class LocalPasswordBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if not may_use_password(username):
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
