"""The adoption figures as hand-written SQL, one statement per endpoint, and the checks that
each statement's figures equal the endpoint's."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

# --- Raw SQL: the same aggregates, one statement per endpoint -----------------------------------

SUMMARY_COLUMNS = ("status", "roadmap_step", "category", "department_id", "style", "tier")
SUMMARY_SQL = """
WITH g AS (
    SELECT GROUPING(u.status, u.roadmap_step, u.category, u.department_id, s.style, s.tier) AS grp,
           u.status, u.roadmap_step, u.category, u.department_id, s.style, s.tier,
           -- A roadmap step counts the use cases in progress only (not rejected, withdrawn, retired).
           CASE WHEN GROUPING(u.roadmap_step) = 0 THEN count(*) FILTER (WHERE u.status = ANY(%(in_progress)s))
                ELSE count(*) END AS n
    FROM usecases_usecase u
    CROSS JOIN LATERAL (
        SELECT CASE u.intended_style WHEN 'closed_saas' THEN 'closed' WHEN 'closed_api' THEN 'closed'
                    WHEN 'open_cloud' THEN 'open' WHEN 'open_self_hosted' THEN 'open'
                    WHEN 'hybrid' THEN 'hybrid' ELSE '' END AS style,
               COALESCE(NULLIF(u.risk_tier_override, ''), u.risk_tier) AS tier
    ) s
    GROUP BY GROUPING SETS ((u.status), (u.roadmap_step), (u.category), (u.department_id), (s.style), (s.tier))
)
SELECT g.grp, g.status, g.roadmap_step, g.category, g.department_id, g.style, g.tier, d.name, g.n
FROM g LEFT JOIN portal_department d ON d.id = g.department_id
"""

APPROVALS_SQL = """
WITH active AS (
    SELECT s.group_id, s.started_at, s.due_on
    FROM governance_approvalstage s JOIN usecases_usecase u ON u.id = s.use_case_id
    WHERE s.status = 'pending' AND s.started_at IS NOT NULL
), ageing AS (
    SELECT CASE WHEN started_at >= %(now)s - interval '7 days' THEN '0-7'
                WHEN started_at >= %(now)s - interval '14 days' THEN '8-14'
                WHEN started_at >= %(now)s - interval '30 days' THEN '15-30'
                ELSE '31+' END AS bucket, count(*) AS n
    FROM active GROUP BY 1
), by_group AS (
    SELECT g.name, count(*) AS pending, count(*) FILTER (WHERE a.due_on < %(today)s) AS overdue
    FROM active a JOIN auth_group g ON g.id = a.group_id GROUP BY g.name
), rejected AS (
    SELECT DISTINCT ON (use_case_id) use_case_id, decided_at
    FROM governance_approvalstage WHERE decision = 'reject'
    ORDER BY use_case_id, position, created_at, id
), decided AS (
    SELECT COALESCE(u.approved_at, r.decided_at) - u.submitted_at AS duration
    FROM usecases_usecase u LEFT JOIN rejected r ON r.use_case_id = u.id
    WHERE u.status = ANY(%(decided)s) AND u.submitted_at IS NOT NULL
      AND COALESCE(u.approved_at, r.decided_at) IS NOT NULL
)
SELECT (SELECT json_object_agg(bucket, n) FROM ageing),
       (SELECT json_agg(json_build_array(name, pending, overdue) ORDER BY name) FROM by_group),
       (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY duration) FROM decided)
"""

VENDORS_SQL = """
SELECT GROUPING(v.status, v.level) AS grp, v.status, v.level, count(*) AS n,
       count(*) FILTER (WHERE v.approved AND v.next_reassessment_on < %(today)s) AS overdue,
       count(*) FILTER (WHERE v.approved AND v.next_reassessment_on BETWEEN %(today)s AND %(in30)s) AS within_30,
       count(*) FILTER (WHERE v.approved AND v.next_reassessment_on BETWEEN %(today)s AND %(in60)s) AS within_60,
       count(*) FILTER (WHERE v.approved AND v.next_reassessment_on BETWEEN %(today)s AND %(in90)s) AS within_90
