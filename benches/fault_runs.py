"""Fault runs: PostgreSQL restarted under load, and Redis restarted with reminders queued.

    .venv/bin/python -m benches.fault_runs postgres [--users 20] [--duration 40] [--restart-at 12] [--down 5]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python -m benches.fault_runs redis [--reminders 300] [--in-flight 3000]
    DATABASE_URL=... .venv/bin/python -m benches.fault_runs all

Both work on PRIVATE service instances started and removed here, never on the machine's own
PostgreSQL or Redis (other people's tests use them).

``postgres``: a private PostgreSQL cluster (``initdb`` in a temporary folder, as the ``postgres``
user when run as root; port 5499 unless taken, then any free one) holds the database
``portal_faults_pg``, migrated and seeded like ``load_run.py``. gunicorn (and a Celery worker)
run against it, the simulated users of ``load_run.py`` load it, and ``--restart-at`` seconds in
the cluster is stopped (``pg_ctl stop -m fast``: open sessions are terminated), kept down
``--down`` seconds and started again; gunicorn is NOT restarted. Reported: the status of every
request by the phase it started in (before, during the outage, after), whether 503s carry
Retry-After, the time from the database being back to the first success and to the last
failure, and the load run's verification (every write a client saw succeed is in the database,
nothing half-written). Passes when there is no 500 and no connection error, every failure falls
inside the outage (plus ``--grace`` seconds), and nothing is lost or half-written.

``redis``: a private ``redis-server`` without persistence (``--save '' --appendonly no``, the
worst case: a restart empties it) is the Celery broker; the database ``portal_faults_redis`` is
on the server of DATABASE_URL. ``--reminders`` approved use cases are due for re-review tomorrow
(one reminder each to their owner).
  1. Killed before a worker consumed: the hourly scan runs as beat would run it (outbox rows
     created, a send task queued in Redis), Redis is killed (SIGKILL) and started again empty,
     so the queued task is gone. Then a real Celery worker and a real beat
     (DatabaseScheduler, the schedule of the migrations: send every minute) are started.
  2. Killed while a worker consumes: ``--in-flight`` more reminders are scanned and queued with
     the worker running; once it has sent some, Redis is killed, kept down ``--down`` seconds
     and started again.
In each, the run waits until no reminder is left to send (at most ``--wait`` seconds) and counts
the e-mails the worker wrote (file backend) by their Message-ID against the outbox rows: every
row sent exactly once. ``--crash-worker`` adds 3: the worker is SIGKILLed together with Redis
mid-batch (REMINDER_CLAIM_TIMEOUT is set to ``--claim-timeout`` for that run), to show the
at-least-once recovery of claimed rows and count its duplicates.
"""

import argparse
import collections
import contextlib
import datetime
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benches import load_run, support
from benches.faults.private_services import PrivatePostgres, PrivateRedis, port_or_free
from benches.load import report as load_report
from benches.load import servers as load_servers
from benches.load import users as load_users
from benches.support import BIN, REPO_ROOT


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", choices=["postgres", "redis", "all"])
    load_run.add_load_arguments(parser)
    parser.set_defaults(duration=40, users=20, initial=200)
    parser.add_argument("--restart-at", type=float, default=12, help="seconds into the load (default 12)")
    parser.add_argument("--restarts", type=int, default=1, help="restarts in one run (default 1)")
    parser.add_argument("--every", type=float, default=20, help="seconds between restarts (default 20)")
    parser.add_argument("--down", type=float, default=5, help="seconds the service stays down (default 5)")
    parser.add_argument("--grace", type=float, default=5, help="seconds after the restart failures may last")
    parser.add_argument("--pg-port", type=int, default=5499, help="private PostgreSQL port, if free")
    parser.add_argument("--redis-port", type=int, default=6390, help="private Redis port, if free")
    parser.add_argument("--reminders", type=int, default=300, help="reminders queued before Redis dies")
    parser.add_argument("--in-flight", type=int, default=3000, help="reminders being sent when Redis dies")
    parser.add_argument("--wait", type=float, default=180, help="seconds to wait for the outbox to empty")
    parser.add_argument("--crash-worker", action="store_true", help="also kill the worker with Redis")
    parser.add_argument("--claim-timeout", type=int, default=20, help="REMINDER_CLAIM_TIMEOUT for --crash-worker")
    parser.add_argument("--keep-folder", action="store_true", help="keep the temporary folder (logs, mail)")
    return parser.parse_args()


