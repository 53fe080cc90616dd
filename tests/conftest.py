"""Shared fixtures: personas, API clients, and the rule for tests that need services.

With ``REQUIRE_SERVICES=1`` (CI), a test that needs PostgreSQL, Redis, Chromium or
a worker fails when the service is missing instead of skipping.
"""

import os
import shutil

import pytest
from django.conf import settings
from django.db import connection
from django.utils import translation
from rest_framework.test import APIClient

from portal.celery import app as celery_app
from portal.roles import Role
from tests.factories import DepartmentFactory, UserFactory

# Tests create many users; the production hasher is deliberately slow.
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Debian's Chromium, headless, with nothing that reaches out to the network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def require_service(available, what):
    """Skip locally when ``what`` is missing; fail under REQUIRE_SERVICES=1."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required here (REQUIRE_SERVICES=1) but is not available.")
    pytest.skip(f"{what} is not available; set REQUIRE_SERVICES=1 to make this a failure.")


@pytest.fixture
def postgres():
    require_service(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL=postgres://...)")


@pytest.fixture
def chromium_path():
    require_service(shutil.which(CHROMIUM) is not None, f"Chromium at {CHROMIUM}")
    return CHROMIUM


@pytest.fixture(autouse=True)
def _default_language():
    """A request leaves its language active in the thread (LocaleMiddleware); start every test
    from the default so figures named in the reader's language do not depend on test order."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _celery_eager():
    """Run tasks in-process by default; the real-worker test switches this off."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def marketing(db):
    return DepartmentFactory(code="marketing", name="マーケティング部", name_en="Marketing")


@pytest.fixture
def sales(db):
    return DepartmentFactory(code="sales", name="営業部", name_en="Sales")


@pytest.fixture
def it_department(db):
    return DepartmentFactory(code="it", name="情報システム部", name_en="IT")


@pytest.fixture
def requester(marketing):
    return UserFactory(username="requester", department=marketing, role=Role.REQUESTER)


@pytest.fixture
def other_requester(sales):
    """A requester of another department."""
    return UserFactory(username="other", department=sales, role=Role.REQUESTER)


def _join(user, *groups):
    from django.contrib.auth.models import Group

    user.groups.add(*Group.objects.filter(name__in=groups))
    return user


@pytest.fixture
def reviewer(it_department):
    """An IT reviewer: decides IT and data/security stages."""
    user = UserFactory(username="reviewer", department=it_department, role=Role.REVIEWER)
    return _join(user, "it-review", "data-security-review")


@pytest.fixture
def legal_reviewer(it_department):
    user = UserFactory(username="legal", department=it_department, role=Role.REVIEWER)
    return _join(user, "legal-review")


@pytest.fixture
def privacy_reviewer(it_department):
    user = UserFactory(username="privacy", department=it_department, role=Role.REVIEWER)
    return _join(user, "privacy-review")


@pytest.fixture
def executive(db):
    return UserFactory(username="executive", role=Role.EXECUTIVE)


@pytest.fixture
def admin_user(it_department):
    return UserFactory(username="govadmin", department=it_department, role=Role.GOVERNANCE_ADMIN, is_staff=True)


@pytest.fixture
def outsider(db):
    """Logged in, but holding no role."""
    return UserFactory(username="outsider")


@pytest.fixture
def personas(requester, other_requester, reviewer, executive, admin_user, outsider):
    return {
        "anonymous": None,
        "requester": requester,
        "other_requester": other_requester,
        "reviewer": reviewer,
        "executive": executive,
        "admin": admin_user,
        "outsider": outsider,
    }


@pytest.fixture
def api_client():
    return APIClient()


def api_client_for(user):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def four_eyes_off(db):
    """Every stage without the four-eyes rule: one reviewer decides the stages of both their
    groups (tests of stage order and dates; the rule itself is tested in test_four_eyes.py)."""
    from governance.models import StageDefinition

    StageDefinition.objects.update(four_eyes=False)