FROM (
    SELECT status, status = ANY(%(approved)s) AS approved, next_reassessment_on,
           CASE WHEN status = ANY(%(approved)s) THEN approved_level END AS level
    FROM vendors_vendor
) v
GROUP BY GROUPING SETS ((v.status), (v.level), ())
"""

COST_VALUE_SQL = """
WITH settings AS (
    SELECT currency, hourly_rate FROM usecases_costsettings WHERE id = 1
), live AS (
    SELECT id, department_id, hourly_rate, cost_estimated_at, COALESCE(approved_at, created_at) AS live_at,
           COALESCE(estimated_closed_cost, 0) AS closed, COALESCE(estimated_self_hosted_cost, 0) AS self_hosted,
           COALESCE(other_monthly_cost, 0) AS other
    FROM usecases_usecase WHERE status = ANY(%(live)s)
), first_benefit AS (
    SELECT use_case_id, min(month) AS month FROM usecases_benefitrecord
    WHERE month BETWEEN %(period_first)s AND %(period_last)s GROUP BY use_case_id
), running AS (
    -- The months of the ROI period a use case ran: from its (local) month of approval, or of its
    -- first benefit in the period if earlier, to the period's last month.
    SELECT l.*, GREATEST(LEAST(
               date_trunc('month', l.live_at AT TIME ZONE %(tz)s)::date, f.month), %(period_first)s::date) AS since
    FROM live l LEFT JOIN first_benefit f ON f.use_case_id = l.id
), costs AS (
    SELECT r.department_id, sum(r.closed) AS closed, sum(r.self_hosted) AS self_hosted, sum(r.other) AS other,
           sum((r.closed + r.self_hosted + r.other) * CASE WHEN r.since > %(period_last)s THEN 0 ELSE
               (extract(year FROM %(period_last)s::date) - extract(year FROM r.since)) * 12
               + extract(month FROM %(period_last)s::date) - extract(month FROM r.since) + 1 END) AS cost_over_months,
           count(*) AS use_cases, count(*) FILTER (WHERE r.cost_estimated_at IS NULL) AS not_estimated
    FROM running r GROUP BY r.department_id
), benefits AS (
    SELECT l.department_id,
           sum(b.hours_saved * COALESCE(l.hourly_rate, s.hourly_rate) + b.cost_saved + b.revenue_gained) AS total
    FROM usecases_benefitrecord b JOIN live l ON l.id = b.use_case_id CROSS JOIN settings s
    WHERE b.month BETWEEN %(period_first)s AND %(period_last)s
    GROUP BY l.department_id
), latest AS (
    SELECT DISTINCT ON (kpi_id) kpi_id, value FROM usecases_kpimeasurement ORDER BY kpi_id, measured_on DESC, id DESC
), kpis AS (
    SELECT count(*) AS measured,
           count(*) FILTER (WHERE (k.direction = 'increase' AND lt.value >= k.target)
                               OR (k.direction = 'decrease' AND lt.value <= k.target)) AS attained
    FROM usecases_kpi k JOIN live l ON l.id = k.use_case_id JOIN latest lt ON lt.kpi_id = k.id
    WHERE k.target IS NOT NULL
)
SELECT c.department_id, d.name, c.use_cases, c.not_estimated, c.closed, c.self_hosted, c.other,
       c.cost_over_months, COALESCE(b.total, 0), k.measured, k.attained, s.currency
