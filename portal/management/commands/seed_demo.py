"""Demo data: departments, one user per role, realistic use cases in Japanese, vendors and models.

Idempotent: running it again changes nothing that exists (matched by code,
username and use-case title). Passwords are documented in README.md.
"""

import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from governance import services as governance
from governance.choices import StageStatus
from governance.education.demo import seed_education
from governance.models import ApprovalStage
from portal.choices import AuditAction
from portal.models import Department
from portal.roles import Role
from portal.services import record_event
from usecases import services
from usecases.choices import LIVE_STATES, ModelRole, TrialKind, UseCaseStatus
from usecases.economics import refresh_cost_estimates
from usecases.models import BenefitRecord, KpiMeasurement, Trial, UseCase, UseCaseModel
from vendors.demo import seed_vendors
from vendors.models import AIModel

DEPARTMENTS = [
    ("marketing", "マーケティング部", "Marketing"),
    ("sales", "営業部", "Sales"),
    ("support", "カスタマーサポート部", "Customer support"),
    ("it", "情報システム部", "IT"),
    ("data", "データ・AI推進室", "Data and AI office"),
    ("corporate", "経営企画部", "Corporate planning"),
]

# username, password, role, department code, family name, given name, language
USERS = [
    ("requester", "demo-requester-2026", Role.REQUESTER, "marketing", "佐藤", "花子", "ja"),
    ("sales", "demo-sales-2026", Role.REQUESTER, "sales", "鈴木", "一郎", "ja"),
    ("reviewer", "demo-reviewer-2026", Role.REVIEWER, "it", "田中", "健", "ja"),
    ("executive", "demo-executive-2026", Role.EXECUTIVE, "corporate", "山本", "直樹", "en"),
    ("admin", "demo-admin-2026", Role.GOVERNANCE_ADMIN, "it", "高橋", "恵", "ja"),
]

# The demo reviewer sits in every review group, so one account can walk a use case through.
REVIEW_GROUPS = {"reviewer": ["it-review", "data-security-review", "legal-review", "privacy-review"]}

# title -> chosen models (name, deployment); the policy checks read their vendors and licences.
MODELS = {
    "広告コピーの案出し": [("GPT-4o", "closed_api")],
    "自社トーンの多言語コピー": [("Llama 3", "open_self_hosted")],
    "SEO記事の構成とキーワード案": [("Claude 3", "closed_api")],
    "社内技術資料を使ったナレッジ記事": [("Mistral 7B", "open_self_hosted")],
    "オペレーター向け回答下書き": [("Claude 3", "closed_api"), ("Llama 3", "open_self_hosted")],
    "契約条件に詳しい営業アシスタント": [("Llama 3", "open_self_hosted")],
    "取締役会資料の初稿": [("DeepSeek R1", "closed_api")],
    "自社指標に合わせた分析コメント": [("Mistral 7B", "open_self_hosted")],
    "競合分析レポート": [("Claude 3", "closed_api")],
    "多言語の顧客チャット": [("GPT-4o", "closed_api")],
    "社内FAQ検索": [("Llama 3", "open_self_hosted")],
}
# Other monthly costs by intended style (tool seats, integration upkeep), so ROI is not
# computed against token prices alone.
OTHER_MONTHLY_COST = {"closed_saas": 80_000, "closed_api": 30_000, "hybrid": 30_000}
# Customer-facing output without a person's check, to show the warning.
UNCHECKED_OUTPUT = {"多言語の顧客チャット"}

AI, HUMAN = "ai", "human"
S = UseCaseStatus

