"""The simulated users: each logs in, then loops over what its role does, recording every
request and every write the server acknowledged."""

import collections
import datetime
import random
import re
import threading
import time

from benches.load.seed import PASSWORD, TITLE_PREFIX

# --- The simulated users --------------------------------------------------------------------------


class Recorder:
    """Every request: (kind, started on the run's clock, seconds, status or exception name, ok)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.samples = []
        self.errors = []
        self.retry_after = collections.Counter()  # 503 responses with / without a Retry-After header
        self.t0 = time.monotonic()

    def add(self, kind, started, seconds, status, ok, detail=""):
        with self.lock:
            self.samples.append((kind, started - self.t0, seconds, status, ok))
            if not ok and len(self.errors) < 200:
                self.errors.append((kind, round(started - self.t0, 2), status, detail[:300]))


class Ledger:
    """What the clients saw: writes acknowledged and writes that failed (outcome unknown)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.creates = {}  # title -> {"ok": bool, "reference": str|None, "models": int, "owner": username}
        self.acked = collections.defaultdict(collections.Counter)  # reference -> Counter(action)
        self.failed = collections.defaultdict(collections.Counter)
        self.decisions = {}  # stage id -> (decision, reviewer username, ok)
        self.measurements = []  # (kpi id, date iso, value, ok)

    def create(self, title, ok, reference, models, owner):
        with self.lock:
            self.creates[title] = {"ok": ok, "reference": reference, "models": models, "owner": owner}

    def write(self, reference, action, ok):
        with self.lock:
            (self.acked if ok else self.failed)[reference][action] += 1


class Client:
    """One simulated user's HTTP side: a requests.Session with a token and, after ``login``, a session."""

    def __init__(self, base, person, recorder, timeout=30):
        import requests

        self.base = base
        self.person = person
        self.recorder = recorder
        self.timeout = timeout
        self.http = requests.Session()
        self.http.headers["Accept-Language"] = "ja" if person["id"] % 2 else "en"
        self.http.headers["X-Forwarded-Proto"] = "https"  # as the TLS proxy in front of gunicorn says
        self.token = {"Authorization": f"Token {person['key']}"}

    def login(self):
        page = self.http.get(f"{self.base}/accounts/login/", timeout=self.timeout)
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if page.status_code != 200 or match is None:
            raise RuntimeError(f"login page: {page.status_code}")
        response = self.http.post(
            f"{self.base}/accounts/login/",
            data={"username": self.person["username"], "password": PASSWORD, "csrfmiddlewaretoken": match[1]},
            # The request counts as HTTPS, so CSRF wants an HTTPS referer of the same host.
            headers={"Referer": f"{self.base.replace('http://', 'https://', 1)}/accounts/login/"},
            allow_redirects=False,
            timeout=self.timeout,
        )
        if response.status_code != 302:
            raise RuntimeError(f"login of {self.person['username']}: {response.status_code} {response.text[:200]}")

    def call(self, kind, method, path, expected, *, api=True, **kwargs):
        """One request; returns the response when its status is the expected one, else None."""
        headers = self.token if api else {}
        started = time.monotonic()
        try:
            response = self.http.request(
                method, self.base + path, headers=headers, timeout=self.timeout, allow_redirects=False, **kwargs
            )
        except Exception as error:  # noqa: BLE001 - every exception is an outcome to count
            self.recorder.add(kind, started, time.monotonic() - started, type(error).__name__, False, repr(error))
            return None
        seconds = time.monotonic() - started
        ok = response.status_code == expected
        if response.status_code == 503:
            with self.recorder.lock:
                self.recorder.retry_after["with" if response.headers.get("Retry-After") else "without"] += 1
        self.recorder.add(kind, started, seconds, response.status_code, ok, "" if ok else response.text)
        return response if ok else None


def use_case_payload(title, models, rng):
    payload = {
        "title": title,
        "summary": "問い合わせメールの返信案を作り、担当者が確認して送る。",
        "category": rng.choice(["creative", "content_seo", "sales_support", "analytics"]),
        "audience": "internal",
        "data_classification": "public",
        "involves_personal_data": False,
        "intended_style": "closed_api",
        "monthly_requests": rng.randint(100, 50_000),
        "avg_input_tokens": rng.randint(200, 4000),
        "avg_output_tokens": rng.randint(100, 2000),
        "tasks": [
            {"description": "返信案を作る", "performer": "ai"},
            {"description": "内容を確認して送信を決める", "performer": "human"},
        ],
        "kpis": [{"name": "一次回答時間", "unit": "分", "direction": "decrease", "baseline": "30", "target": "10"}],
    }
    if models:
        payload["models"] = [{"ai_model": model, "deployment": "closed_api"} for model in models]
    return payload


