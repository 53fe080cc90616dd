"""Shared by the reviewer-flow tests: use cases in review, colleagues, a captured event sink."""

from governance import services
from portal.roles import Role
from tests.conftest import _join
from tests.events import capture_events  # noqa: F401 - the reviewer tests import it from here
from tests.factories import UseCaseFactory, UserFactory
from usecases import services as usecase_services


def submitted(owner, **fields):
    return usecase_services.submit(UseCaseFactory(complete=True, owner=owner, **fields), owner)


def high_risk(owner, **fields):
    """IT, data/security, legal and executive stages, IT first."""
    return submitted(owner, decides_about_people=True, **fields)


def colleague(username, *groups, **fields):
    return _join(UserFactory(username=username, role=Role.REVIEWER, **fields), *groups)


def current(use_case):
    return services.active_stage(use_case)