FROM costs c JOIN portal_department d ON d.id = c.department_id
LEFT JOIN benefits b ON b.department_id = c.department_id CROSS JOIN kpis k CROSS JOIN settings s
ORDER BY d.name
"""

EDUCATION_SQL = """
WITH items AS (
    SELECT 'policy' AS kind, v.id AS item_id, d.id AS owner_id, d.all_staff
    FROM governance_policyversion v JOIN governance_policydocument d ON d.id = v.document_id
    WHERE v.status = 'published' AND d.is_active AND d.requires_acknowledgement
    UNION ALL
    SELECT 'course', c.id, c.id, c.all_staff FROM governance_trainingcourse c WHERE c.is_active
), audience AS (
    SELECT i.kind, i.item_id, u.id AS user_id, u.department_id
    FROM items i JOIN portal_user u ON u.is_active AND (
        i.all_staff
        OR (i.kind = 'policy' AND (
            u.department_id IN (SELECT x.department_id FROM governance_policydocument_departments x
                                WHERE x.policydocument_id = i.owner_id)
            OR EXISTS (SELECT 1 FROM portal_user_groups ug JOIN governance_policydocument_roles r
                       ON r.group_id = ug.group_id WHERE ug.user_id = u.id AND r.policydocument_id = i.owner_id)))
        OR (i.kind = 'course' AND (
            u.department_id IN (SELECT x.department_id FROM governance_trainingcourse_departments x
                                WHERE x.trainingcourse_id = i.owner_id)
            OR EXISTS (SELECT 1 FROM portal_user_groups ug JOIN governance_trainingcourse_roles r
                       ON r.group_id = ug.group_id WHERE ug.user_id = u.id AND r.trainingcourse_id = i.owner_id))))
)
SELECT a.kind, a.item_id, a.department_id, d.name, count(*) AS total,
       count(*) FILTER (WHERE CASE WHEN a.kind = 'policy'
           THEN EXISTS (SELECT 1 FROM governance_policyacknowledgement k
                        WHERE k.version_id = a.item_id AND k.user_id = a.user_id)
           ELSE EXISTS (SELECT 1 FROM governance_trainingcompletion t
                        WHERE t.course_id = a.item_id AND t.user_id = a.user_id AND t.completed_on <= %(today)s
                          AND (t.expires_on IS NULL OR t.expires_on >= %(today)s)) END) AS done
FROM audience a LEFT JOIN portal_department d ON d.id = a.department_id
GROUP BY a.kind, a.item_id, a.department_id, d.name
"""

TREND_SQL = """
SELECT date_trunc('month', e.at AT TIME ZONE %(tz)s) AS month, e.kind, count(*)
FROM usecases_usecase u
CROSS JOIN LATERAL (VALUES ('created', u.created_at), ('approved', u.approved_at),
                           ('in_production', u.went_live_at), ('retired', u.retired_at)) AS e(kind, at)