class SimulatedUser(threading.Thread):
    """A simulated user: loops over its role's actions until ``stop`` is set."""

    def __init__(self, client, role, index, n_reviewers, context, ledger, stop, rng, think):
        super().__init__(daemon=True, name=client.person["username"])
        self.client = client
        self.role = role
        self.index = index
        self.n_reviewers = n_reviewers
        self.context = context
        self.ledger = ledger
        self.stop = stop
        self.rng = rng
        self.think = think
        self.drafts = []  # [{"reference", "version", "kpi"}]
        self.open = []  # submitted, not yet settled: [{"reference", "kpi"}]
        self.counter = 0
        self.measure_day = collections.Counter()

    def run(self):
        action = getattr(self, f"step_{self.role}")
        while not self.stop.is_set():
            action()
            if self.think:
                self.stop.wait(self.rng.uniform(0, 2 * self.think))

    def pick(self, weights):
        names = list(weights)
        return self.rng.choices(names, weights=[weights[name] for name in names])[0]

    # -- shared reads
    def read_list(self):
        self.client.call("api list", "GET", "/api/v1/use-cases/?page_size=20", 200)

    def read_detail(self, reference=None):
        if reference is None:  # requesters see their own department's use cases only
            if self.role == "requester":
                visible = self.context["by_department"][self.client.person["department"]]
            else:
                visible = self.context["references"]
            reference = self.rng.choice(visible)
        return self.client.call("api detail", "GET", f"/api/v1/use-cases/{reference}/", 200)

    def inventory_page(self):
        self.client.call("inventory page", "GET", "/usecases/", 200, api=False)

    # -- requesters
    def step_requester(self):
        weights = {"list": 22, "detail": 14, "page": 8, "create": 12, "check": 8}
        if self.drafts:
            weights.update(patch=10, submit=12)
        if self.drafts or self.open:
            weights["measure"] = 5
        getattr(self, f"requester_{self.pick(weights)}")()

    def requester_list(self):
        self.read_list()

    def requester_detail(self):
        own = [item["reference"] for item in self.drafts + self.open]
        self.read_detail(self.rng.choice(own) if own and self.rng.random() < 0.5 else None)

    def requester_page(self):
        self.inventory_page()

    def requester_create(self):
        self.counter += 1
        title = f"{TITLE_PREFIX} {self.context['run']} {self.client.person['username']} {self.counter}"
        models = self.context["models"][: self.rng.randint(0, 1)]
        response = self.client.call(
            "api create", "POST", "/api/v1/use-cases/", 201, json=use_case_payload(title, models, self.rng)
        )
        body = response.json() if response is not None else {}
        self.ledger.create(
            title, response is not None, body.get("reference"), len(models), self.client.person["username"]
        )
        if response is not None:
            self.drafts.append(
                {"reference": body["reference"], "version": body["version"], "kpi": body["kpis"][0]["id"]}
            )

    def requester_patch(self):
        item = self.rng.choice(self.drafts)
        self.counter += 1
        response = self.client.call(
            "api patch",
            "PATCH",
            f"/api/v1/use-cases/{item['reference']}/",
            200,
            json={"summary": f"改訂 {self.counter}: 返信案を作り、担当者が確認する。", "version": item["version"]},
        )
        self.ledger.write(item["reference"], "update", response is not None)
        if response is not None:
            item["version"] = response.json()["version"]
        else:
            self.drafts.remove(item)  # outcome unknown: leave it alone from now on

    def requester_submit(self):
        item = self.drafts.pop(self.rng.randrange(len(self.drafts)))
        response = self.client.call("api submit", "POST", f"/api/v1/use-cases/{item['reference']}/submit/", 200)
        self.ledger.write(item["reference"], "submit", response is not None)
        if response is not None:
            self.open.append(item)

    def requester_check(self):
        """Read one of mine in review; resubmit it when it was sent back, forget it once approved."""
        if not self.open:
            return self.read_list()
        item = self.rng.choice(self.open)
        response = self.read_detail(item["reference"])
        if response is None:
            return None
        status = response.json()["status"]
        if status == "approved":
            self.open.remove(item)
        elif status == "changes_requested":
            done = self.client.call("api resubmit", "POST", f"/api/v1/use-cases/{item['reference']}/submit/", 200)
            self.ledger.write(item["reference"], "resubmit", done is not None)
            if done is None:
                self.open.remove(item)
        return None

    def requester_measure(self):
        item = self.rng.choice(self.drafts + self.open)
        self.measure_day[item["kpi"]] += 1  # one new day per measurement: none replaces another
        day = (datetime.date.today() - datetime.timedelta(days=self.measure_day[item["kpi"]])).isoformat()
        value = f"{self.rng.uniform(5, 30):.2f}"
        response = self.client.call(
            "api measurement",
            "POST",
            f"/api/v1/use-cases/{item['reference']}/measurements/",
            201,
            json={"kpi": item["kpi"], "measured_on": day, "value": value},
        )
        self.ledger.write(item["reference"], "record_measurement", response is not None)
        with self.ledger.lock:
            self.ledger.measurements.append((item["kpi"], day, value, response is not None))

    # -- reviewers
    def step_reviewer(self):
        choice = self.pick({"queue": 45, "page": 20, "list": 15, "detail": 20})
        if choice == "queue":
            self.reviewer_queue()
        elif choice == "page":
            self.inventory_page()
        elif choice == "list":
            self.read_list()
        else:
            self.read_detail()

    def reviewer_queue(self):
        response = self.client.call("api stages mine", "GET", "/api/v1/approval-stages/?mine=true&page_size=100", 200)
        if response is None:
            return
        mine = [stage for stage in response.json()["results"] if stage["id"] % self.n_reviewers == self.index]
        if not mine:
            return
        stage = mine[0]
        if self.rng.random() < 0.75:
            decision, body = "approve", {"decision": "approve"}
        else:
            decision = "request_changes"
            body = {"decision": decision, "comment": "KPIの根拠を追記してください。"}
        done = self.client.call("api decide", "POST", f"/api/v1/approval-stages/{stage['id']}/decide/", 200, json=body)
        with self.ledger.lock:
            self.ledger.decisions[stage["id"]] = (decision, self.client.person["username"], done is not None)

    # -- executives
    def step_executive(self):
        choice = self.pick({"dashboard": 25, "summary": 25, "trend": 10, "page": 20, "list": 20})
        if choice == "dashboard":
            self.client.call("dashboard page", "GET", "/dashboard/", 200, api=False)
        elif choice == "summary":
            self.client.call("adoption summary", "GET", "/api/v1/adoption/summary/", 200)
        elif choice == "trend":
            self.client.call("adoption trend", "GET", "/api/v1/adoption/trend/", 200)
        elif choice == "page":
            self.inventory_page()
        else:
            self.client.call("api list", "GET", "/api/v1/use-cases/?page_size=50", 200)