# title, summary, category, audience, classification, personal data, style,
# (requests/month, input tokens, output tokens), status, roadmap step, owner, tasks, KPIs
USE_CASES = [
    (
        "広告コピーの案出し",
        "検索広告・SNS広告のコピー案を生成し、担当者が選んで調整する。",
        "creative",
        "customer_facing",
        "internal",
        False,
        "closed_api",
        (3000, 800, 400),
        S.IN_PRODUCTION,
        5,
        "requester",
        [("過去の高CTRコピーを参照して案を20本出す", AI), ("ブランドトーンに合うか判断し採用案を決める", HUMAN)],
        [("広告CTR", "%", "increase", "1.8", "2.0"), ("コピー作成時間", "時間/週", "decrease", "10", "5")],
    ),
    (
        "バナー画像のラフ生成",
        "キャンペーンバナーのラフ案をデザインツールのAI機能で作る。",
        "creative",
        "internal",
        "internal",
        False,
        "closed_saas",
        (800, 300, 0),
        S.PILOTING,
        3,
        "requester",
        [("ラフ案を複数生成する", AI), ("デザイナーが最終案を決める", HUMAN)],
        [("ラフ作成時間", "時間/件", "decrease", "4", "1.5")],
    ),
    (
        "LP構成案の作成",
        "新商品のランディングページの構成案と見出しを下書きする。",
        "creative",
        "internal",
        "internal",
        False,
        "closed_api",
        (200, 2000, 1500),
        S.APPROVED,
        2,
        "requester",
        [("競合LPの要素を整理し構成案を出す", AI), ("訴求軸を決める", HUMAN)],
        [("LP制作リードタイム", "日", "decrease", "15", "10")],
    ),
    (
        "自社トーンの多言語コピー",
        "過去のクリエイティブで学習したオープンモデルで、英中韓のコピーを同じトーンで作る。",
        "creative",
        "customer_facing",
        "confidential",
        False,
        "open_self_hosted",
        (5000, 1000, 600),
        S.IN_REVIEW,
        2,
        "requester",
        [("日本語コピーを各言語に翻案する", AI), ("現地担当がニュアンスを確認する", HUMAN)],
        [("翻訳外注費", "円/月", "decrease", "800000", "300000")],
    ),
    (
        "SEO記事の構成とキーワード案",
        "検索キーワードから記事構成案と見出しを作り、編集者が仕上げる。",
        "content_seo",
        "internal",
        "public",
        False,
        "closed_api",
        (1200, 1500, 2000),
        S.IN_PRODUCTION,
        5,
        "requester",
        [("キーワードから構成案を作る", AI), ("事実確認と最終稿の判断", HUMAN)],
        [("記事公開本数", "本/月", "increase", "8", "16")],
    ),
    (
        "社内技術資料を使ったナレッジ記事",
        "製品マニュアルとFAQを取り込んだ社内専用モデルで技術記事を下書きする。",
        "content_seo",
        "internal",
        "confidential",
        False,
        "open_self_hosted",
        (600, 6000, 2500),
        S.SUBMITTED,
        1,
        "requester",
        [("技術資料から記事草稿を作る", AI), ("技術部門がレビューし公開を決める", HUMAN)],
        [("記事作成時間", "時間/本", "decrease", "12", "6")],
    ),
    (
        "メルマガ文面の下書き",
        "週次メールマガジンの本文案を作る。",
        "content_seo",
        "customer_facing",
        "internal",
        False,
        "closed_saas",
        (50, 1000, 1500),
        S.DRAFT,
        1,
        "requester",
        [("配信テーマから本文案を作る", AI), ("配信可否と最終文面を決める", HUMAN)],
        [("開封率", "%", "increase", "18", "22")],
    ),
    (
        "外部パートナーと共有する記事下書き",
        "制作会社と同じAIツールで記事の下書きを共有する。",
        "content_seo",
        "internal",
        "internal",
        False,
        "closed_saas",
        (300, 1200, 1800),
        S.WITHDRAWN,
        1,
        "requester",
        [("下書きを作る", AI), ("発注側が品質を判断する", HUMAN)],
        [("制作費", "円/本", "decrease", "50000", "35000")],
    ),
    (
        "FAQチャットボット",
        "よくある質問に答えるチャットボットを既存サポートツールのAI機能で始める。",
        "sales_support",
        "customer_facing",
        "internal",
        True,
        "closed_saas",
        (20000, 700, 300),
        S.PILOTING,
        3,
        "sales",
        [("定型質問に回答する", AI), ("複雑な問い合わせをオペレーターが判断する", HUMAN)],
        [("一次回答率", "%", "increase", "35", "60"), ("問い合わせ対応時間", "分/件", "decrease", "12", "9.6")],
    ),
    (
        "オペレーター向け回答下書き",
        "問い合わせ内容から回答の下書きを作り、オペレーターが確認して送る。",
        "sales_support",
        "internal",
        "confidential",
        True,
        "hybrid",
        (15000, 1500, 500),
        S.CHANGES_REQUESTED,
        2,
        "sales",
        [("回答案を作る", AI), ("オペレーターが内容を確認して送信する", HUMAN)],
        [("平均処理時間", "分/件", "decrease", "10", "8")],
    ),
    (
        "契約条件に詳しい営業アシスタント",
        "複雑な料金体系と契約条件を学習したモデルで、営業の質問に答える。",
        "sales_support",
        "internal",
        "confidential",
        False,
        "open_self_hosted",
        (4000, 3000, 800),
        S.SUBMITTED,
        1,
        "sales",
        [("契約条件の該当箇所を示す", AI), ("見積条件は営業責任者が決める", HUMAN)],
        [("見積作成時間", "時間/件", "decrease", "3", "1.5")],
    ),
    (
        "商談メモの要約",
        "商談メモを要約しCRMに登録する。",
        "sales_support",
        "internal",
        "confidential",
        True,
        "closed_saas",
        (6000, 2500, 400),
        S.APPROVED,
        2,
        "sales",
        [("商談メモを要約する", AI), ("次のアクションを営業が決める", HUMAN)],
        [("CRM入力時間", "分/件", "decrease", "15", "5")],
    ),
    (
        "多言語の顧客チャット",
        "海外顧客からの問い合わせに多言語で一次回答する。",
        "sales_support",
        "customer_facing",
        "internal",
        True,
        "closed_api",
        (9000, 600, 400),
        S.DRAFT,
        1,
        "sales",
        [("多言語で一次回答する", AI), ("エスカレーション先を担当者が決める", HUMAN)],
        [("海外問い合わせ応答時間", "時間", "decrease", "24", "4")],
    ),
    (
        "広告レポートのコメント作成",
        "広告管理画面のデータから週次レポートのコメント案を作る。",
        "analytics",
        "internal",
        "internal",
        False,
        "closed_saas",
        (100, 4000, 1000),
        S.IN_PRODUCTION,
        5,
        "requester",
        [("数値の変化を要約する", AI), ("施策の判断は担当者が行う", HUMAN)],
        [("レポート作成時間", "時間/週", "decrease", "6", "2")],
    ),
    (
        "取締役会資料の初稿",
        "月次実績から取締役会向け資料の初稿を作る。",
        "analytics",
        "internal",
        "confidential",
        False,
        "closed_api",
        (20, 8000, 3000),
        S.REJECTED,
        2,
        "requester",
        [("実績データから初稿を作る", AI), ("経営企画が内容を確定する", HUMAN)],
        [("資料作成時間", "時間/月", "decrease", "20", "10")],
    ),
    (
        "自社指標に合わせた分析コメント",
        "社内データ基盤の独自指標を理解するモデルで分析コメントを作る。",
        "analytics",
        "internal",
        "restricted",
        True,
        "open_self_hosted",
        (500, 5000, 1200),
        S.IN_REVIEW,
        2,
        "requester",
        [("独自指標の変動要因を説明する", AI), ("分析結果の解釈を担当者が決める", HUMAN)],
        [("分析依頼の処理件数", "件/月", "increase", "30", "60")],
    ),
    (
        "コンバージョン変動の要因調査",
        "「なぜCVが増えたか」をBIツールのAI要約で素早く把握する。",
        "analytics",
        "internal",
        "internal",
        False,
        "closed_saas",
        (300, 3000, 800),
        S.SUBMITTED,
        1,
        "requester",
        [("変動要因の候補を挙げる", AI), ("打ち手を決める", HUMAN)],
        [("要因特定までの時間", "時間", "decrease", "8", "2")],
    ),
    (
        "競合分析レポート",
        "公開情報から競合の動向を整理したレポートを作る。",
        "analytics",
        "internal",
        "public",
        False,
        "closed_api",
        (60, 10000, 3000),
        S.PILOTING,
        3,
        "requester",
        [("公開情報を整理する", AI), ("示唆をまとめ戦略を決める", HUMAN)],
        [("レポート作成時間", "時間/本", "decrease", "16", "6")],
    ),
    (
        "社内FAQ検索",
        "社内規程と手順書を検索して回答するナレッジ検索。",
        "other",
        "internal",
        "confidential",
        False,
        "open_self_hosted",
        (12000, 2000, 500),
        S.PILOTING,
        4,
        "sales",
        [("関連規程を探して回答する", AI), ("規程の解釈は管理部門が判断する", HUMAN)],
        [("問い合わせ件数（管理部門）", "件/月", "decrease", "400", "250")],
    ),
    (
        "議事録の自動作成",
        "会議の文字起こしから議事録と宿題事項をまとめる。",
        "other",
        "internal",
        "confidential",
        True,
        "closed_saas",
        (2000, 6000, 1000),
        S.RETIRED,
        5,
        "sales",
        [("議事録を作る", AI), ("決定事項を参加者が確認する", HUMAN)],
        [("議事録作成時間", "分/回", "decrease", "45", "10")],
    ),
    (
        "商品説明文の一括作成",
        "ECサイトの商品説明文を仕様データから一括で作る。",
        "content_seo",
        "customer_facing",
        "internal",
        False,
        "closed_api",
        (10000, 500, 600),
        S.DRAFT,
        1,
        "requester",
        [("仕様から説明文を作る", AI), ("表記と誇大表現を担当者が確認する", HUMAN)],
        [("説明文作成数", "件/月", "increase", "200", "1000")],
    ),
    (
        "アンケート自由記述の分類",
        "顧客アンケートの自由記述を分類し傾向をまとめる。",
        "analytics",
        "internal",
        "confidential",
        True,
        "hybrid",
        (1000, 1500, 300),
        S.DRAFT,
        1,
        "sales",
        [("自由記述を分類する", AI)],
        [],
    ),
]