# --- 2a: PostgreSQL restarted under load ----------------------------------------------------------------


def postgres_fault(args, folder):
    cluster = PrivatePostgres(Path(folder) / "pg", port_or_free(args.pg_port))
    started = time.monotonic()
    cluster.init().start()
    print(f"private PostgreSQL {cluster.bin.parent.name} on port {cluster.port} ({time.monotonic() - started:.1f} s)")
    try:
        return _postgres_fault(args, folder, cluster)
    finally:
        cluster.remove()


def _postgres_fault(args, folder, cluster):
    import requests

    support.recreate_database(cluster.url, "portal_faults_pg")
    database_url = support.with_database(cluster.url, "portal_faults_pg")
    broker = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14")
    env, context = load_run.prepare(database_url, broker, folder, args)
    servers = load_servers.Servers.from_args(env, folder, args).start()
    windows = []  # one {"stop", "stopped", "start", "ready"} per restart, seconds on the run's clock
    health = []  # (t, status of /health/)
    try:
        recorder, ledger, stop = load_users.Recorder(), load_users.Ledger(), threading.Event()
        users = load_users.make_users(servers.base, context, recorder, ledger, stop, args.seed, args.think)
        print(
            f"gunicorn on {servers.base}: {args.workers} workers x {args.threads} threads; {len(users)} users; "
            f"{args.restarts} restart(s) from {args.restart_at:.0f} s every {args.every:.0f} s, down "
            f"{args.down:.0f} s each; load {args.duration:.0f} s"
        )
        web_pids = servers.worker_pids()

        def clock():
            return time.monotonic() - recorder.t0

        def restart():
            for n in range(args.restarts):
                time.sleep(max(0.0, args.restart_at + n * args.every - clock()))
                window = {"stop": clock()}
                cluster.stop("fast")
                window["stopped"] = clock()
                time.sleep(args.down)
                window["start"] = clock()
                cluster.start()
                while not cluster.ready():
                    time.sleep(0.05)
                window["ready"] = clock()
                windows.append(window)

        def probe_health():
            while not stop.is_set():
                at = clock()
                try:
                    status = requests.get(f"{servers.base}/health/", timeout=5).status_code
                except requests.RequestException as error:
                    status = type(error).__name__
                health.append((at, status))
                stop.wait(0.5)

        recorder.t0, recorder.wall0 = time.monotonic(), time.time()
        restarter = threading.Thread(target=restart, daemon=True)
        prober = threading.Thread(target=probe_health, daemon=True)
        restarter.start()
        prober.start()
        wall = load_users.run_load(users, args.duration, stop)
        restarter.join(timeout=120)
        prober.join(timeout=10)
        alive = servers.alive()
        same_workers = sorted(servers.worker_pids()) == sorted(web_pids)
    finally:
        servers.stop()
    if len(windows) != args.restarts:
        print(f"only {len(windows)} of {args.restarts} restarts finished within the load: lengthen --duration")
        return False
    return report_postgres(args, recorder, ledger, context, windows, health, wall, alive, same_workers, servers)


def phase_of(started, seconds, windows, grace):
    """outage: started while the database was down, or was in flight when the stop was issued;
    grace: started within ``grace`` s after it was back; normal otherwise."""
    for window in windows:
        if window["stop"] <= started < window["ready"] or started < window["stop"] < started + seconds:
            return "outage"
        if window["ready"] <= started < window["ready"] + grace:
            return "grace"
    return "normal"


