"""Demo vendors and AI models for `manage.py seed_demo` (published list prices, as data).

Two vendors go through the whole assessment loop with the services, so the demo shows
approved vendors with their score, decision and history; the publisher of the open model
the demo's proof of concept runs on passes IT's adoption-readiness check. The demo's pilots
and PoC therefore run on models that meet the roadmap's gates (and its readiness).
"""

from django.core.files.base import ContentFile

from vendors import assessments
from vendors.choices import AnswerType
from vendors.models import AIModel, Licence, TemplateVersion, Vendor, VendorContact
from vendors.querysets import READINESS_TEMPLATE_KEY

VENDORS = [
    # name, kind, country, regions, retention days, zero retention, training use, contact, language
    ("OpenAI", "closed_api", "US", ["US"], 30, True, "opt_out", ("API Support", "api@openai.example"), "en"),
    ("Anthropic", "closed_api", "US", ["US"], 30, True, "never", ("Enterprise team", "sales@anthropic.example"), "en"),
    ("Meta", "open_weights", "US", [], None, False, "unknown", ("Llama licensing", "llama@meta.example"), "en"),
    ("DeepSeek", "closed_api", "CN", ["CN"], None, False, "no_opt_out", ("Business", "bd@deepseek.example"), "en"),
    ("Mistral AI", "open_weights", "FR", ["FR", "SE"], 30, True, "opt_in", ("Sales", "sales@mistral.example"), "en"),
    (
        "クラウドホスティング株式会社",
        "cloud",
        "JP",
        ["JP"],
        0,
        True,
        "never",
        ("営業部 鈴木", "suzuki@cloud.example"),
        "ja",
    ),
]

# name, version, publisher, openness, licence, hosting, price in, price out, currency, context, status, notes
MODELS = [
    (
        "GPT-4o",
        "2024-08",
        "OpenAI",
        "closed_api",
        "LicenseRef-Proprietary-API",
        ["vendor_cloud"],
        "2.50",
        "10.00",
        "USD",
        128000,
        "approved",
        "日本語の品質は高い。",
    ),
    (
        "o1",
        "",
        "OpenAI",
        "closed_api",
        "LicenseRef-Proprietary-API",
        ["vendor_cloud"],
        "15.00",
        "60.00",
        "USD",
        200000,
        "restricted",
        "推論が必要な分析のみ。高価格。",
    ),
    (
        "GPT-5.2 Pro",
        "",
        "OpenAI",
        "closed_api",
        "LicenseRef-Proprietary-API",
        ["vendor_cloud"],
        "21.00",
        "168.00",
        "USD",
        400000,
        "under_review",
        "",
    ),
    (
        "Claude 3",
        "Sonnet",
        "Anthropic",
        "closed_api",
        "LicenseRef-Proprietary-API",
        ["vendor_cloud", "private_cloud"],
        "3.00",
        "15.00",
        "USD",
        200000,
        "approved",
        "長文の要約に強い。",
    ),
    (
        "Llama 3",
        "70B",
        "Meta",
        "open_weights",
        "LicenseRef-Llama-Community",
        ["self_hosted", "private_cloud"],
        "0.50",
        "0.75",
        "USD",
        8192,
        "approved",
        "日本語は追加学習で改善が必要。API経由の価格は参考値。",
    ),
    (
        "DeepSeek R1",
        "",
        "DeepSeek",
        "closed_api",
        "LicenseRef-Proprietary-API",
        ["vendor_cloud"],
        "0.55",
        "2.19",
        "USD",
        128000,
        "blocked",
        "データが国外に保存され、オプトアウトがない。",
    ),
    (
        "Mistral 7B",
        "v0.3",
        "Mistral AI",
        "open_weights",
        "Apache-2.0",
        ["self_hosted", "private_cloud"],
        None,
        None,
        "USD",
        32768,
        "approved",
        "自社ホスティング向け。",
    ),
]


def seed_vendors(reviewer):
    vendors = {}
    for name, kind, country, regions, retention, zero, training, contact, language in VENDORS:
        vendor, _created = Vendor.objects.get_or_create(
            name=name,
            defaults={
                "kind": kind,
                "headquarters_country": country,
                "processing_regions": regions,
                "data_retention_days": retention,
                "zero_retention_available": zero,
                "training_use": training,
            },
        )
        VendorContact.objects.get_or_create(
            vendor=vendor, email=contact[1], defaults={"name": contact[0], "language": language}
        )
        vendors[name] = vendor
    for (name, version, publisher, openness, licence, hosting, price_in, price_out, currency, context, status,
         notes) in MODELS:  # fmt: skip
        AIModel.objects.get_or_create(
            publisher=vendors[publisher],
            name=name,
            version=version,
            defaults={
                "openness": openness,
                "licence": Licence.objects.get(identifier=licence),
                "hosting_options": hosting,
                "price_input_per_million": price_in,
                "price_output_per_million": price_out,
                "currency": currency,
                "context_window": context,
                "status": status,
                "japanese_notes": notes,
            },
        )
    # (vendor, decision, approved level, conditions)
    for name, decision, level, conditions in (
        ("Anthropic", "approve_with_conditions", "confidential", "ゼロリテンション設定を有効にすること。"),
        ("OpenAI", "approve", "internal", ""),
    ):
        if not vendors[name].assessments.exists():
            _run_assessment(vendors[name], reviewer, decision, level, conditions)
    meta = vendors["Meta"]
    if not meta.assessments.exists():
        _run_assessment(meta, reviewer, template=READINESS_TEMPLATE_KEY)
    return vendors


def _run_assessment(vendor, reviewer, decision="", level="", conditions="", template="genai-vendor-assessment"):
    """Send, answer (as the vendor would, or IT for the internal readiness check), submit and
    decide: the loop, through the services. An internal checklist is complete once submitted."""
    version = TemplateVersion.objects.published().get(template__key=template)
    assessment, _token = assessments.send_assessment(vendor, vendor.contacts.first(), version, reviewer)
    values, comments, uploads = {}, {}, {}
    for question in assessments.questions_of(assessment):
        if question.answer_type in (AnswerType.YES_NO, AnswerType.SINGLE):
            safe = [o for o in question.options if o["value"] not in (question.knockout_values or [])]
            values[question.id] = max(safe or question.options, key=lambda option: option["points"])["value"]
        elif question.answer_type == AnswerType.MULTIPLE:
            values[question.id] = [option["value"] for option in question.options[:2]]
        elif question.answer_type == AnswerType.NUMBER:
            values[question.id] = "24"
        elif question.answer_type == AnswerType.DATE:
            values[question.id] = "2026-04-01"
        elif question.answer_type == AnswerType.TEXT:
            values[question.id] = "Demo answer: see our trust centre."
        if question.evidence_required:
            uploads[question.id] = [ContentFile(b"Demo evidence.\n", name="evidence.txt")]
    assessments.save_answers(assessment, values, comments, uploads)
    assessments.submit_assessment(assessment)
    if decision:
        assessments.decide_assessment(
            assessment, reviewer, decision, approved_level=level, conditions=conditions,
            findings="デモ評価: 主要項目は良好。",
        )  # fmt: skip