def make_users(base, context, recorder, ledger, stop, seed_value, think):
    """Clients for every seeded person, logged in (in parallel) through the login form."""
    people = context["people"]
    n_reviewers = sum(1 for person in people if person["role"] == "reviewer")
    users, indexes = [], collections.Counter()
    for n, person in enumerate(people):
        client = Client(base, person, recorder)
        index = indexes[person["role"]]
        indexes[person["role"]] += 1
        rng = random.Random(seed_value * 1000 + n)
        users.append(SimulatedUser(client, person["role"], index, n_reviewers, context, ledger, stop, rng, think))
    failures = []

    def login(user):
        try:
            user.client.login()
        except Exception as error:  # noqa: BLE001 - reported below
            failures.append(f"{user.client.person['username']}: {error!r}")

    threads = [threading.Thread(target=login, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError("logins failed: " + "; ".join(failures[:5]))
    return users


def run_load(users, duration, stop, on_tick=None, tick=1.0):
    """Start the users, let them run ``duration`` seconds (calling ``on_tick(elapsed)`` each
    ``tick``), then stop and join them. Returns the measured wall time."""
    started = time.monotonic()
    for user in users:
        user.start()
    while (elapsed := time.monotonic() - started) < duration:
        if on_tick is not None:
            on_tick(elapsed)
        time.sleep(min(tick, max(0.0, duration - elapsed)))
    stop.set()
    for user in users:
        user.join(timeout=60)
    return time.monotonic() - started
