"""The education figures (acknowledgement of each policy in force, completion of each active
course, by department) take the same few queries whatever the number of policies and courses,
and match a count made in Python over mixed audiences (all staff, departments, roles)."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dashboard.adoption import education_figures
from governance.education import services
from governance.models import PolicyAcknowledgement, PolicyDocument, PolicyVersion, TrainingCompletion, TrainingCourse
from portal.roles import Role
from tests.factories import UserFactory
from tests.governance.education_helpers import TODAY, ago, completed, course, member, policy, publish

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def people(marketing, sales, it_department, admin_user):
    roles = (Role.REQUESTER, Role.REVIEWER, Role.EXECUTIVE)
    departments = (marketing, sales, it_department, None)
    found = [member(f"p{i}", departments[i % 4], role=roles[i % 3]) for i in range(12)]
    UserFactory(username="gone", department=marketing, is_active=False)  # counted nowhere
    return [admin_user, *found]


def audiences(n, marketing, sales):
    """The n-th audience: all staff, a department, a role, or departments and a role."""
    return [
        {},
        {"departments": [marketing]},
        {"roles": [Role.REVIEWER]},
        {"departments": [sales], "roles": [Role.EXECUTIVE]},
    ][n % 4]


def add(count, people, admin_user, marketing, sales):
    """``count`` more policies in force and as many courses, done by some people (some completions
    expired, some versions superseded)."""
    start = PolicyDocument.objects.count()
    for n in range(start, start + count):
        document = policy(admin_user, f"policy-{n}", **audiences(n, marketing, sales))
        old = publish(document, admin_user)
        concerned = [person for person in people if document.applies_to(person)]
        services.acknowledge(old, concerned[0])  # superseded next: counts for nothing
        version = publish(document, admin_user)
        taught = course(admin_user, f"course-{n}", departments=[sales, marketing][: n % 3])
        for i, person in enumerate(people):
            if (i + n) % 3 == 0 and person in concerned:
                services.acknowledge(version, person)
            if (i + n) % 2 == 0:
                completed(taught, person, admin_user, ago(400 if i % 5 == 0 else 20))  # 12 months: some expired


def hand_count(subject, done_ids):
    """{department id: (people, done, rate)} of the active audience of ``subject``."""
    departments = {d.pk for d in subject.departments.all()}
    roles = {g.pk for g in subject.roles.all()}
    rows = {}
    for person in get_user_model().objects.filter(is_active=True).prefetch_related("groups"):
        groups = {g.pk for g in person.groups.all()}
        if subject.all_staff or person.department_id in departments or groups & roles:
            total, done, _rate = rows.get(person.department_id, (0, 0, None))
            rows[person.department_id] = (total + 1, done + (person.pk in done_ids), None)
    return {key: (total, done, round(100 * done / total, 1)) for key, (total, done, _rate) in rows.items()}


def by_department(rows):
    return {row["department_id"]: (row["total"], row["done"], row["rate"]) for row in rows}


def test_the_figures_match_a_hand_count(people, admin_user, marketing, sales):
    add(5, people, admin_user, marketing, sales)
    figures = education_figures()
    assert len(figures["policies"]) == len(figures["courses"]) == 5
    for row in figures["policies"]:
        version = PolicyVersion.objects.get(document__key=row["key"], number=row["version"])
        acknowledged = set(PolicyAcknowledgement.objects.filter(version=version).values_list("user_id", flat=True))
        assert by_department(row["by_department"]) == hand_count(version.document, acknowledged), row["key"]
    for row in figures["courses"]:
        taught = TrainingCourse.objects.get(key=row["key"])
        done = {
            completion.user_id
            for completion in TrainingCompletion.objects.filter(course=taught)
            if completion.completed_on <= TODAY and (completion.expires_on is None or completion.expires_on >= TODAY)
        }
        assert by_department(row["by_department"]) == hand_count(taught, done), row["key"]
        assert row["by_department"] == services.completion_rates(taught)
    assert any(len(row["by_department"]) < 4 for row in figures["courses"])  # audiences that leave departments out


def test_the_figures_take_the_same_queries_for_2_and_10_policies_and_courses(people, admin_user, marketing, sales):
    counts, sizes = [], []
    for total in (2, 10):
        add(total - TrainingCourse.objects.count(), people, admin_user, marketing, sales)
        with CaptureQueriesContext(connection) as captured:
            figures = education_figures()
            education_figures([marketing.pk])
        counts.append(len(captured))
        sizes.append((len(figures["policies"]), len(figures["courses"])))
    assert sizes == [(2, 2), (10, 10)]
    assert counts[0] == counts[1] <= 6  # versions, courses and one aggregate, twice