def server_errors(log_path, limit=5):
    """The last lines of each 500's traceback in gunicorn's log (Django logs them as Internal Server Error)."""
    text = Path(log_path).read_text(errors="replace") if Path(log_path).exists() else ""
    blocks = re.split(r"^(?=\S.* ERROR django\.request )", text, flags=re.MULTILINE)
    found = [block for block in blocks if "Internal Server Error" in block.split("\n", 1)[0]]
    return ["\n".join(block.rstrip().splitlines()[-12:]) for block in found[:limit]], len(found)


def report_postgres(args, recorder, ledger, context, windows, health, wall, alive, same_workers, servers):
    samples = recorder.samples
    by_phase = collections.defaultdict(collections.Counter)
    for _kind, started, seconds, status, _ok in samples:
        by_phase[phase_of(started, seconds, windows, args.grace)][status] += 1
    print()
    for n, window in enumerate(windows, 1):
        print(
            f"restart {n} (s): stop issued {window['stop']:.2f}, stopped {window['stopped']:.2f}, start issued "
            f"{window['start']:.2f}, accepting connections {window['ready']:.2f}"
        )
    print(f"\n| phase (requests by when they started; grace = first {args.grace:.0f} s back) | requests | statuses |")
    print("|---|---:|---|")
    for phase in ("normal", "outage", "grace"):
        counts = by_phase.get(phase, collections.Counter())
        shown = ", ".join(f"{status}: {n}" for status, n in sorted(counts.items(), key=lambda item: str(item[0])))
        print(f"| {phase} | {sum(counts.values())} | {shown or '-'} |")
    print(
        f"\n503 responses with Retry-After: {recorder.retry_after['with']}, without: {recorder.retry_after['without']}"
    )
    for n, window in enumerate(windows, 1):
        ready = window["ready"]
        following = windows[n]["stop"] if n < len(windows) else float("inf")
        later = [  # started once the database was back, and ended before the next stop
            (started, seconds, ok)
            for _k, started, seconds, _st, ok in samples
            if ready <= started and started + seconds < following
        ]
        first_ok = min((started + seconds for started, seconds, ok in later if ok), default=None)
        failed_after = [started for started, _seconds, ok in later if not ok]
        for kind, started, seconds, status, ok in samples:
            if not ok and ready <= started and started + seconds < following:
                wall_clock = time.strftime("%H:%M:%S", time.localtime(recorder.wall0 + started))
                print(f"  failed after restart {n}: {kind} at {wall_clock}, {seconds * 1000:.0f} ms, {status}")
        back = next(
            (at for at, status in health if window["stop"] <= at < following and at >= ready and status == 200), None
        )
        codes = collections.Counter(status for at, status in health if window["stop"] <= at < ready)
        print(
            f"restart {n}: down {ready - window['stop']:.1f} s; first success {first_ok - ready:.2f} s after the "
            f"database was back; requests started after that and failed: {len(failed_after)}; /health/ "
            f"{dict(codes)} while down, 200 again {'never' if back is None else f'{back - ready:+.2f} s'}"
            if first_ok is not None
            else f"restart {n}: no success after the database was back"
        )
    print(f"gunicorn never restarted: same worker processes {same_workers}; processes alive {alive}")

    rows = load_report.figures(samples, wall)
    print()
    load_report.print_table(rows)
    load_report.print_errors(recorder, limit=10)
    summary, problems = load_report.verify(context, ledger)
    load_report.print_verification(summary, problems)
    # Half-written would show as problems other than "reported failed but committed" (an answer
    # lost after the commit, reported separately as ambiguous).
    hard = [p for p in problems if "reported failed but committed" not in p]
    bad = collections.Counter(
        status
        for _k, _s, _d, status, ok in samples
        if not ok and status != 503 and (not isinstance(status, int) or status >= 500)
    )
    outside = [
        (round(started, 2), status)
        for _k, started, seconds, status, ok in samples
        if not ok and phase_of(started, seconds, windows, args.grace) == "normal"
    ]
    tracebacks, count = server_errors(Path(servers.folder) / "web.log")
    if count:
        print(f"\n{count} Internal Server Error(s) in gunicorn's log; the first:")
        for block in tracebacks:
            print("  " + block.replace("\n", "\n  "))
    ok = not hard and not bad and not outside and all(alive.values()) and same_workers
    print(
        f"\n{'passed' if ok else 'FAILED'}: failures other than 503 {dict(bad) or 'none'}; failures outside the "
        f"outages {len(outside)}; lost writes {summary['lost_writes']}; answered 503 yet committed "
        f"{summary['ambiguous_writes']}; other problems {len(hard)}"
    )
    if outside:
        print(f"  outside the outages: {outside[:10]}")
    return ok


