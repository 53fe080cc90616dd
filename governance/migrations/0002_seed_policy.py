"""Defaults a fresh install needs: the classification levels and matrix, review groups,
stage definitions, review cadences and role permissions. (The daily re-check's beat entry,
once seeded here, is declared in settings.PERIODIC_TASKS and created after migrate.)
Every value here is data an administrator may change afterwards; the matrix and cadences are
tabled in docs/REFERENCE.md."""

from django.db import migrations

from portal.roles import grant_permissions

LEVELS = [
    (
        "public",
        1,
        "公開済み、または公開して問題のない情報（プレスリリース、公開Webページ、公開済みの広告）。",
        "Published or publishable information (press releases, public web pages, published ads).",
        [],
    ),
    (
        "internal",
        2,
        "社員向けの一般的な業務情報（社内資料、業務マニュアル、集計済みの数値）。",
        "Ordinary business information for staff (internal documents, manuals, aggregated figures).",
        [],
    ),
    (
        "confidential",
        3,
        "漏えいすると損害が生じる情報（顧客データ、未発表の企画、契約条件、売上明細）。",
        "Information whose leak causes harm (customer data, unreleased plans, contract terms, sales details).",
        ["JP"],
    ),
    (
        "restricted",
        4,
        "最も厳格に扱う情報（機微な個人情報、M&A、認証情報）。社外に出さない。",
        "The most tightly held information (sensitive personal data, M&A, credentials). It never leaves the company.",
        ["JP"],
    ),
]
ALLOWED, CONDITIONAL, PROHIBITED = "allowed", "conditional", "prohibited"
APPROVAL = {"require_vendor_approval": True}
CONFIDENTIAL_API = {
    "require_vendor_approval": True,
    "require_zero_retention": True,
    "require_no_training": True,
    "require_region": True,
}
# level -> style -> (verdict, conditions)
MATRIX = {
    "public": {
        "closed_saas": (ALLOWED, {}),
        "closed_api": (ALLOWED, {}),
        "open_cloud": (ALLOWED, {}),
        "open_self_hosted": (ALLOWED, {}),
    },
    "internal": {
        "closed_saas": (CONDITIONAL, APPROVAL),
        "closed_api": (CONDITIONAL, APPROVAL),
        "open_cloud": (ALLOWED, {}),
        "open_self_hosted": (ALLOWED, {}),
    },
    "confidential": {
        "closed_saas": (PROHIBITED, {}),
        "closed_api": (CONDITIONAL, CONFIDENTIAL_API),
        "open_cloud": (ALLOWED, {}),
        "open_self_hosted": (ALLOWED, {}),
    },
    "restricted": {
        "closed_saas": (PROHIBITED, {}),
        "closed_api": (PROHIBITED, {}),
        "open_cloud": (PROHIBITED, {}),
        "open_self_hosted": (ALLOWED, {}),
    },
}
NOTES = {
    ("confidential", "open_cloud"): "Private cloud under our own contract.",
    ("confidential", "closed_api"): "Zero retention, no training on our data, approved at confidential.",
}
REVIEW_GROUPS = ["it-review", "data-security-review", "legal-review", "privacy-review"]
ALL_TIERS = ["minimal", "limited", "high", "prohibited"]
STAGES = [
    ("it-review", "IT審査", "IT review", "it-review", 10, 5, ALL_TIERS, False),
    (
        "data-security-review",
        "データ・セキュリティ審査",
        "Data and security review",
        "data-security-review",
        20,
        5,
        ["limited", "high", "prohibited"],
        False,
    ),
    (
        "legal-review",
        "法務・コンプライアンス審査",
        "Legal and compliance review",
        "legal-review",
        30,
        10,
        ["high", "prohibited"],
        False,
    ),
    ("privacy-review", "プライバシー審査", "Privacy review", "privacy-review", 40, 7, [], True),
    ("executive-signoff", "経営層の承認", "Executive sign-off", "executive", 50, 5, ["high", "prohibited"], False),
]
CADENCE = {"high": 90, "limited": 180, "minimal": 365, "prohibited": 90}
ROLE_PERMISSIONS = {
    "reviewer": ["governance.decide_approvalstage", "portal.view_auditevent"],
    "executive": [
        "governance.decide_approvalstage",
        "governance.grant_policyexception",
        "portal.view_auditevent",
    ],
    "governance_admin": [
        "governance.manage_classification",
        "governance.grant_policyexception",
        "governance.decide_approvalstage",
        "governance.view_stagedefinition",
        "governance.add_stagedefinition",
        "governance.change_stagedefinition",
        "governance.view_risktiersetting",
        "governance.change_risktiersetting",
        "governance.view_classificationlevel",
        "governance.change_classificationlevel",
        "governance.view_classificationrule",
        "governance.change_classificationrule",
    ],
}


def seed(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Level = apps.get_model("governance", "ClassificationLevel")
    Rule = apps.get_model("governance", "ClassificationRule")
    StageDefinition = apps.get_model("governance", "StageDefinition")
    RiskTierSetting = apps.get_model("governance", "RiskTierSetting")
    for code, rank, description_ja, description_en, regions in LEVELS:
        level, _created = Level.objects.get_or_create(
            code=code,
            defaults={
                "rank": rank,
                "description_ja": description_ja,
                "description_en": description_en,
                "allowed_regions": ",".join(regions),
            },
        )
        for style, (verdict, conditions) in MATRIX[code].items():
            Rule.objects.get_or_create(
                level=level,
                style=style,
                defaults={"verdict": verdict, "note": NOTES.get((code, style), ""), **conditions},
            )
    for name in REVIEW_GROUPS:
        Group.objects.get_or_create(name=name)
    for code, name_ja, name_en, group, position, sla, tiers, personal in STAGES:
        StageDefinition.objects.get_or_create(
            code=code,
            defaults={
                "name_ja": name_ja,
                "name_en": name_en,
                "group": Group.objects.get_or_create(name=group)[0],
                "position": position,
                "sla_days": sla,
                "risk_tiers": tiers,
                "for_personal_data": personal,
            },
        )
    for tier, days in CADENCE.items():
        RiskTierSetting.objects.get_or_create(tier=tier, defaults={"review_interval_days": days})
    grant_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0001_initial"),
        ("portal", "0002_roles"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
