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

from dashboard.demo_data import (
    DEPARTMENTS,
    MODELS,
    OTHER_MONTHLY_COST,
    REVIEW_GROUPS,
    UNCHECKED_OUTPUT,
    USE_CASES,
    USERS,
    S,
)
from governance import services as governance
from governance.choices import StageStatus
from governance.education.demo import seed_education
from governance.models import ApprovalStage
from portal.choices import AuditAction
from portal.models import Department
from portal.roles import Role
from portal.services import record_event
from usecases import services
from usecases.choices import LIVE_STATES, ModelRole, TrialKind
from usecases.economics import refresh_cost_estimates
from usecases.models import BenefitRecord, KpiMeasurement, Trial, UseCase, UseCaseModel
from vendors.demo import seed_vendors
from vendors.models import AIModel


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
