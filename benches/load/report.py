"""The load run's figures (latencies per kind, from the clients and from gunicorn's access log) and
the check of the database against every write the clients saw acknowledged."""

import collections
import re
from pathlib import Path

from benches.load.seed import TITLE_PREFIX
from benches.support import nearest_rank_percentile as percentile

# --- Figures ---------------------------------------------------------------------------------------


def figures(samples, wall):
    """Per kind and overall: count, errors, p50/p95/p99/max ms, requests/s."""
    by_kind = collections.defaultdict(list)
    for kind, _started, seconds, _status, ok in samples:
        by_kind[kind].append((seconds * 1000, ok))
    rows = []
    for kind in sorted(by_kind):
        times = [ms for ms, _ok in by_kind[kind]]
        rows.append(_row(kind, times, sum(1 for _ms, ok in by_kind[kind] if not ok), wall))
    everything = [seconds * 1000 for _kind, _started, seconds, _status, _ok in samples]
    rows.append(_row("all", everything, sum(1 for sample in samples if not sample[4]), wall))
    return rows


def _row(kind, times, errors, wall):
    return {
        "kind": kind,
        "count": len(times),
        "errors": errors,
        "p50": percentile(times, 0.50),
        "p95": percentile(times, 0.95),
        "p99": percentile(times, 0.99),
        "max": max(times) if times else float("nan"),
        "per_second": len(times) / wall if wall else 0.0,
    }


SERVER_KINDS = [  # (method, path pattern, kind) to name the access log's lines like the clients do
    ("GET", r"/api/v1/use-cases/", "api list"),
    ("POST", r"/api/v1/use-cases/", "api create"),
    ("GET", r"/api/v1/use-cases/UC-[0-9-]+/", "api detail"),
    ("PATCH", r"/api/v1/use-cases/UC-[0-9-]+/", "api patch"),
    ("POST", r"/api/v1/use-cases/UC-[0-9-]+/submit/", "api submit/resubmit"),
    ("POST", r"/api/v1/use-cases/UC-[0-9-]+/measurements/", "api measurement"),
    ("GET", r"/api/v1/approval-stages/", "api stages mine"),
    ("POST", r"/api/v1/approval-stages/[0-9]+/decide/", "api decide"),
    ("GET", r"/api/v1/adoption/summary/", "adoption summary"),
    ("GET", r"/api/v1/adoption/trend/", "adoption trend"),
    ("GET", r"/dashboard/", "dashboard page"),
    ("GET", r"/usecases/", "inventory page"),
]


def server_times(access_log):
    """{kind: [ms in the gunicorn worker]} from the access log (logins and probes left out)."""
    times = collections.defaultdict(list)
    path = Path(access_log)
    if not path.exists():
        return times
    for line in path.read_text(errors="replace").splitlines():
        parts = line.split()
        if len(parts) != 4:
            continue
        method, url, _status, micros = parts
        kind = next((k for m, pattern, k in SERVER_KINDS if m == method and re.fullmatch(pattern, url)), None)
        if kind is not None:
            times[kind].append(int(micros) / 1000)
            times["all"].append(int(micros) / 1000)
    return times


def print_server_times(times):
    if not times:
        return
    print("\ntime inside the gunicorn workers (access log), apart from waiting for a free worker thread:\n")
    print("| request | count | p50 ms | p95 ms | p99 ms |\n|---|---:|---:|---:|---:|")
    for kind in sorted(times, key=lambda k: (k == "all", k)):
        values = times[kind]
        name = f"**{kind}**" if kind == "all" else kind
        print(
            f"| {name} | {len(values):,} | {percentile(values, 0.5):.0f} | {percentile(values, 0.95):.0f} | "
            f"{percentile(values, 0.99):.0f} |"
        )