class Command(BaseCommand):
    help = "Create demo departments, users (one per role) and Japanese use cases. Safe to run again."

    @transaction.atomic
    def handle(self, *args, **options):
        departments = {
            code: Department.objects.get_or_create(code=code, defaults={"name": name, "name_en": name_en})[0]
            for code, name, name_en in DEPARTMENTS
        }
        users = {}
        User = get_user_model()
        for username, password, role, department, family, given, language in USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "department": departments[department],
                    "last_name": family,
                    "first_name": given,
                    "email": f"{username}@example.com",
                    "language": language,
                    "is_staff": role == Role.GOVERNANCE_ADMIN,
                },
            )
            if created:
                user.set_password(password)
                user.save()
            user.groups.add(
                Group.objects.get(name=role), *Group.objects.filter(name__in=REVIEW_GROUPS.get(username, []))
            )
            users[username] = user
        vendors = seed_vendors(users["reviewer"])
        created = [self._use_case(row, users) for row in USE_CASES]
        created_count = sum(1 for use_case in created if use_case is not None)
        self._timeline(created, users)
        self._review_dates()
        self._roadmap_history()
        seed_education(users)
        refresh_cost_estimates()  # the imported history bypassed the services that keep them
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {len(users)} users, {created_count} new use cases, {len(vendors)} vendors."
            )
        )

    def _use_case(self, row, users):
        (
            title,
            summary,
            category,
            audience,
            classification,
            personal,
            style,
            volume,
            status,
            step,
            owner,
            tasks,
            kpis,
        ) = row
        if UseCase.objects.filter(title=title).exists():
            return None
        user = users[owner]
        requests, tokens_in, tokens_out = volume
        customers_see = audience == "customer_facing"
        models = [
            {"ai_model": model, "deployment": deployment}
            for name, deployment in MODELS.get(title, [])
            for model in AIModel.objects.filter(name=name)[:1]
        ]
        use_case = services.create_draft(
            user,
            {
                "title": title,
                "summary": summary,
                "category": category,
                "audience": audience,
                "data_classification": classification,
                "involves_personal_data": personal,
                "intended_style": style,
                "monthly_requests": requests,
                "avg_input_tokens": tokens_in,
                "avg_output_tokens": tokens_out,
                "customers_see_output": customers_see,
                "human_checks_output": customers_see and title not in UNCHECKED_OUTPUT,
                "uses_internal_knowledge": category == "content_seo" and classification == "confidential",
                "tuned_on_own_data": style == "open_self_hosted",
                "fast_start": style == "closed_saas",
            },
            models=models,
            tasks=[{"description": text, "performer": performer} for text, performer in tasks],
            kpis=[
                {"name": name, "unit": unit, "direction": direction, "baseline": baseline, "target": target}
                for name, unit, direction, baseline, target in kpis
            ],
        )
        if style in OTHER_MONTHLY_COST:
            UseCase.objects.filter(pk=use_case.pk).update(other_monthly_cost=OTHER_MONTHLY_COST[style])
        if status == S.DRAFT:
            return use_case
        if status == S.WITHDRAWN:
            services.withdraw(use_case, user, comment="別の施策に統合したため")
            return use_case
        use_case = services.submit(use_case, user)
        if status in (S.IN_REVIEW, S.CHANGES_REQUESTED) and self._decide_first_stage(use_case, status, users):
            return use_case
        if status != S.SUBMITTED:
            ApprovalStage.objects.filter(use_case=use_case, status=StageStatus.PENDING).update(
                status=StageStatus.CANCELLED
            )
            # Later lifecycle states belong to the governance workflow; the demo
            # imports them as history, and says so in the audit trail.
            UseCase.objects.filter(pk=use_case.pk).update(status=status, roadmap_step=step, updated_at=timezone.now())
            record_event(
                use_case,
                AuditAction.IMPORT,
                users["admin"],
                from_state=S.SUBMITTED,
                to_state=status,
                comment="デモデータとして取り込み / imported as demo data",
            )
        return use_case

    @staticmethod
    def _timeline(created, users):
        """Date the history of the use cases created now: registered over the past year, submitted
        two days later, decided 6 to 22 days after that, then pilot, PoC, go-live and retirement in
        order, so every figure reads as a real history (no decision before its submission, a trend
        over many months). Each decision date passes the governance services' own check."""
        now, days = timezone.now(), datetime.timedelta
        for index, use_case in enumerate(created):
            if use_case is None:
                continue
            use_case.refresh_from_db()
            age = 330 - 13 * index
            if use_case.status in (S.IN_PRODUCTION, S.RETIRED):
                age = max(age, 200)
            elif use_case.status in LIVE_STATES and use_case.roadmap_step >= 3:
                age = max(age, 130)
            created_at = now - days(days=age, hours=index)
            dates = {"created_at": created_at}
            if use_case.submitted_at is not None:
                dates["submitted_at"] = created_at + days(days=2)
            decided = dates.get("submitted_at", created_at) + days(days=6 + (index * 5) % 17, hours=3)
            use_case.submitted_at = dates.get("submitted_at")
            if use_case.status in (*LIVE_STATES, S.RETIRED):
                governance.check_decision_date(use_case, decided)
                dates.update(approved_at=decided, step_entered_at=decided)
            if use_case.status == S.REJECTED:
                governance.check_decision_date(use_case, decided)
                stage = ApprovalStage.objects.filter(use_case=use_case).order_by("pk").first()
                if stage is not None:
                    ApprovalStage.objects.filter(pk=stage.pk).update(
                        status=StageStatus.REJECTED,
                        decision="reject",
                        decided_by=users["reviewer"],
                        decided_at=decided,
                        comment="機密データを外部APIに送る構成のため",
                        started_at=dates["submitted_at"],
                    )
            UseCase.objects.filter(pk=use_case.pk).update(**dates)

    @staticmethod
    def _roadmap_history():
        """The journey of imported live use cases past step 2, dated after their approval: pilot
        on closed AI, a PoC on the open model (or skipped with a reason), hybrid roles, go-live,
        KPI actuals and monthly benefits, so the roadmap, cost and ROI pages show figures.
        Imported as history, like the states; each step follows the one before it."""
        now, today = timezone.now(), timezone.localdate()
        days = datetime.timedelta
        fallback_closed = AIModel.objects.filter(name="Claude 3").first()  # approved, from an approved vendor
        imported = UseCase.objects.filter(
            status__in=[*LIVE_STATES, S.RETIRED], trials__isnull=True, approved_at__isnull=False
        ).prefetch_related("model_choices__ai_model__publisher", "kpis")
        for use_case in imported:
            approved = use_case.approved_at
            step_entered, went_live, retired = approved, None, None
            if use_case.roadmap_step >= 3:
                pilot_start = timezone.localtime(approved).date() + days(7)
                pilot_end = pilot_start + days(30)
                step_entered = approved + days(7)
                choices = list(use_case.model_choices.all())
                closed = next(
                    (
                        c.ai_model
                        for c in choices
                        if c.deployment in ("closed_api", "closed_saas")
                        and c.ai_model.openness == "closed_api"
                        and c.ai_model.status == "approved"
                        and c.ai_model.publisher.status in ("approved", "approved_with_conditions")
                    ),
                    None,
                )
                open_model = next((c.ai_model for c in choices if c.ai_model.openness == "open_weights"), None)
                pilot_model = closed or fallback_closed
                at_pilot = use_case.roadmap_step == 3
                if pilot_model is not None:
                    Trial.objects.create(
                        use_case=use_case,
                        kind=TrialKind.CLOSED_PILOT,
                        ai_model=pilot_model,
                        scope="1チーム・1か月で試行",
                        starts_on=pilot_start,
                        planned_end_on=max(pilot_end, today) if at_pilot else pilot_end,
                        ended_on=None if at_pilot else pilot_end,
                        results="" if at_pilot else "担当者の作業時間が約3割減。出力の最終確認は引き続き人が行う。",
                        updated_by=use_case.owner,
                    )
                reached = use_case.status == S.IN_PRODUCTION  # live ones have reached their targets
                for kpi in use_case.kpis.all():
                    if kpi.baseline is not None and kpi.target is not None:
                        point, shares = pilot_start, ("0.4", "0.8", "1" if reached else "0.9")
                        for share in shares:
                            if point > today:
                                break
                            value = kpi.baseline + (kpi.target - kpi.baseline) * Decimal(share)
                            KpiMeasurement.objects.get_or_create(kpi=kpi, measured_on=point, defaults={"value": value})
                            point += days(30)
                after_pilot = pilot_end + days(5)
                if use_case.roadmap_step >= 4 and open_model is not None:
                    Trial.objects.create(
                        use_case=use_case,
                        kind=TrialKind.OPEN_POC,
                        ai_model=open_model,
                        scope="自社データでの回答品質を限定範囲で検証",
                        starts_on=after_pilot,
                        planned_end_on=after_pilot + days(30),
                        results="社内用語の正答率がクローズドAIより高い。運用体制の整備が必要。",
                        comparison="品質は同等以上、月額費用は量が増えるほど有利。",
                        updated_by=use_case.owner,
                    )
                    step_entered = approved + days(42)
                    after_pilot += days(35)
                elif use_case.roadmap_step >= 5:
                    UseCase.objects.filter(pk=use_case.pk).update(
                        poc_skipped_reason="カスタマイズの効果が小さく、クローズドAIで十分なため"
                    )
                if use_case.roadmap_step >= 5:
                    step_entered = approved + (after_pilot - pilot_start) + days(7)
                    for choice in choices:
                        is_open = choice.deployment in ("open_cloud", "open_self_hosted")
                        UseCaseModel.objects.filter(pk=choice.pk).update(
                            role=ModelRole.CORE if is_open else ModelRole.OPERATIONS,
                            role_rationale="差別化の中核は自社データで"
                            if is_open
                            else "日常業務は素早く安定したクローズドAIで",
                        )
                    if use_case.status in (S.IN_PRODUCTION, S.RETIRED):
                        went_live = step_entered + days(10)
                    if use_case.status == S.RETIRED:
                        retired = went_live + days(40)
            UseCase.objects.filter(pk=use_case.pk).update(
                step_entered_at=min(step_entered, now),
                went_live_at=went_live,
                retired_at=retired,
            )
            if went_live is not None and use_case.status == S.IN_PRODUCTION:
                # A benefit for every complete month since the month after going live.
                month = (timezone.localtime(went_live).date().replace(day=1) + days(32)).replace(day=1)
                while month < today.replace(day=1):
                    BenefitRecord.objects.get_or_create(
                        use_case=use_case,
                        month=month,
                        defaults={
                            "hours_saved": 40 + 5 * (month.month % 3),
                            "cost_saved": 50_000,
                            "revenue_gained": 0,
                            "recorded_by": use_case.owner,
                        },
                    )
                    month = (month + days(32)).replace(day=1)

    @staticmethod
    def _review_dates():
        """Give imported live use cases review dates around today, and let one stage run
        late, so that the reminders have something to chase as soon as the worker starts."""
        today = timezone.localdate()
        offsets = [5, -20, 25, 1, 90, 200]
        live = UseCase.objects.filter(status__in=LIVE_STATES, next_review_on__isnull=True).order_by("pk")
        for use_case, offset in zip(live, offsets, strict=False):
            UseCase.objects.filter(pk=use_case.pk).update(next_review_on=today + datetime.timedelta(days=offset))
        late = ApprovalStage.objects.active().filter(use_case__status=S.IN_REVIEW).order_by("pk").first()
        if late is not None and late.due_on and late.due_on >= today:
            ApprovalStage.objects.filter(pk=late.pk).update(due_on=today - datetime.timedelta(days=4))

    @staticmethod
    def _decide_first_stage(use_case, status, users):
        """Reach "in review" or "changes requested" through the real workflow when the rules allow."""
        stage = governance.active_stage(use_case)
        if stage is None:
            return False
        try:
            if status == S.CHANGES_REQUESTED:
                governance.decide_stage(
                    stage, users["reviewer"], "request_changes", comment="個人情報の扱いを追記してください。"
                )
            else:
                governance.decide_stage(stage, users["reviewer"], "approve")
        except (governance.BlockingFindings, PermissionDenied, ValidationError):
            return False
        use_case.refresh_from_db()
        return use_case.status == status
