"""The navigation's "Import" entry: shown to people who may import something, not to others."""

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from dashboard.context_processors import navigation
from imports.services import may_import

pytestmark = pytest.mark.django_db


class _Request:
    def __init__(self, user):
        self.user = user


def _entries(user):
    return {url_name: str(label) for url_name, label, _children in navigation(_Request(user))["nav_items"]}


@pytest.mark.parametrize("persona", ["requester", "reviewer", "admin_user"])
def test_people_who_may_import_see_the_entry(persona, request):
    user = request.getfixturevalue(persona)
    assert may_import(user)
    with translation.override("en"):
        assert _entries(user)["imports:index"] == "Import"


def test_the_label_has_its_japanese_entry():
    po = (settings.BASE_DIR / "locale" / "ja" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    assert 'msgid "Import"\nmsgstr "インポート"' in po


def test_people_who_may_not_import_do_not_see_it(executive):
    assert not may_import(executive)
    assert "imports:index" not in _entries(executive)


def test_the_entry_is_on_the_page_and_leads_to_the_imports(client, requester, executive):
    client.force_login(requester)
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'href="{reverse("imports:index")}"' in page
    assert client.get(reverse("imports:index")).status_code == 200
    client.force_login(executive)
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'href="{reverse("imports:index")}"' not in page