WHERE e.at IS NOT NULL
GROUP BY 1, 2
"""


def sql_params():
    from django.conf import settings
    from django.utils import timezone

    from usecases.choices import LIVE_STATES, UseCaseStatus
    from usecases.returns import roi_period
    from usecases.roadmap import IN_PROGRESS_STATES
    from vendors.choices import APPROVED_VENDOR_STATES

    today = timezone.localdate()
    period = roi_period()
    return {
        "period_first": period.first,
        "period_last": period.last,
        "in_progress": sorted(str(state) for state in IN_PROGRESS_STATES),
        "now": timezone.now(),
        "today": today,
        "in30": today + datetime.timedelta(days=30),
        "in60": today + datetime.timedelta(days=60),
        "in90": today + datetime.timedelta(days=90),
        "tz": settings.TIME_ZONE,
        "live": sorted(str(state) for state in LIVE_STATES),
        "decided": sorted(str(state) for state in {*LIVE_STATES, UseCaseStatus.RETIRED, UseCaseStatus.REJECTED}),
        "approved": sorted(str(state) for state in APPROVED_VENDOR_STATES),
    }


# --- Checks: the raw statement's figures equal the endpoint's -------------------------------------


def nonzero(items, key="key"):
    return {item[key]: item["count"] for item in items if item["count"]}


def check_summary(api, rows):
    raw = {column: {} for column in SUMMARY_COLUMNS}
    for grp, *values, _name, n in rows:
        index = next(i for i in range(6) if not grp & (1 << (5 - i)))  # the grouped column's bit is 0
        value = values[index]
        if n:  # a step whose use cases are all closed counts 0, as the API leaves out
            raw[SUMMARY_COLUMNS[index]][str(value) if value is not None else ""] = n
    problems = []
    for column, field in zip(
        SUMMARY_COLUMNS,
        ("by_status", "by_roadmap_step", "by_category", "by_department", "by_style", "by_risk_tier"),
        strict=True,
    ):
        if nonzero(api[field]) != raw[column]:
            problems.append(f"{field}: api {nonzero(api[field])} != raw {raw[column]}")
    if api["total"] != sum(raw["status"].values()):
        problems.append(f"total: {api['total']} != {sum(raw['status'].values())}")
    return problems


def check_approvals(api, rows):
    ageing, groups, median = rows[0]
    problems = []
    if nonzero(api["ageing"], "bucket") != {k: v for k, v in (ageing or {}).items() if v}:
        problems.append(f"ageing: {api['ageing']} != {ageing}")
    raw_groups = [[name, pending, overdue] for name, pending, overdue in (groups or [])]
    api_groups = [[row["group"], row["pending"], row["overdue"]] for row in api["by_group"]]
    if api_groups != raw_groups:
        problems.append(f"by_group: {api_groups} != {raw_groups}")
    if api["pending"] != sum(row[1] for row in raw_groups) or api["overdue"] != sum(row[2] for row in raw_groups):
        problems.append("pending/overdue totals differ")
    raw_median = (
        None
        if median is None
        else Decimal(median.total_seconds() / 86400).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    )
    api_median = None if api["median_days_to_decision"] is None else Decimal(api["median_days_to_decision"])
    if api_median != raw_median:
        problems.append(f"median: {api_median} != {raw_median}")
    return problems


def check_vendors(api, rows):
    problems = []
    for grp, status, level, n, overdue, within_30, within_60, within_90 in rows:
        if grp == 1:  # by status
            if nonzero(api["by_status"]).get(status) != n:
                problems.append(f"status {status}: {nonzero(api['by_status']).get(status)} != {n}")
        elif grp == 2 and level is not None:
            if nonzero(api["by_approved_level"]).get(level) != n:
                problems.append(f"level {level}: {nonzero(api['by_approved_level']).get(level)} != {n}")
        elif grp == 3:
            raw = {
                "overdue": overdue,
                "within_30_days": within_30,
                "within_60_days": within_60,
                "within_90_days": within_90,
            }
            if api["reassessment_due"] != raw:
                problems.append(f"reassessment: {api['reassessment_due']} != {raw}")
    return problems


def check_cost_value(api, rows):
    cent = Decimal("0.01")
    problems = []
    api_rows = {row["department"]: row for row in api["by_department"]}
    if set(api_rows) != {row[0] for row in rows}:
        problems.append("departments differ")
    totals = dict.fromkeys(("closed", "self_hosted", "other", "cost_over_months", "benefit"), Decimal(0))
    for dept, _name, use_cases, not_estimated, closed, self_hosted, other, over_months, benefit, *_rest in rows:
        row = api_rows.get(dept, {})
        if (row.get("use_cases"), row.get("not_estimated")) != (use_cases, not_estimated):
            problems.append(f"department {dept}: counts differ")
        for key, value in zip(totals, (closed, self_hosted, other, over_months, benefit), strict=True):
            totals[key] += value
            if abs(Decimal(row.get(key, "0")) - value) > cent:
                problems.append(f"department {dept} {key}: {row.get(key)} != {value}")
    for key, value in totals.items():
        if abs(Decimal(api["total"][key]) - value) > cent * len(rows):
            problems.append(f"total {key}: {api['total'][key]} != {value}")
    measured, attained = (rows[0][9], rows[0][10]) if rows else (0, 0)
    if (api["kpis"]["measured"], api["kpis"]["attained"]) != (measured, attained):
        problems.append(f"kpis: {api['kpis']} != measured {measured}, attained {attained}")
    return problems


def check_education(api, rows):
    api_rows = sorted(
        (kind, row["department_id"], row["total"], row["done"])
        for kind, items in (("policy", api["policies"]), ("course", api["courses"]))
        for item in items
        for row in item["by_department"]
    )
    raw_rows = sorted((kind, dept, total, done) for kind, _item, dept, _name, total, done in rows)
    return [] if api_rows == raw_rows else [f"rates: {api_rows} != {raw_rows}"]


def check_trend(api, rows):
    raw = {}
    for month, kind, n in rows:
        raw.setdefault(month.date().isoformat(), dict.fromkeys(("created", "approved", "in_production", "retired"), 0))
        raw[month.date().isoformat()][kind] = n
    api_months = {row["month"]: {k: v for k, v in row.items() if k != "month"} for row in api}
    return [] if api_months == raw else ["monthly counts differ"]
