import csv
import io

import pytest
from django.urls import reverse

from portal.models import AuditEvent
from tests.factories import UseCaseFactory
from usecases.choices import UseCaseStatus
from usecases.models import UseCase

pytestmark = pytest.mark.django_db


def _formset(prefix, rows, initial=0):
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": str(initial)}
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{key}": value for key, value in row.items()})
    return data


def test_register_a_draft_through_the_form(client, requester):
    client.force_login(requester)
    data = {
        "title": "SNS投稿文の案出し",
        "summary": "キャンペーンの投稿文案を作る。",
        "category": "creative",
        "audience": "customer_facing",
        "data_classification": "public",
        "intended_style": "closed_saas",
        "monthly_requests": "500",
        "avg_input_tokens": "300",
        "avg_output_tokens": "200",
        **_formset(
            "tasks",
            [{"description": "案を出す", "performer": "ai"}, {"description": "採用を決める", "performer": "human"}],
        ),
        **_formset("kpis", [{"name": "エンゲージメント率", "unit": "%", "direction": "increase", "target": "3"}]),
        **_formset("models", []),
    }
    response = client.post(reverse("usecases:create"), data)
    use_case = UseCase.objects.get(title="SNS投稿文の案出し")
    assert response.status_code == 302 and response.url == use_case.get_absolute_url()
    assert use_case.owner == requester and use_case.department == requester.department
    assert [task.performer for task in use_case.tasks.all()] == ["ai", "human"]
    assert use_case.kpis.get().name == "エンゲージメント率"
    assert AuditEvent.objects.for_object(use_case).get().action == "create"


def test_form_errors_are_shown_and_nothing_is_saved(client, requester):
    client.force_login(requester)
    data = {"title": "", "monthly_requests": "many", **_formset("tasks", [{"description": "x", "performer": "robot"}]),
            **_formset("kpis", []), **_formset("models", [])}  # fmt: skip
    response = client.post(reverse("usecases:create"), data)
    assert response.status_code == 200
    assert response.context["form"].errors.keys() >= {"title", "monthly_requests"}
    assert response.context["tasks"].errors[0].keys() == {"performer"}
    assert not UseCase.objects.exists()


def test_edit_keeps_what_was_saved_when_the_form_is_invalid(client, requester):
    use_case = UseCaseFactory(complete=True, owner=requester, title="元の題名")
    task = use_case.tasks.first()
    client.force_login(requester)
    data = {"title": "", **_formset("tasks", [{"id": task.pk, "description": "", "performer": "ai"}], initial=1),
            **_formset("kpis", []), **_formset("models", [])}  # fmt: skip
    response = client.post(reverse("usecases:update", args=[use_case.reference]), data)
    assert response.status_code == 200
    use_case.refresh_from_db()
    assert use_case.title == "元の題名"
    assert use_case.tasks.count() == 2