def print_table(rows):
    print("| request | count | errors | p50 ms | p95 ms | p99 ms | max ms | req/s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        name = f"**{row['kind']}**" if row["kind"] == "all" else row["kind"]
        print(
            f"| {name} | {row['count']:,} | {row['errors']} | {row['p50']:.0f} | {row['p95']:.0f} | "
            f"{row['p99']:.0f} | {row['max']:.0f} | {row['per_second']:.1f} |"
        )


# --- Verification ---------------------------------------------------------------------------------

TRANSITION_ACTIONS = ("submit", "resubmit", "approve", "approve_stage", "request_changes", "reject", "withdraw")
COUNTED_ACTIONS = ("update", "submit", "resubmit", "record_measurement")


def verify(context, ledger):
    """Compare what the clients saw with the database. Returns (figures dict, [problems])."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connections
    from django.db.models import Count

    from governance.models import ApprovalStage
    from portal.models import AuditEvent, ReferenceSequence
    from usecases.models import Kpi, KpiMeasurement, UseCase, UseCaseModel, UseCaseTask

    connections.close_all()  # the server may have restarted since this process last asked
    problems = []
    prefix = f"{TITLE_PREFIX} {context['run']} "
    rows = {uc.title: uc for uc in UseCase.objects.filter(title__startswith=prefix)}
    acked_titles = {title for title, item in ledger.creates.items() if item["ok"]}
    failed_titles = {title for title, item in ledger.creates.items() if not item["ok"]}
    lost_creates = sorted(acked_titles - set(rows))
    phantom_creates = sorted(set(rows) - acked_titles - failed_titles)
    ambiguous_creates = sorted(set(rows) & failed_titles)  # failed for the client, yet committed
    for title in acked_titles & set(rows):
        if rows[title].reference != ledger.creates[title]["reference"]:
            problems.append(f"{title}: reference {rows[title].reference}, the client was told {ledger.creates[title]}")
    if lost_creates:
        problems.append(f"lost creates (acknowledged, not in the database): {lost_creates[:5]}")
    if phantom_creates:
        problems.append(f"use cases no client created: {phantom_creates[:5]}")
    if ambiguous_creates:
        problems.append(f"creates reported failed but committed: {ambiguous_creates[:5]}")

    ids = {uc.pk: uc for uc in rows.values()}
    content_type = ContentType.objects.get_for_model(UseCase)
    events = collections.defaultdict(collections.Counter)
    last_state = {}
    for object_id, action, to_state in (
        AuditEvent.objects.filter(content_type=content_type, object_id__in=[str(pk) for pk in ids])
        .order_by("pk")
        .values_list("object_id", "action", "to_state")
    ):
        events[int(object_id)][action] += 1
        if to_state:
            last_state[int(object_id)] = to_state
    children = {}
    for name, model in (("tasks", UseCaseTask), ("kpis", Kpi), ("models", UseCaseModel)):
        counts = model.objects.filter(use_case_id__in=ids).values("use_case_id").annotate(n=Count("id"))
        children[name] = dict(counts.values_list("use_case_id", "n"))
    stages = collections.defaultdict(list)
    for stage in ApprovalStage.objects.filter(use_case_id__in=ids):
        stages[stage.use_case_id].append(stage)

    lost_writes = phantom_writes = ambiguous_writes = 0
    acked_total = collections.Counter()
    for title, uc in rows.items():
        counted = events[uc.pk]
        expected_models = ledger.creates.get(title, {}).get("models", 0)
        whole = (
            counted["create"] == 1
            and children["tasks"].get(uc.pk, 0) == 2
            and children["kpis"].get(uc.pk, 0) == 1
            and children["models"].get(uc.pk, 0) == expected_models
        )
        if not whole:
            problems.append(
                f"{uc.reference} is not whole: create events {counted['create']}, tasks "
                f"{children['tasks'].get(uc.pk, 0)}, kpis {children['kpis'].get(uc.pk, 0)}, models "
                f"{children['models'].get(uc.pk, 0)} (expected {expected_models})"
            )
        transitions = sum(counted[action] for action in TRANSITION_ACTIONS)
        if uc.version != 1 + counted["update"] + transitions:
            problems.append(f"{uc.reference}: version {uc.version} but {counted['update']} edits, {transitions} moves")
        if counted["plan_stages"] != counted["submit"] + counted["resubmit"]:
            problems.append(f"{uc.reference}: {counted['plan_stages']} stage plans for {counted['submit']} submits")
        if last_state.get(uc.pk) != uc.status:
            problems.append(f"{uc.reference}: status {uc.status}, its audit trail ends at {last_state.get(uc.pk)}")
        if uc.status != "draft" and uc.submitted_at is None:
            problems.append(f"{uc.reference}: {uc.status} without a submission date")
        if uc.status in ("submitted", "in_review") and not any(s.status == "pending" for s in stages[uc.pk]):
            problems.append(f"{uc.reference}: in review with no pending stage")
        acked, failed = ledger.acked.get(uc.reference, {}), ledger.failed.get(uc.reference, {})
        for action in COUNTED_ACTIONS:
            db, ok, ko = counted[action], acked.get(action, 0), failed.get(action, 0)
            acked_total[action] += ok
            lost_writes += max(0, ok - db)
            phantom_writes += max(0, db - ok - ko)
            ambiguous_writes += min(ko, max(0, db - ok))
            if db < ok:
                problems.append(f"{uc.reference}: {ok} {action} acknowledged, {db} in the audit trail (lost)")
            elif db > ok + ko:
                problems.append(f"{uc.reference}: {db} {action} in the audit trail, only {ok} + {ko} sent")

    # Stage decisions.
    decided = {stage.pk: stage for stage in ApprovalStage.objects.filter(pk__in=list(ledger.decisions))}
    acked_decisions = 0
    for stage_id, (decision, username, ok) in ledger.decisions.items():
        stage = decided.get(stage_id)
        in_db = stage is not None and stage.decision == decision and stage.decided_by.username == username
        if ok:
            acked_decisions += 1
            if not in_db:
                lost_writes += 1
                problems.append(
                    f"stage {stage_id}: {decision} acknowledged, in the database {stage and stage.decision}"
                )
        elif in_db:
            ambiguous_writes += 1
            problems.append(f"stage {stage_id}: {decision} reported failed but committed")
    ambiguous_decisions = sum(
        1 for stage_id, (decision, _u, ok) in ledger.decisions.items()
        if not ok and stage_id in decided and decided[stage_id].decision == decision
    )  # fmt: skip
    load_reviewers = [p["username"] for p in context["people"] if p["role"] == "reviewer"]
    decided_in_db = ApprovalStage.objects.filter(decided_by__username__in=load_reviewers).count()
    if decided_in_db != acked_decisions + ambiguous_decisions:
        problems.append(f"{decided_in_db} stages decided by the run's reviewers, {acked_decisions} acknowledged")

    # KPI measurements.
    stored = set(KpiMeasurement.objects.filter(kpi__use_case_id__in=ids).values_list("kpi_id", "measured_on", "value"))
    stored_keys = {(kpi, day.isoformat()): value for kpi, day, value in stored}
    acked_measurements = 0
    for kpi, day, value, ok in ledger.measurements:
        if ok:
            acked_measurements += 1
            if stored_keys.get((kpi, day)) is None or f"{stored_keys[(kpi, day)]:.2f}" != value:
                problems.append(f"measurement of KPI {kpi} on {day} acknowledged, not stored")

    # Reference codes: the counter matches the rows, with no gap and no duplicate.
    year = context["year"]
    references = list(UseCase.objects.filter(reference__startswith=f"UC-{year}-").values_list("reference", flat=True))
    numbers = sorted(int(reference.rsplit("-", 1)[1]) for reference in references)
    counter = ReferenceSequence.objects.get(scope=f"UC-{year}").last_value
    if numbers != list(range(1, len(numbers) + 1)) or counter != len(numbers):
        problems.append(f"references: counter {counter}, {len(numbers)} rows, highest {numbers[-1] if numbers else 0}")

    summary = {
        "use_cases_created": len(acked_titles),
        "creates_failed": len(failed_titles),
        "rows": len(rows),
        "lost_creates": len(lost_creates),
        "phantom_creates": len(phantom_creates),
        "ambiguous_creates": len(ambiguous_creates),
        "edits": acked_total["update"],
        "submits": acked_total["submit"],
        "resubmits": acked_total["resubmit"],
        "measurements": acked_measurements,
        "decisions": acked_decisions,
        "lost_writes": lost_writes + len(lost_creates),
        "phantom_writes": phantom_writes + len(phantom_creates),
        "ambiguous_writes": ambiguous_writes + len(ambiguous_creates),
        "reference_counter": counter,
        "references": len(numbers),
    }
    return summary, problems


def print_verification(summary, problems):
    print(
        f"\nwrites acknowledged: {summary['use_cases_created']} creates, {summary['edits']} edits, "
        f"{summary['submits']} submits, {summary['resubmits']} resubmits, {summary['decisions']} stage decisions, "
        f"{summary['measurements']} KPI measurements"
    )
    print(
        f"in the database: {summary['rows']} use cases of the run; lost writes {summary['lost_writes']}, "
        f"writes no client saw succeed {summary['phantom_writes'] + summary['ambiguous_writes']} "
        f"(of which reported failed but committed {summary['ambiguous_writes']}); reference counter "
        f"{summary['reference_counter']} for {summary['references']} references"
    )
    if problems:
        print(f"\nverification found {len(problems)} problem(s):")
        for problem in problems[:40]:
            print(f"  - {problem}")
    else:
        print("verification: every acknowledged write is in the database once, every use case is whole")


def print_errors(recorder, limit=15):
    if not recorder.errors:
        return
    print(f"\nfirst errors ({len(recorder.errors)} recorded):")
    for kind, at, status, detail in recorder.errors[:limit]:
        print(f"  {at:7.2f} s  {kind:<18} {status}  {' '.join(detail.split())[:160]}")
