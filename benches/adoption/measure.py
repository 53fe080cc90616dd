"""Measuring the adoption endpoints, the inventory list and the CSV export: timings, query
counts and memory."""

import gc
import os
import time
import tracemalloc

from benches.adoption.raw_sql import (
    APPROVALS_SQL,
    COST_VALUE_SQL,
    EDUCATION_SQL,
    SUMMARY_SQL,
    TREND_SQL,
    VENDORS_SQL,
    check_approvals,
    check_cost_value,
    check_education,
    check_summary,
    check_trend,
    check_vendors,
    sql_params,
)
from benches.support import interpolated_percentile as percentile

# --- Measuring -----------------------------------------------------------------------------------


def timed(call, runs):
    """Milliseconds of each of ``runs`` calls."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def get(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.content[:500])
    return response


def count_queries(client, url):
    """(queries, ms in queries as Django measured them, the slowest query, the response, all queries)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = get(client, url)
    queries = captured.captured_queries
    slowest = max(queries, key=lambda query: float(query["time"]))
    return len(queries), sum(float(q["time"]) for q in queries) * 1000, slowest, response, queries


def explain(sql):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def run_raw(sql, params):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def measure_endpoints(args, client, executive):
    from dashboard import adoption
    from usecases.models import UseCase

    def visible():
        return UseCase.objects.visible_to(executive)

    endpoints = [
        ("summary", lambda: adoption.summary(visible()), SUMMARY_SQL, check_summary),
        ("approvals", lambda: adoption.approvals(visible()), APPROVALS_SQL, check_approvals),
        ("vendors", adoption.vendors, VENDORS_SQL, check_vendors),
        ("cost-value", lambda: adoption.cost_value(visible()), COST_VALUE_SQL, check_cost_value),
        ("education", adoption.education_figures, EDUCATION_SQL, check_education),
        ("trend", lambda: adoption.trend(visible()), TREND_SQL, check_trend),
    ]
    results = []
    for name, figures, sql, check in endpoints:
        url = f"/api/v1/adoption/{name}/"
        for _ in range(args.warmups):
            get(client, url)
        queries, in_queries, slowest, _response, captured = count_queries(client, url)
        api_times = timed(lambda url=url: get(client, url), args.requests)
        for _ in range(args.warmups):
            figures()
        orm_times = timed(figures, args.requests)
        params = sql_params()
        for _ in range(args.warmups):
            run_raw(sql, params)
        raw_times = timed(lambda sql=sql, params=params: run_raw(sql, params), args.requests)
        # The check: a fresh request and the raw statement at (nearly) the same "now", so no stage
        # crosses an ageing boundary between the two.
        check_params = sql_params()
        problems = check(get(client, url).json(), run_raw(sql, check_params))
        result = {
            "name": name,
            "url": url,
            "queries": queries,
            "in_queries": in_queries,
            "p50": percentile(api_times, 0.5),
            "p95": percentile(api_times, 0.95),
            "orm_p50": percentile(orm_times, 0.5),
            "raw_p50": percentile(raw_times, 0.5),
            "raw_p95": percentile(raw_times, 0.95),
            "slowest": slowest,
            "problems": problems,
        }
        result["ratio"] = result["p50"] / result["raw_p50"]
        results.append(result)
        print(
            f"  {name:<11} {queries:>3} queries, p50 {result['p50']:8.1f} ms, p95 {result['p95']:8.1f} ms, "
            f"dashboard.adoption alone p50 {result['orm_p50']:8.1f} ms, raw SQL p50 {result['raw_p50']:7.1f} ms, "
            f"x{result['ratio']:.1f}; raw SQL {'matches' if not problems else 'DIFFERS: ' + '; '.join(problems)}"
        )
        if args.show_queries:
            for query in captured:
                print(f"      {float(query['time']) * 1000:7.1f} ms  {query['sql'][:300]}")
        if args.explain:
            print(f"    slowest query ({float(slowest['time']) * 1000:.1f} ms): {slowest['sql']}")
            print("    " + explain(slowest["sql"]).replace("\n", "\n    "))
            print("    the raw statement:")
            print("    " + explain(cursor_sql(sql, params)).replace("\n", "\n    "))
    return results


def cursor_sql(sql, params):
    """``sql`` with ``params`` bound client-side, for EXPLAIN."""
    from django.db import connection

    with connection.cursor() as cursor:
        return cursor.mogrify(sql, params) if hasattr(cursor, "mogrify") else sql % params


def measure_list(args, client):
    url = "/api/v1/use-cases/?page_size=50"
    for _ in range(args.warmups):
        get(client, url)
    queries, in_queries, slowest, response, captured = count_queries(client, url)
    assert len(response.json()["results"]) == 50
    times = timed(lambda: get(client, url), args.requests)
    result = {
        "name": "use-cases list",
        "url": url,
        "queries": queries,
        "in_queries": in_queries,
        "p50": percentile(times, 0.5),
        "p95": percentile(times, 0.95),
        "slowest": slowest,
    }
    print(
        f"  use-cases list (page of 50): {queries} queries, p50 {result['p50']:.1f} ms, p95 {result['p95']:.1f} ms, "
        f"slowest query {float(slowest['time']) * 1000:.1f} ms"
    )
    if args.show_queries:
        for query in captured:
            print(f"      {float(query['time']) * 1000:7.1f} ms  {query['sql'][:300]}")
    if args.explain:
        print(f"    slowest query: {slowest['sql']}")
        print("    " + explain(slowest["sql"]).replace("\n", "\n    "))
    return result