# --- 2b: Redis restarted with reminders queued -----------------------------------------------------------


def seed_due(count, tag):
    """``count`` approved use cases due for re-review tomorrow, owned by 20 people; returns their ids."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from portal.models import Department
    from portal.services import next_reference
    from usecases.models import UseCase

    User = get_user_model()
    department, _created = Department.objects.get_or_create(
        code="faults", defaults={"name": "障害試験部", "name_en": "Faults"}
    )
    owners = [
        User.objects.get_or_create(
            username=f"fault-owner-{n}",
            defaults={
                "email": f"fault-owner-{n}@example.com",
                "password": make_password(None),
                "department": department,
                "language": "ja" if n % 2 else "en",
            },
        )[0]
        for n in range(20)
    ]
    now = timezone.now()
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    year = timezone.localdate().year
    rows = UseCase.objects.bulk_create(
        [
            UseCase(
                reference=next_reference("UC", year),
                title=f"{tag} {n}",
                owner=owners[n % len(owners)],
                department=department,
                status="approved",
                submitted_at=now,
                approved_at=now,
                next_review_on=tomorrow,
            )
            for n in range(count)
        ],
        batch_size=1000,
    )
    return [row.pk for row in rows]


def scan_as_beat():
    """What the hourly beat entry runs (governance.tasks.scan_reminders), here with the real
    broker: outbox rows, and a send task queued once the transaction commits."""
    from governance.tasks import scan_reminders

    return scan_reminders()


def count_mails(mail_dir):
    """{reminder id: e-mails carrying its Message-ID} over the file backend's output."""
    counts = collections.Counter()
    for path in Path(mail_dir).glob("*.log"):
        for match in re.finditer(r"^Message-ID: <reminder-(\d+)@", path.read_text(errors="replace"), re.MULTILINE):
            counts[int(match[1])] += 1
    return counts


def outbox():
    from django.db.models import Count

    from governance.models import Reminder

    return dict(Reminder.objects.order_by().values_list("status").annotate(n=Count("id")))


def wait_outbox_empty(timeout, started, label):
    """Until no reminder is pending or being sent; returns seconds taken or None."""
    from django.db import connections

    from governance.models import Reminder

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        connections.close_all()
        left = Reminder.objects.filter(status__in=["pending", "sending"]).count()
        if left == 0:
            return time.monotonic() - started
        time.sleep(1)
    print(f"  {label}: still {outbox()} after {timeout:.0f} s")
    return None


def check_exactly_once(mail_dir, label, allow_duplicates=0):
    from governance.models import Reminder

    rows = dict(Reminder.objects.values_list("pk", "status"))
    mails = count_mails(mail_dir)
    sent = {pk for pk, status in rows.items() if status == "sent"}
    unsent = {pk: status for pk, status in rows.items() if status != "sent"}
    missing = sorted(pk for pk in sent if mails[pk] == 0)
    duplicates = {pk: n for pk, n in mails.items() if n > 1}
    strangers = sorted(set(mails) - set(rows))
    print(
        f"  {label}: {len(rows)} reminder rows, {len(sent)} sent, {sum(mails.values())} reminder e-mails written "
        f"({len(mails)} distinct); rows not sent {collections.Counter(unsent.values()) or 'none'}; sent without an "
        f"e-mail {len(missing)}; e-mailed more than once {len(duplicates)}; e-mails of no row {len(strangers)}"
    )
    ok = not unsent and not missing and not strangers and len(duplicates) <= allow_duplicates
    return ok, len(rows), sum(mails.values()), len(duplicates)