def test_detail_shows_history_and_missing_items_to_the_owner(client, requester, reviewer):
    use_case = UseCaseFactory(owner=requester)
    client.force_login(requester)
    response = client.get(use_case.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en")
    assert b'id="missing-items"' in response.content
    assert b'id="submit-button"' in response.content
    client.force_login(reviewer)
    response = client.get(use_case.get_absolute_url())
    assert b'id="missing-items"' not in response.content and b'id="submit-button"' not in response.content


def test_list_filters_search_and_sort(client, reviewer, requester, other_requester):
    UseCaseFactory(owner=requester, title="B 広告", category="creative")
    UseCaseFactory(owner=other_requester, title="A チャット", category="sales_support")
    client.force_login(reviewer)

    def titles(query):
        return [use_case.title for use_case in client.get(reverse("usecases:list") + query).context["object_list"]]

    assert titles("?q=広告") == ["B 広告"]
    assert titles("?category=sales_support") == ["A チャット"]
    assert titles("?ordering=title") == ["A チャット", "B 広告"]
    assert titles("?ordering=-title") == ["B 広告", "A チャット"]
    assert titles(f"?department={other_requester.department_id}") == ["A チャット"]


def test_list_is_paginated(client, reviewer, requester):
    UseCaseFactory.create_batch(30, owner=requester)
    client.force_login(reviewer)
    first = client.get(reverse("usecases:list"))
    second = client.get(reverse("usecases:list") + "?page=2")
    assert len(first.context["object_list"]) == 25 and len(second.context["object_list"]) == 5


def test_csv_export_follows_filters_scoping_and_neutralises_formulas(client, requester, other_requester):
    UseCaseFactory(owner=requester, title='=HYPERLINK("http://evil")', category="creative")
    UseCaseFactory(owner=requester, title="分析レポート", category="analytics")
    UseCaseFactory(owner=other_requester, title="営業の下書き", category="creative")
    client.force_login(requester)
    response = client.get(reverse("usecases:export") + "?category=creative", HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:2] == ["Reference", "Title"]
    assert [row[1] for row in rows[1:]] == ['\'=HYPERLINK("http://evil")']  # not the other department's draft


def test_home_counts_only_visible_use_cases(client, requester, other_requester):
    UseCaseFactory(owner=other_requester)
    mine = UseCaseFactory(owner=requester)
    client.force_login(requester)
    response = client.get(reverse("home"))
    assert response.context["total"] == 1
    assert list(response.context["my_use_cases"]) == [mine]
    assert response.context["status_counts"][0][0] == UseCaseStatus.DRAFT


def test_navigation_follows_the_role(client, requester, executive, admin_user):
    client.force_login(requester)
    assert reverse("usecases:create").encode() in client.get(reverse("home")).content
    client.force_login(executive)
    content = client.get(reverse("home")).content
    assert reverse("usecases:create").encode() not in content
    assert reverse("admin:index").encode() not in content
    client.force_login(admin_user)
    assert reverse("admin:index").encode() in client.get(reverse("home")).content


def test_login_and_logout(client, requester):
    from tests.factories import PASSWORD

    response = client.post(reverse("login"), {"username": "requester", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302
    bad = client.post(reverse("login"), {"username": "requester", "password": "wrong"})
    assert bad.status_code == 200 and bad.context["form"].errors


def test_admin_pages_load_for_every_model(client, django_user_model):
    from django.contrib import admin

    superuser = django_user_model.objects.create_superuser("root", "root@example.com", "pw-for-tests-only")
    client.force_login(superuser)
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert client.get(url).status_code == 200, url
        assert client.get(url + "?q=x").status_code == 200, url


def test_language_switch_is_remembered_for_the_user(client, requester):
    client.force_login(requester)
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("home")})
    assert response.status_code == 302
    requester.refresh_from_db()
    assert requester.language == "en"
    assert client.get(reverse("home")).context["LANGUAGE_CODE"] == "en"
    client.post(reverse("set_language"), {"language": "xx", "next": reverse("home")})
    requester.refresh_from_db()
    assert requester.language == "en"


def test_form_refuses_more_rows_than_allowed(client, requester):
    client.force_login(requester)
    rows = [{"description": f"作業{index}", "performer": "ai"} for index in range(31)]
    response = client.post(
        reverse("usecases:create"),
        {"title": "多すぎ", **_formset("tasks", rows), **_formset("kpis", []), **_formset("models", [])},
    )
    assert response.status_code == 200
    assert response.context["tasks"].non_form_errors()
    assert not UseCase.objects.exists()


def test_withdraw_with_an_invalid_reason_withdraws_nothing(client, requester):
    use_case = UseCaseFactory(complete=True, owner=requester)
    client.force_login(requester)
    response = client.post(
        reverse("usecases:withdraw", args=[use_case.reference]), {"comment": "x" * 2000}, follow=True
    )
    assert any("1000" in str(message) for message in response.context["messages"])
    use_case.refresh_from_db()
    assert use_case.status == UseCaseStatus.DRAFT


def test_edit_saved_after_a_submit_in_another_tab_keeps_the_typed_text(client, requester):
    use_case = UseCaseFactory(complete=True, owner=requester, title="元の題名")
    client.force_login(requester)
    form_page = client.get(reverse("usecases:update", args=[use_case.reference]))
    assert form_page.status_code == 200
    client.post(reverse("usecases:submit", args=[use_case.reference]))  # the other tab
    data = {"title": "入力途中の題名", **_formset("tasks", []), **_formset("kpis", []), **_formset("models", [])}
    response = client.post(reverse("usecases:update", args=[use_case.reference]), data)
    assert response.status_code == 409
    assert "入力途中の題名" in response.content.decode()
    use_case.refresh_from_db()
    assert (use_case.title, use_case.status) == ("元の題名", UseCaseStatus.SUBMITTED)


def test_requester_cannot_register_for_another_department_on_the_page(client, requester, sales):
    client.force_login(requester)
    data = {
        "title": "他部署向け",
        "department": sales.pk,
        **_formset("tasks", []),
        **_formset("kpis", []),
        **_formset("models", []),
    }
    client.post(reverse("usecases:create"), data)
    assert UseCase.objects.get().department == requester.department  # the field is locked to their own


def test_requester_without_department_is_told_why(client, requester):
    type(requester).objects.filter(pk=requester.pk).update(department=None)
    client.force_login(requester)
    response = client.post(
        reverse("usecases:create"),
        {"title": "部署なし", **_formset("tasks", []), **_formset("kpis", []), **_formset("models", [])},
    )
    assert response.status_code == 200
    assert "department" in response.context["form"].errors
    assert not UseCase.objects.exists()


def test_a_deactivated_department_does_not_lock_its_drafts(client, requester):
    use_case = UseCaseFactory(owner=requester, title="旧部署")
    requester.department.is_active = False
    requester.department.save()
    client.force_login(requester)
    data = {"title": "旧部署のまま編集", **_formset("tasks", []), **_formset("kpis", []), **_formset("models", [])}
    response = client.post(reverse("usecases:update", args=[use_case.reference]), data)
    assert response.status_code == 302, response.context["form"].errors
    use_case.refresh_from_db()
    assert use_case.title == "旧部署のまま編集"


def test_owner_filter_offers_only_owners_of_visible_use_cases(client, requester, other_requester, outsider):
    UseCaseFactory(owner=requester)
    UseCaseFactory(owner=other_requester)  # a sales draft: not visible to marketing
    client.force_login(requester)
    response = client.get(reverse("usecases:list"))
    assert list(response.context["filter"].form.fields["owner"].queryset) == [requester]


def test_an_invalid_filter_shows_an_error_and_no_rows(client, reviewer, requester):
    UseCaseFactory(owner=requester)
    client.force_login(reviewer)
    response = client.get(reverse("usecases:list") + "?status=bogus")
    assert response.status_code == 200
    assert "status" in response.context["filter"].form.errors
    assert list(response.context["object_list"]) == []


def test_record_a_measurement_on_the_page(client, requester):
    use_case = UseCaseFactory(complete=True, owner=requester)
    kpi = use_case.kpis.get()
    client.force_login(requester)
    url = reverse("usecases:record-measurement", args=[use_case.reference])
    assert b'id="record-measurement"' in client.get(use_case.get_absolute_url()).content
    bad = client.post(url, {"kpi": kpi.pk, "measured_on": "2199-01-01", "value": "x"})
    assert bad.status_code == 200 and set(bad.context["form"].errors) == {"value"}
    future = client.post(url, {"kpi": kpi.pk, "measured_on": "2199-01-01", "value": "2"})
    assert future.status_code == 200 and "measured_on" in future.context["form"].errors
    response = client.post(url, {"kpi": kpi.pk, "measured_on": "2026-02-01", "value": "2.05", "note": "2月"})
    assert response.status_code == 302
    assert kpi.measurements.get().note == "2月"
    detail = client.get(use_case.get_absolute_url()).content.decode()
    assert "2.05" in detail


def test_governance_admin_cannot_make_anyone_superuser(client, admin_user, requester):
    client.force_login(admin_user)
    url = reverse("admin:portal_user_change", args=[admin_user.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert "is_superuser" not in form.fields and "user_permissions" not in form.fields
    data = {name: value for name, value in form.initial.items() if name in form.fields and value is not None}
    data.update({"is_superuser": "on", "groups": [group.pk for group in admin_user.groups.all()]})
    client.post(url, data)
    admin_user.refresh_from_db()
    assert not admin_user.is_superuser


def test_governance_admin_sees_no_superusers_and_cannot_edit_use_cases(
    client, admin_user, requester, django_user_model
):
    root = django_user_model.objects.create_superuser("root", "root@example.com", "pw-for-tests-only")
    use_case = UseCaseFactory(complete=True, owner=requester, title="元の題名")
    client.force_login(admin_user)
    assert client.get(reverse("admin:portal_user_change", args=[root.pk])).status_code == 302  # not found: redirect
    url = reverse("admin:usecases_usecase_change", args=[use_case.pk])
    assert client.get(url).status_code == 200  # view only
    client.post(url, {"title": "書き換え"})
    use_case.refresh_from_db()
    assert use_case.title == "元の題名"