def current_rss():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def consume_export(client, sample_every, on_sample):
    """Stream the whole export; ``on_sample(rows)`` every ``sample_every`` rows. Returns
    (seconds, seconds to the first row, rows, bytes, lines)."""
    started = time.perf_counter()
    response = client.get("/usecases/export.csv")
    assert response.status_code == 200 and response.streaming, response.status_code
    chunks = size = lines = 0
    first = None
    for chunk in response.streaming_content:
        chunks += 1
        size += len(chunk)
        lines += chunk.count(b"\n")
        if chunks == 3:
            first = time.perf_counter() - started
        if chunks % sample_every == 0:
            on_sample(chunks - 2)
    response.close()
    return time.perf_counter() - started, first, chunks - 2, size, lines - 1  # BOM and header are chunks 1-2


def measure_export(client, use_cases, trace):
    """Stream the export with the process RSS sampled every 1,000 rows; with ``trace``, once more
    under tracemalloc (slower) for the peak of Python allocations after a tenth of the rows and
    at the end."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    gc.collect()
    rss_start = current_rss()
    samples = []
    with CaptureQueriesContext(connection) as captured:
        seconds, first, rows, size, lines = consume_export(client, 1000, lambda rows: samples.append(current_rss()))
    result = {
        "seconds": seconds,
        "first_row": first,
        "rows": rows,
        "lines": lines,
        "bytes": size,
        "rss_start": rss_start,
        "rss_max": max(samples or [rss_start]),
        "rss_growth": max(samples or [rss_start]) - rss_start,
        "queries": len(captured.captured_queries),
        "peak_tenth": None,
        "peak_all": None,
    }
    print(
        f"  CSV export: {rows:,} rows ({lines:,} lines), {size / 1e6:.1f} MB in {seconds:.1f} s "
        f"({rows / seconds:,.0f} rows/s), first row after {first * 1000:.0f} ms, {result['queries']} queries; "
        f"RSS {rss_start / 1e6:.0f} MB at start, at most {result['rss_max'] / 1e6:.0f} MB while streaming "
        f"(+{result['rss_growth'] / 1e6:.1f} MB)"
    )
    if not trace:
        return result
    gc.collect()
    tenth = max(1, use_cases // 10)
    peaks = {}
    tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]

    def record(rows):
        if rows in (tenth, use_cases):
            peaks[rows] = tracemalloc.get_traced_memory()[1] - baseline

    traced_seconds, *_rest = consume_export(client, 1, record)
    tracemalloc.stop()
    result["peak_tenth"], result["peak_all"] = peaks.get(tenth), peaks.get(use_cases)
    print(
        f"  under tracemalloc: peak {result['peak_tenth'] / 1e6:.2f} MB after {tenth:,} rows, "
        f"{result['peak_all'] / 1e6:.2f} MB after {use_cases:,} (that pass: {traced_seconds:.1f} s)"
    )
    return result


DASHBOARD_TARGET_P95_MS = 1000.0


def _static_urls():
    """Pages name static files; with DEBUG off and no ``collectstatic`` run, the manifest storage
    cannot, so the plain storage names them for the measure (the same work: a URL per file)."""
    import contextlib

    from django.conf import settings
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.test import override_settings

    try:
        staticfiles_storage.url("portal/portal.css")
    except ValueError:
        plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
        return override_settings(STORAGES={**settings.STORAGES, "staticfiles": plain})
    return contextlib.nullcontext()


def measure_dashboard_page(args, client, endpoints=None):
    """The dashboard page (HTML, every figure at once) as the executive reads it: its queries
    against the sum of the adoption endpoints' (``endpoints``, the results of
    ``measure_endpoints``, when given), and ``--requests`` timed GETs after ``--warmups``.
    Target: p95 under 1 s, and no more queries than the endpoints together."""
    url = "/dashboard/"
    with _static_urls():
        for _ in range(args.warmups):
            get(client, url)
        queries, in_queries, slowest, response, captured = count_queries(client, url)
        times = timed(lambda: get(client, url), args.requests)
    endpoint_queries = sum(row["queries"] for row in endpoints) if endpoints else None
    result = {
        "name": "dashboard page",
        "url": url,
        "queries": queries,
        "in_queries": in_queries,
        "endpoint_queries": endpoint_queries,
        "bytes": len(response.content),
        "p50": percentile(times, 0.5),
        "p95": percentile(times, 0.95),
        "slowest": slowest,
    }
    result["p95_met"] = result["p95"] < DASHBOARD_TARGET_P95_MS
    result["queries_met"] = None if endpoint_queries is None else queries <= endpoint_queries
    against = "" if endpoint_queries is None else f" (the adoption endpoints together: {endpoint_queries})"
    print(
        f"  dashboard page: {queries} queries{against}, {in_queries:.0f} ms in queries, "
        f"p50 {result['p50']:.1f} ms, p95 {result['p95']:.1f} ms (target < {DASHBOARD_TARGET_P95_MS:.0f} ms: "
        f"{'met' if result['p95_met'] else 'not met'}), {result['bytes'] / 1e3:.0f} kB of HTML"
    )
    if getattr(args, "show_queries", False):
        for query in captured:
            print(f"      {float(query['time']) * 1000:7.1f} ms  {query['sql'][:300]}")
    return result