def redis_fault(args, folder):
    url = support.server_url()
    redis = PrivateRedis(folder, port_or_free(args.redis_port)).start()
    processes = {}
    results = []
    created = False
    try:
        support.recreate_database(url, "portal_faults_redis")
        created = True
        database_url = support.with_database(url, "portal_faults_redis")
        mail_dir = Path(folder) / "mail"
        mail_dir.mkdir()
        extra = {"REMINDER_CLAIM_TIMEOUT": str(args.claim_timeout)} if args.crash_worker else {}
        env = load_servers.app_environment(database_url, redis.url, mail_dir, extra)
        support.setup_django(env)
        seconds = support.migrate()
        print(f"private redis-server on port {redis.port} (no persistence); database migrated in {seconds:.1f} s")
        results.append(_redis_before_consumed(args, folder, redis, env, mail_dir, processes))
        results.append(_redis_while_consuming(args, redis, mail_dir, processes))
        if args.crash_worker:
            results.append(_redis_and_worker_crash(args, folder, redis, env, mail_dir, processes))
    finally:
        for name, process in processes.items():
            stop_process(name, process)
        redis.kill()
        if created:
            support.drop_database(url, "portal_faults_redis")
    ok = all(results)
    print(f"\n{'passed' if ok else 'FAILED'}: redis scenarios {results}")
    return ok


