"""Use cases, with their workflow tasks, KPIs and chosen models, one use case a row.

Layout (one sheet, the same for XLSX and CSV): the use case's own columns, then repeated groups
"Task 1" / "Task 1 performer" ... up to ``TASKS``, "KPI 1" / unit / direction / baseline / target
up to ``KPIS``, "Model 1" / deployment / share up to ``MODELS``. A group left empty is no row;
for an update, a kind of child whose columns are all empty in the row is left as it is.

"External id" (required) is the spreadsheet's own id of the use case: the first import records
it, and a later import with the same id updates that use case while it is a draft owned by the
importer, and skips it (with the reason) once submitted. A use case's reference (UC-2026-0001)
works as its external id too, so a template filled from the portal imports back unchanged.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from imports.cells import Column, normal
from imports.choices import ImportKind, RowOutcome
from imports.kinds.base import Kind, RowPlan, check_field, validation_messages, yes_no
from imports.models import ExternalKey
from portal.models import Department
from portal.services import field_changes
from usecases import batching as usecase_batching
from usecases import services as usecase_services
from usecases.choices import (
    DataClassification,
    DeploymentStyle,
    KpiDirection,
    TaskPerformer,
    UseCaseAudience,
    UseCaseCategory,
    UseCaseStatus,
    UseCaseStyle,
)
from usecases.models import Kpi, UseCase, UseCaseModel, UseCaseTask
from vendors.models import AIModel

TASKS, KPIS, MODELS = 8, 4, 3
CHUNK = 900  # ids per IN (...) lookup

BASE_COLUMNS = (
    Column("external_id", "External ID", "外部ID", required=True, max_length=100),
    Column("title", "Title", "タイトル", required=True, max_length=200),
    Column("summary", "Summary", "概要", max_length=5000),
    Column("department", "Department", "部署", kind="lookup"),
    Column("category", "Category", "カテゴリ", kind="choice", choices=UseCaseCategory),
    Column("audience", "Audience", "利用対象", kind="choice", choices=UseCaseAudience),
    Column(
        "data_classification",
        "Input data classification",
        "入力データの分類",
        kind="choice",
        choices=DataClassification,
    ),
    Column("involves_personal_data", "Involves personal data", "個人データを含む", kind="bool"),
    Column("intended_style", "Intended style", "想定スタイル", kind="choice", choices=UseCaseStyle),
    Column("monthly_requests", "Requests a month", "月間リクエスト数", kind="int"),
    Column("avg_input_tokens", "Average input tokens", "平均入力トークン数", kind="int"),
    Column("avg_output_tokens", "Average output tokens", "平均出力トークン数", kind="int"),
    Column("prohibited_practice", "Prohibited practice", "禁止行為に該当", kind="bool"),
    Column("decides_about_people", "Decides about people", "人に関する判断に関与", kind="bool"),
    Column("customers_see_output", "Customers see output", "顧客が出力を見る", kind="bool"),
    Column("human_checks_output", "A person checks output", "人が出力を確認", kind="bool"),
    Column("tuned_on_own_data", "Tuned on own data", "自社データでチューニング", kind="bool"),
    Column("uses_internal_knowledge", "Uses internal knowledge", "社内ナレッジを利用", kind="bool"),
    Column("fast_start", "Quick start matters most", "早期導入を重視", kind="bool"),
)
FIELD_KEYS = [column.key for column in BASE_COLUMNS if column.key != "external_id"]


def _task_columns(n):
    return (
        Column(f"task_{n}", f"Task {n}", f"タスク{n}", max_length=300),
        Column(f"task_{n}_performer", f"Task {n} performer", f"タスク{n}の担当", kind="choice", choices=TaskPerformer),
    )


def _kpi_columns(n):
    return (
        Column(f"kpi_{n}", f"KPI {n}", f"KPI{n}", max_length=200),
        Column(f"kpi_{n}_unit", f"KPI {n} unit", f"KPI{n}の単位", max_length=50),
        Column(f"kpi_{n}_direction", f"KPI {n} direction", f"KPI{n}の方向", kind="choice", choices=KpiDirection),
        Column(f"kpi_{n}_baseline", f"KPI {n} baseline", f"KPI{n}の基準値", kind="decimal"),
        Column(f"kpi_{n}_target", f"KPI {n} target", f"KPI{n}の目標値", kind="decimal"),
    )


def _model_columns(n):
    return (
        Column(f"model_{n}", f"Model {n}", f"モデル{n}", kind="lookup"),
        Column(
            f"model_{n}_deployment",
            f"Model {n} deployment",
            f"モデル{n}の展開方式",
            kind="choice",
            choices=DeploymentStyle,
        ),
        Column(f"model_{n}_share", f"Model {n} share (%)", f"モデル{n}のリクエスト比率(%)", kind="int"),
    )


def model_label(model):
    """How a model is named in the file: "publisher / name version"."""
    return f"{model.publisher.name} / {model}"


class Context:
    def __init__(self, user, labels):
        self.user = user
        self.labels = labels
        self.departments = {}
        for department in Department.objects.all():
            for name in (department.name, department.name_en, department.code):
                if name:
                    self.departments.setdefault(normal(name), department)
        self.models, ambiguous = {}, set()
        for model in AIModel.objects.select_related("publisher"):
            self.models[normal(model_label(model))] = model
            short = normal(str(model))
            if short in self.models and self.models[short] is not model:
                ambiguous.add(short)
            self.models.setdefault(short, model)
        for short in ambiguous:
            self.models[short] = None
        self.existing = {}
        self.seen = {}
        self.may_choose_department = user.has_perm("portal.change_department")


class UseCaseKind(Kind):
    key = ImportKind.USE_CASES
    file_name = "use-cases-import"
    key_column = "external_id"
    columns = (
        *BASE_COLUMNS,
        *(column for n in range(1, TASKS + 1) for column in _task_columns(n)),
        *(column for n in range(1, KPIS + 1) for column in _kpi_columns(n)),
        *(column for n in range(1, MODELS + 1) for column in _model_columns(n)),
    )

    def prepare(self, user, rows, labels):
        context = Context(user, labels)
        ids = sorted({texts.get("external_id", "").strip() for _number, texts in rows} - {""})
        found = {}
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            for external_id, object_id in ExternalKey.objects.filter(kind=self.key, external_id__in=chunk).values_list(
                "external_id", "object_id"
            ):
                found[external_id] = object_id
            for reference, pk in UseCase.objects.filter(reference__in=chunk).values_list("reference", "pk"):
                found.setdefault(reference, pk)
        pks = sorted(set(found.values()))
        use_cases = {}
        for start in range(0, len(pks), CHUNK):
            for use_case in UseCase.objects.filter(pk__in=pks[start : start + CHUNK]).prefetch_related(
                "tasks", "kpis", "model_choices"
            ):
                use_cases[use_case.pk] = use_case
        context.existing = {external_id: use_cases.get(pk) for external_id, pk in found.items()}
        return context

    def plan(self, context, number, texts):
        plan = RowPlan(row=number, key=texts.get("external_id", "").strip()[:100])
        values = self.read_cells(plan, texts, context)
        external_id = values.get("external_id")
        if external_id:
            first = context.seen.setdefault(external_id, number)
            if first != number:
                plan.error(
                    "external_id",
                    _("The external id “%(id)s” is already used on row %(row)s.") % {"id": external_id, "row": first},
                )
        fields = {name: values[name] for name in FIELD_KEYS if name in values and name != "department"}
        for name, value in fields.items():
            check_field(plan, UseCase, name, name, value)
        department = self._department(plan, context, values.get("department", ""))
        if department is not None:
            fields["department"] = department
        tasks, kpis, models = self._tasks(plan, values), self._kpis(plan, values), self._models(plan, context, values)
        if models:
            try:
                usecase_services.check_models(models)
            except ValidationError as error:
                for _field, message in validation_messages(error):
                    plan.error("model_1", message)
        if plan.errors:
            return plan
        existing = context.existing.get(external_id)
        if existing is None:
            plan.outcome = RowOutcome.CREATE
            plan.action = (self._create, (external_id, fields, tasks, kpis, models))
            return plan
        return self._plan_update(plan, context, existing, fields, tasks, kpis, models)

    def _plan_update(self, plan, context, use_case, fields, tasks, kpis, models):
        if use_case.status != UseCaseStatus.DRAFT:
            plan.outcome = RowOutcome.SKIP
            plan.reason = _("%(reference)s is no longer a draft (%(status)s): an import does not change it.") % {
                "reference": use_case.reference,
                "status": use_case.get_status_display(),
            }
            return plan
        if not usecase_services.can_edit(use_case, context.user):
            plan.outcome = RowOutcome.SKIP
            plan.reason = _("%(reference)s belongs to someone else: only its owner can change it.") % {
                "reference": use_case.reference
            }
            return plan
        changes = field_changes(use_case, fields)
        old_tasks = list(use_case.tasks.all())
        old_kpis = list(use_case.kpis.all())
        old_models = list(use_case.model_choices.all())
        task_rows = _replace(old_tasks, tasks, ("description", "performer"))
        kpi_rows = _replace(old_kpis, kpis, ("name", "unit", "direction", "baseline", "target"))
        model_rows = _replace(old_models, models, ("ai_model_id", "deployment", "request_share"), by="ai_model_id")
        if not changes and task_rows is None and kpi_rows is None and model_rows is None:
            plan.outcome = RowOutcome.UNCHANGED
            plan.reason = _("%(reference)s already holds these values.") % {"reference": use_case.reference}
            return plan
        plan.outcome = RowOutcome.UPDATE
        plan.reason = use_case.reference
        changed_fields = {name: fields[name] for name in changes}
        plan.action = (self._update, (use_case, changed_fields, task_rows, kpi_rows, model_rows))
        return plan

    def _department(self, plan, context, text):
        user = context.user
        if not text:
            if user.department_id is None:
                plan.error("department", _("Your account belongs to no department: fill in the department."))
            return user.department
        department = context.departments.get(normal(text))
        if department is None or not department.is_active:
            plan.error("department", _("“%(text)s” is not an active department.") % {"text": text[:60]})
            return None
        if department.pk != user.department_id and not context.may_choose_department:
            plan.error(
                "department",
                _("You may import use cases of your own department only (%(department)s).")
                % {"department": user.department.localized_name if user.department else "-"},
            )
            return None
        return department

    def _tasks(self, plan, values):
        rows = []
        for n in range(1, TASKS + 1):
            description, performer = values.get(f"task_{n}", ""), values.get(f"task_{n}_performer", "")
            if not description and not performer:
                continue
            if not description or not performer:
                missing = f"task_{n}" if not description else f"task_{n}_performer"
                plan.error(missing, _("A task needs both its description and who does it."))
                continue
            check_field(plan, UseCaseTask, "description", f"task_{n}", description)
            rows.append({"description": description, "performer": performer})
        return rows

    def _kpis(self, plan, values):
        rows = []
        for n in range(1, KPIS + 1):
            row = {
                "name": values.get(f"kpi_{n}", ""),
                "unit": values.get(f"kpi_{n}_unit", ""),
                "direction": values.get(f"kpi_{n}_direction", ""),
                "baseline": values.get(f"kpi_{n}_baseline"),
                "target": values.get(f"kpi_{n}_target"),
            }
            if not any(value not in (None, "") for value in row.values()):
                continue
            if not row["name"]:
                plan.error(f"kpi_{n}", _("A KPI needs a name."))
                continue
            row["direction"] = row["direction"] or KpiDirection.INCREASE
            for name, suffix in (("name", ""), ("unit", "_unit"), ("baseline", "_baseline"), ("target", "_target")):
                check_field(plan, Kpi, name, f"kpi_{n}{suffix}", row[name])
            rows.append(row)
        return rows

    def _models(self, plan, context, values):
        rows = []
        for n in range(1, MODELS + 1):
            name, deployment = values.get(f"model_{n}", ""), values.get(f"model_{n}_deployment", "")
            share = values.get(f"model_{n}_share")
            if not name and not deployment and share is None:
                continue
            if not name or not deployment:
                plan.error(
                    f"model_{n}" if not name else f"model_{n}_deployment",
                    _("A model needs its name and how it is deployed."),
                )
                continue
            model = context.models.get(normal(name))
            if model is None:
                message = (
                    _("“%(text)s” names more than one model: write it as “publisher / model”.")
                    if normal(name) in context.models
                    else _("“%(text)s” is not an AI model of the registry (write “publisher / model version”).")
                )
                plan.error(f"model_{n}", message % {"text": name[:80]})
                continue
            check_field(plan, UseCaseModel, "request_share", f"model_{n}_share", share)
            rows.append({"ai_model": model, "deployment": deployment, "request_share": share})
        return rows

    def _create(self, user, external_id, fields, tasks, kpis, models):
        use_case = usecase_services.create_draft(user, fields, tasks=tasks, kpis=kpis, models=models)
        key = ExternalKey(kind=self.key, external_id=external_id, object_id=use_case.pk)
        work = usecase_batching.current()
        if work is not None:  # an import's batch: created with the others at its end
            work.add(key)
        else:
            key.save(force_insert=True)
        return use_case

    def _update(self, user, use_case, fields, tasks, kpis, models):
        return usecase_services.update_draft(
            use_case, user, fields, tasks, kpis, models, expected_version=use_case.version
        )

    # --- The template, filled with what the person may import again ------------------------------

    def template_rows(self, user):
        use_cases = (
            UseCase.objects.visible_to(user)
            .filter(owner=user, status=UseCaseStatus.DRAFT)
            .select_related("department")
            .prefetch_related("tasks", "kpis", "model_choices__ai_model__publisher")
            .order_by("pk")
        )
        keys = dict(ExternalKey.objects.filter(kind=self.key).values_list("object_id", "external_id"))
        labels = {}
        for use_case in use_cases.iterator(chunk_size=500):
            row = [keys.get(use_case.pk, use_case.reference)]
            for column in BASE_COLUMNS[1:]:
                value = getattr(use_case, column.key)
                row.append(_cell(column, value, labels))
            tasks = list(use_case.tasks.all())[:TASKS]
            for n in range(TASKS):
                task = tasks[n] if n < len(tasks) else None
                row += [task.description, _label(TaskPerformer, task.performer, labels)] if task else ["", ""]
            kpis = list(use_case.kpis.all())[:KPIS]
            for n in range(KPIS):
                kpi = kpis[n] if n < len(kpis) else None
                row += (
                    [kpi.name, kpi.unit, _label(KpiDirection, kpi.direction, labels), kpi.baseline, kpi.target]
                    if kpi
                    else ["", "", "", "", ""]
                )
            models = list(use_case.model_choices.all())[:MODELS]
            for n in range(MODELS):
                choice = models[n] if n < len(models) else None
                row += (
                    [
                        model_label(choice.ai_model),
                        _label(DeploymentStyle, choice.deployment, labels),
                        choice.request_share,
                    ]
                    if choice
                    else ["", "", ""]
                )
            yield [("" if value is None else value) for value in row]


def _label(choices, value, labels):
    if not value:
        return ""
    if choices not in labels:
        labels[choices] = {code: str(label) for code, label in choices.choices}
    return labels[choices].get(value, value)


def _cell(column, value, labels):
    if column.kind == "bool":
        return yes_no(value)
    if column.kind == "choice":
        return _label(column.choices, value, labels)
    if column.key == "department":
        return value.name if value is not None else ""
    return value


def _replace(old, new, names, by=None):
    """The rows for the service when ``new`` differs from ``old`` (None: unchanged). An update
    keeps the ids of rows it changes in place: by position, or by ``by`` (the model of a choice)."""
    if not new:
        return None  # no columns of this kind in the row: left as it is
    keyed = [{name.removesuffix("_id"): getattr(item, name) for name in names} for item in old]
    plain = [{name.removesuffix("_id"): _id(row.get(name.removesuffix("_id"))) for name in names} for row in new]
    if keyed == plain:
        return None
    if by is None:
        return [{**row, "id": old[index].pk if index < len(old) else None} for index, row in enumerate(new)]
    ids = {getattr(item, by): item.pk for item in old}
    return [{**row, "id": ids.get(row["ai_model"].pk)} for row in new]


def _id(value):
    return getattr(value, "pk", value)


KIND = UseCaseKind()
