"""The load run's scratch data, seeded through the application's services: departments, people in
each role with an API token, an approved vendor with two models and use cases in every status."""

import collections
import datetime

PASSWORD = "load-run-password-2026"  # noqa: S105 - scratch accounts of a throw-away database
TITLE_PREFIX = "load"
ROLE_SHARES = (("requester", 0.6), ("reviewer", 0.2), ("executive", 0.2))


# --- Seeding ---------------------------------------------------------------------------------------

DEPARTMENTS = [("load-marketing", "マーケティング部", "Marketing"), ("load-sales", "営業部", "Sales"),
               ("load-support", "サポート部", "Support")]  # fmt: skip
INITIAL_STATUSES = ["draft", "submitted", "in_review", "approved", "piloting", "in_production", "rejected", "withdrawn"]


def role_counts(users):
    counts = {role: max(1, round(users * share)) for role, share in ROLE_SHARES}
    counts["requester"] = max(1, users - counts["reviewer"] - counts["executive"])
    return counts


def seed(users, initial):
    """People with tokens, an approved vendor with two models, ``initial`` use cases. Returns a
    dict the client side needs: {"people": [(username, role, key)], "models": [ids], ...}."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.db import transaction
    from django.utils import timezone

    from portal.models import Department, ReferenceSequence
    from portal.services import create_api_token, next_reference
    from usecases.models import UseCase
    from vendors.models import AIModel, Licence, Vendor

    User = get_user_model()
    departments = [Department.objects.create(code=code, name=name, name_en=en) for code, name, en in DEPARTMENTS]
    password = make_password(PASSWORD)  # the production hasher: each login costs what it costs
    groups = {group.name: group for group in Group.objects.all()}
    people = []
    for role, count in role_counts(users).items():
        for n in range(count):
            user = User.objects.create(
                username=f"load-{role}-{n}",
                email=f"load-{role}-{n}@example.com",
                password=password,
                department=departments[n % len(departments)] if role != "executive" else None,
                language="ja" if n % 2 else "en",
            )
            user.groups.add(groups[role])
            if role == "reviewer":
                user.groups.add(groups["it-review"], groups["data-security-review"])
            _token, key = create_api_token(user, "load run")
            people.append(
                {"username": user.username, "role": role, "key": key, "id": user.pk, "department": user.department_id}
            )

    vendor = Vendor.objects.create(
        name="Load AI Inc.",
        kind="closed_api",
        headquarters_country="JP",
        status="approved",
        approved_level="confidential",
        zero_retention_available=True,
        next_reassessment_on=timezone.localdate() + datetime.timedelta(days=365),
    )
    licence = Licence.objects.get(identifier="LicenseRef-Proprietary-API")
    models = [
        AIModel.objects.create(
            name=f"load-model-{n}",
            publisher=vendor,
            openness="closed_api",
            licence=licence,
            price_input_per_million="2.50",
            price_output_per_million="10.00",
        ).pk
        for n in range(2)
    ]

    # Initial use cases in bulk (lists, pages and figures read them); references from the
    # application's counter, so it stays consistent with the rows.
    requesters = [p for p in people if p["role"] == "requester"]
    owners = {user.pk: user for user in User.objects.filter(pk__in=[p["id"] for p in requesters])}
    year = timezone.localdate().year
    rows = []
    now = timezone.now()
    for n in range(initial):
        owner = owners[requesters[n % len(requesters)]["id"]]
        status = INITIAL_STATUSES[n % len(INITIAL_STATUSES)]
        rows.append(
            UseCase(
                reference=next_reference("UC", year),
                title=f"seeded {n}",
                summary="広告コピーの案を出し、担当者が選ぶ。",
                department_id=owner.department_id,
                owner=owner,
                category="creative",
                audience="internal",
                data_classification="public",
                intended_style="closed_api",
                monthly_requests=1000 + n,
                avg_input_tokens=800,
                avg_output_tokens=400,
                status=status,
                roadmap_step=1 if status in ("draft", "submitted", "in_review") else 2,
                submitted_at=None if status == "draft" else now,
                approved_at=now if status in ("approved", "piloting", "in_production") else None,
            )
        )
    with transaction.atomic():
        UseCase.objects.bulk_create(rows, batch_size=500)
    sequence = ReferenceSequence.objects.get(scope=f"UC-{year}")
    by_department = collections.defaultdict(list)
    for row in rows:
        by_department[row.department_id].append(row.reference)
    return {
        "references": [row.reference for row in rows],
        "by_department": dict(by_department),
        "people": people,
        "models": models,
        "year": year,
        "sequence_before": sequence.last_value,
    }