def spawn(name, command, env, folder):
    log = (Path(folder) / f"{name}.log").open("ab")
    return subprocess.Popen(  # noqa: S603 - our own venv's celery
        command,
        cwd=REPO_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop_process(name, process, sig=signal.SIGTERM):
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        print(f"{name} did not stop within 30 s; killing it")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def start_worker_and_beat(env, folder, processes, suffix=""):
    processes["worker" + suffix] = spawn(
        "worker" + suffix,
        [str(BIN / "celery"), "-A", "portal", "worker", "--concurrency=1", "--loglevel=INFO", "--without-mingle",
         "--without-gossip", "-n", f"faults{suffix}@%h"],
        env,
        folder,
    )  # fmt: skip
    if "beat" not in processes or processes["beat"].poll() is not None:
        processes["beat"] = spawn(
            "beat",
            [str(BIN / "celery"), "-A", "portal", "beat", "--loglevel=INFO", "--scheduler",
             "django_celery_beat.schedulers:DatabaseScheduler"],
            env,
            folder,
        )  # fmt: skip


def _redis_before_consumed(args, folder, redis, env, mail_dir, processes):
    from django.db import connections

    print(f"\n1. Redis killed before a worker consumed: {args.reminders} reminders due")
    seed_due(args.reminders, "due-1")
    offered = scan_as_beat()
    queued = redis.cli("llen", "celery")
    print(f"  scan offered {sum(offered.values())} rows ({outbox()}); tasks queued in Redis: {queued}")
    redis.kill()
    redis.start()
    print(f"  Redis killed and started again: tasks queued now: {redis.cli('llen', 'celery')}")
    connections.close_all()
    started = time.monotonic()
    start_worker_and_beat(env, folder, processes)
    seconds = wait_outbox_empty(args.wait, started, "scenario 1")
    if seconds is not None:
        print(f"  worker and beat started; outbox empty {seconds:.1f} s later (beat sends every minute)")
    ok, *_counts = check_exactly_once(mail_dir, "scenario 1")
    return ok and seconds is not None and queued == "1"


def _redis_while_consuming(args, redis, mail_dir, processes):
    from django.db import connections

    from governance.models import Reminder

    print(f"\n2. Redis killed while the worker sends: {args.in_flight} more reminders due")
    before = Reminder.objects.filter(status="sent").count()
    seed_due(args.in_flight, "due-2")
    started = time.monotonic()
    scan_as_beat()
    print(f"  scanned: outbox {outbox()}; the running worker takes the queued send task")
    deadline = time.monotonic() + 60
    sent = 0
    while time.monotonic() < deadline:
        connections.close_all()
        sent = Reminder.objects.filter(status="sent").count() - before
        if sent >= min(200, args.in_flight // 10):
            break
        time.sleep(0.05)
    redis.kill()
    killed_at = time.monotonic() - started
    connections.close_all()
    left = Reminder.objects.filter(status__in=["pending", "sending"]).count()
    print(f"  Redis killed {killed_at:.1f} s after the scan, with {sent} sent and {left} still to send")
    time.sleep(args.down)
    redis.start()
    print(f"  Redis started again after {args.down:.0f} s (empty: {redis.cli('llen', 'celery') in ('0', '')})")
    seconds = wait_outbox_empty(args.wait, started, "scenario 2")
    if seconds is not None:
        print(f"  outbox empty {seconds:.1f} s after the scan")
    alive = {name: process.poll() is None for name, process in processes.items()}
    print(f"  worker and beat alive: {alive}")
    ok, *_counts = check_exactly_once(mail_dir, "scenarios 1+2")
    return ok and seconds is not None and all(alive.values())


def _redis_and_worker_crash(args, folder, redis, env, mail_dir, processes):
    from django.db import connections

    from governance.models import Reminder

    print(f"\n3. Worker and Redis killed together mid-batch: {args.in_flight} more reminders due")
    before = Reminder.objects.filter(status="sent").count()
    seed_due(args.in_flight, "due-3")
    started = time.monotonic()
    scan_as_beat()
    while time.monotonic() - started < 60:
        connections.close_all()
        if Reminder.objects.filter(status="sent").count() - before >= min(200, args.in_flight // 10):
            break
        time.sleep(0.05)
    os.killpg(processes["worker"].pid, signal.SIGKILL)
    redis.kill()
    processes["worker"].wait(timeout=10)
    connections.close_all()
    claimed = Reminder.objects.filter(status="sending").count()
    print(f"  killed; {claimed} rows left claimed (recovered after REMINDER_CLAIM_TIMEOUT={args.claim_timeout} s)")
    time.sleep(args.down)
    redis.start()
    start_worker_and_beat(env, folder, processes, suffix="-2")
    seconds = wait_outbox_empty(args.wait + args.claim_timeout, started, "scenario 3")
    if seconds is not None:
        print(f"  outbox empty {seconds:.1f} s after the scan")
    ok, _rows, _mails, duplicates = check_exactly_once(mail_dir, "scenarios 1-3", allow_duplicates=claimed)
    print(f"  duplicates {duplicates} (at most the {claimed} rows claimed at the crash: at-least-once by design)")
    return ok and seconds is not None


def main():
    args = parse_args()
    original_environment = dict(os.environ)  # the PostgreSQL run points this process at its cluster
    folder = tempfile.mkdtemp(prefix="fault-runs-")
    os.chmod(folder, 0o711)  # noqa: S103 - the private cluster's user must traverse it to its sub-folder
    results = {}
    try:
        if args.scenario in ("postgres", "all"):
            print("== PostgreSQL restarted under load")
            results["postgres"] = postgres_fault(args, folder)
        if args.scenario in ("redis", "all"):
            if args.scenario == "all":
                # Django is set up on the private cluster by now: run the Redis part in a child.
                command = [sys.executable, __file__, "redis", *redis_arguments(args)]
                sys.stdout.flush()
                child = subprocess.run(command, env=original_environment, check=False)  # noqa: S603
                results["redis"] = child.returncode == 0
            else:
                print("\n== Redis restarted with reminders queued")
                results["redis"] = redis_fault(args, folder)
    finally:
        if args.keep_folder:
            print(f"logs and mail kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    print(f"\nfault runs: {results}")
    sys.exit(0 if all(results.values()) else 1)


def redis_arguments(args):
    values = ["--reminders", str(args.reminders), "--in-flight", str(args.in_flight), "--down", str(args.down)]
    values += ["--wait", str(args.wait), "--redis-port", str(args.redis_port)]
    if args.crash_worker:
        values += ["--crash-worker", "--claim-timeout", str(args.claim_timeout)]
    if args.keep_folder:
        values.append("--keep-folder")
    return values


if __name__ == "__main__":
    main()
