"""Builders shared by the rules-and-education tests (test_education.py and
test_education_pages.py): everything is made through the services, as an admin would."""

import datetime
from html.parser import HTMLParser

from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from governance.education import services
from portal.models import AuditEvent
from portal.roles import Role
from tests.factories import UserFactory

TODAY = timezone.localdate()


def ago(days):
    return TODAY - datetime.timedelta(days=days)


def member(username, department, role=Role.REQUESTER, **fields):
    return UserFactory(username=username, department=department, role=role, **fields)


def policy(manager, key="usage-rules", *, departments=(), roles=(), **fields):
    """A policy document for all staff, or for ``departments`` and/or ``roles`` (role names)."""
    values = {"key": key, "title_ja": f"{key}規程", "title_en": f"Policy {key}", **fields}
    if departments or roles:
        groups = list(Group.objects.filter(name__in=roles))
        values.update(all_staff=False, departments=list(departments), roles=groups)
    return services.save_policy_document(manager, values)


def publish(document, manager, body="# 利用ルール\n\n- 機密情報を入力しない", summary=""):
    draft = services.save_draft_version(document, manager, body, change_summary=summary)
    return services.publish_version(draft, manager)


def course(manager, key="ai-literacy", *, validity=12, departments=(), **fields):
    values = {"key": key, "title_ja": f"{key}研修", "title_en": f"Course {key}", "validity_months": validity, **fields}
    if departments:
        values.update(all_staff=False, departments=list(departments))
    return services.save_course(manager, values)


def completed(course_, person, recorder, on):
    """``recorder`` (an admin) records ``person``'s completion on ``on``."""
    return services.record_completion(course_, recorder, person=person, completed_on=on)


def evidence(name="certificate.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4 certificate", content_type="application/pdf")


def prompt(owner, title="議事録の要約", body="次の議事録を{{文字数}}字で要約して: {{議事録}}", **fields):
    return services.create_prompt(owner, {"title": title, "category": "other", "body": body, **fields})


def approved_prompt(owner, approver, **fields):
    return services.decide_prompt(prompt(owner, **fields), approver, "approve")


def events(obj, action):
    return list(AuditEvent.objects.for_object(obj).filter(action=action).order_by("pk"))


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def tags(html):
    """[(tag, {attribute: value})] of ``html``, values with their entities decoded."""
    parser = _Tags()
    parser.feed(str(html))
    return parser.tags


def assert_inert(html):
    """Nothing in ``html`` can run: no script element, no on* attribute, no script or data URL."""
    assert "<script" not in html.lower()
    for tag, attrs in tags(html):
        assert tag != "script"
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
        for name in ("href", "src"):
            value = "".join((attrs.get(name) or "").split()).lower()
            assert not value.startswith(("javascript:", "data:", "vbscript:")), (tag, attrs)
