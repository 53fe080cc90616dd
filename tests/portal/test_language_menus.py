"""Sort menus, country names and department names in the reader's language (issue 19, item 7)."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from tests.factories import UseCaseFactory

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
JA = {"HTTP_ACCEPT_LANGUAGE": "ja"}
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def select_options(html, name):
    match = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert match, f"no select named {name}"
    return [label.strip() for label in re.findall(r"<option[^>]*>(.*?)</option>", match.group(1), re.S)]


SORTED_PAGES = [
    ("usecases:list", "requester"),
    ("governance:queue", "reviewer"),
    ("governance:prompt-list", "requester"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("page", "persona"), SORTED_PAGES)
def test_sort_menu_is_english_on_english_pages(client, request, page, persona):
    client.force_login(request.getfixturevalue(persona))
    labels = select_options(client.get(reverse(page), **EN).content.decode(), "ordering")
    labels = [label for label in labels if label != "---------"]
    assert len(labels) >= 4
    assert not [label for label in labels if JAPANESE.search(label)]
    assert "Created at" not in labels and "Updated at" not in labels


@pytest.mark.django_db
@pytest.mark.parametrize(("page", "persona"), SORTED_PAGES)
def test_sort_menu_is_japanese_on_japanese_pages(client, request, page, persona):
    client.force_login(request.getfixturevalue(persona))
    labels = select_options(client.get(reverse(page), **JA).content.decode(), "ordering")
    labels = [label for label in labels if label != "---------"]
    assert len(labels) >= 4
    # Every label is Japanese, descending ones included (no "(descending)" left in English).
    assert all(JAPANESE.search(label) for label in labels), labels
    assert not [label for label in labels if "descending" in label or "Created" in label]


@pytest.mark.django_db
def test_sort_menu_of_the_inventory_names_each_direction(client, requester):
    client.force_login(requester)
    en = select_options(client.get(reverse("usecases:list"), **EN).content.decode(), "ordering")
    ja = select_options(client.get(reverse("usecases:list"), **JA).content.decode(), "ordering")
    assert "Reference (descending)" in en and "Created" in en
    assert "管理番号（降順）" in ja


def test_vendor_sort_labels_follow_the_active_language():
    from vendors.filters import VendorFilterSet

    with translation.override("en"):
        en = [str(label) for _value, label in VendorFilterSet({}).form.fields["ordering"].choices]
    with translation.override("ja"):
        ja = [str(label) for _value, label in VendorFilterSet({}).form.fields["ordering"].choices]
    assert "Next reassessment (descending)" in en
    assert "次回再評価日（降順）" in ja


@pytest.mark.django_db
def test_country_filter_in_the_readers_language(client, requester):
    client.force_login(requester)
    # Japanese first, so a menu evaluated once would then stay Japanese for the English page.
    ja = select_options(client.get(reverse("vendors:list"), **JA).content.decode(), "headquarters_country")
    en = select_options(client.get(reverse("vendors:list"), **EN).content.decode(), "headquarters_country")
    assert "日本" in ja and "Japan" not in ja
    assert "Japan" in en and "日本" not in en
    assert len(en) > 200
    assert not [name for name in en if JAPANESE.search(name)]


@pytest.mark.django_db
def test_department_names_in_the_readers_language(client, requester):
    use_case = UseCaseFactory(owner=requester, department=requester.department)
    client.force_login(requester)
    for url in (reverse("usecases:list"), use_case.get_absolute_url()):
        en = client.get(url, **EN).content.decode()
        ja = client.get(url, **JA).content.decode()
        assert "Marketing" in en and "マーケティング部" not in en, url
        assert "マーケティング部" in ja, url
    en_filter = select_options(client.get(reverse("usecases:list"), **EN).content.decode(), "department")
    assert "Marketing" in en_filter and "マーケティング部" not in en_filter


@pytest.mark.django_db
def test_review_queue_names_departments_in_the_readers_language(client, requester, reviewer):
    from tests.governance.reviewer_helpers import submitted

    submitted(requester, title="広告コピー生成")
    client.force_login(reviewer)
    en = client.get(reverse("governance:queue"), **EN).content.decode()
    ja = client.get(reverse("governance:queue"), **JA).content.decode()
    assert "<td>Marketing</td>" in en and "マーケティング部" not in en
    assert "<td>マーケティング部</td>" in ja
    assert "Marketing" in select_options(en, "department")


@pytest.mark.django_db
def test_matrix_names_regions_as_countries_in_the_readers_language(client, requester):
    from governance.models import ClassificationLevel

    level = ClassificationLevel.objects.exclude(allowed_regions="").first()
    assert level is not None, "the seeded policy restricts no region"
    level.allowed_regions = ["JP"]
    level.allowed_jurisdictions = ["JP"]
    level.save()
    client.force_login(requester)
    en = client.get(reverse("governance:matrix"), **EN).content.decode()
    ja = client.get(reverse("governance:matrix"), **JA).content.decode()
    assert "Processing allowed in: Japan" in en and "Vendors headquartered in: Japan" in en
    assert "日本" in ja and not re.search(r"[:：] ?JP\b", ja + en)
