"""Security settings and guards: deploy checks, headers, login throttling, passwords,
request size, database outages, escaping of user-controlled text, secrets in the repository."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import OperationalError
from django.test import Client, override_settings

from tests.factories import PASSWORD, UseCaseFactory, UseCaseTaskFactory, VendorFactory
from tests.governance.education_helpers import approved_prompt, policy, publish

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "b8Qz-r0Lx2pVd7mKc4YwT9sHn1JfEuA6gZoRiW3qXyNbM5lP0tUvS8aCeDkGhF2",
    "ALLOWED_HOSTS": "portal.example.com",
    "DATABASE_URL": "postgres://portal@db.example.com:5432/portal",
    "CELERY_BROKER_URL": "redis://redis.example.com:6379/0",
}


def _production_env(**env):
    """The test process's environment as production would have it: the README's variables, and
    none of the test run's own relaxations (pyproject's pytest env, make's DEBUG)."""
    relaxed = ("SECURE_COOKIES", "SECURE_SSL_REDIRECT", "DJANGO_ALLOW_ASYNC_UNSAFE")
    clean = {key: value for key, value in os.environ.items() if key not in PRODUCTION_ENV and key not in relaxed}
    return {**clean, **PRODUCTION_ENV, "DJANGO_SETTINGS_MODULE": "portal.settings", **env}


def _manage(*args, **env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=_production_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _production_setting(expression, **env):
    code = f"import django; django.setup(); from django.conf import settings; print({expression})"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=_production_env(**env), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


# --- Deployment checks and headers ---------------------------------------------------------


def test_check_deploy_is_clean_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_would_catch_a_weakened_setting():
    # The same check fails when HSTS is switched off: the clean run above is meaningful.
    result = _manage("check", "--deploy", "--fail-level", "WARNING", SECURE_HSTS_SECONDS="0")
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr


def test_check_deploy_warns_behind_a_proxy_whose_address_is_not_trusted():
    # Behind the TLS proxy without TRUSTED_PROXIES every visitor shares the proxy's address.
    result = _manage("check", "--deploy", "--fail-level", "WARNING", BEHIND_TLS_PROXY="true")
    assert result.returncode != 0
    assert "portal.W001" in result.stdout + result.stderr
    proxy = {"BEHIND_TLS_PROXY": "true", "TRUSTED_PROXIES": "10.0.0.5"}
    trusted = _manage("check", "--deploy", "--fail-level", "WARNING", **proxy)
    assert trusted.returncode == 0, trusted.stdout + trusted.stderr


def test_production_defaults_are_secure():
    assert _production_setting("settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE") == "True True"
    assert _production_setting("settings.SECURE_SSL_REDIRECT, settings.SECURE_HSTS_SECONDS") == "True 31536000"
    assert _production_setting("settings.SESSION_COOKIE_HTTPONLY, settings.X_FRAME_OPTIONS") == "True DENY"


# The production value (checked above); `make test` itself runs with DEBUG on, where it is 0.
@override_settings(SECURE_HSTS_SECONDS=31536000)
def test_headers_on_a_page(client, requester):
    client.force_login(requester)
    response = client.get("/usecases/", secure=True)
    assert response.status_code == 200
    policy_header = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy_header.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    # No inline script or handler left in the page (the policy would block it).
    html = response.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"\son[a-z]+=\"", html)
    assert ' style="' not in html


@override_settings(SECURE_SSL_REDIRECT=True)
def test_plain_http_is_redirected_except_the_health_check(client, db):
    response = client.get("/usecases/")
    assert response.status_code == 301
    assert response["Location"].startswith("https://")
    assert client.get("/health/").status_code in (200, 503)


def test_secure_cookies_are_sent_secure(client, requester):
    with override_settings(SESSION_COOKIE_SECURE=True, CSRF_COOKIE_SECURE=True):
        response = client.post("/accounts/login/", {"username": "requester", "password": PASSWORD}, secure=True)
    assert response.status_code == 302
    assert response.cookies["sessionid"]["secure"] is True
    assert response.cookies["sessionid"]["httponly"] is True


def test_api_docs_run_without_inline_script(client, requester):
    client.force_login(requester)
    swagger = client.get("/api/docs/")
    assert swagger.status_code == 200
    assert "?script" in swagger.content.decode()
    script = client.get("/api/docs/?script")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    redoc = client.get("/api/redoc/")
    nonce = re.search(r"'nonce-([^']+)'", redoc["Content-Security-Policy"]).group(1)
    assert f'<script nonce="{nonce}">' in redoc.content.decode()
    assert "fonts.googleapis" not in redoc.content.decode()


# --- Login throttling -------------------------------------------------------------------------


def _login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_failed_logins_lock_the_username_for_that_address(client, requester, reviewer, settings):
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, "requester", "wrong-password").status_code == 200  # the form again
    locked = _login(client, "requester", "wrong-password")
    assert locked.status_code == 429
    # Even the right password is refused now, with a page saying how long it lasts.
    refused = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = _login(refused, "requester", PASSWORD)
    assert response.status_code == 429
    assert "15 minutes" in response.content.decode()
    assert "_auth_user_id" not in refused.session
    # Another account from the same address is unaffected.
    assert _login(Client(), "reviewer", PASSWORD).status_code == 302


def test_a_successful_login_resets_the_failure_count(client, requester, settings):
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, "requester", "wrong-password")
    assert _login(client, "requester", PASSWORD).status_code == 302
    client.logout()
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, "requester", "wrong-password").status_code == 200
    assert _login(client, "requester", PASSWORD).status_code == 302


def test_lockout_page_is_translated(requester, settings):
    client = Client(HTTP_ACCEPT_LANGUAGE="ja")
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "requester", "wrong-password")
    response = _login(client, "requester", PASSWORD)
    assert response.status_code == 429
    assert "ログイン" in response.content.decode()


def _login_from(address, username, password, forwarded_for=None, language="en"):
    """A login from a fresh client at ``address`` (the socket peer), optionally with a header."""
    headers = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for else {}
    client = Client(REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE=language, **headers)
    return client.post("/accounts/login/", {"username": username, "password": password})


def _failures_by_address():
    from axes.models import AccessAttempt
    from django.db.models import Sum

    return dict(AccessAttempt.objects.values_list("ip_address").annotate(total=Sum("failures_since_start")))


def test_spraying_many_usernames_from_one_address_locks_the_address(requester, reviewer, settings):
    settings.AXES_IP_FAILURE_LIMIT = 8
    # One wrong password per username: no single pair comes near its own limit of 5.
    for number in range(settings.AXES_IP_FAILURE_LIMIT - 1):
        assert _login_from("203.0.113.7", f"user{number}", "Spring2026!").status_code == 200
    assert _login_from("203.0.113.7", "one-more", "Spring2026!").status_code == 429
    # The address is now refused, even for a real account with the right password...
    refused = _login_from("203.0.113.7", "requester", PASSWORD)
    assert refused.status_code == 429
    assert "from this address" in refused.content.decode()
    # ...and a success would not have wiped the spray's counter anyway; other addresses log in.
    assert _login_from("198.51.100.20", "requester", PASSWORD).status_code == 302
    assert _failures_by_address()["203.0.113.7"] >= settings.AXES_IP_FAILURE_LIMIT


def test_the_address_lockout_page_is_translated(requester, settings):
    settings.AXES_IP_FAILURE_LIMIT = 3
    for number in range(settings.AXES_IP_FAILURE_LIMIT):
        _login_from("203.0.113.9", f"user{number}", "Spring2026!", language="ja")
    response = _login_from("203.0.113.9", "requester", PASSWORD, language="ja")
    assert response.status_code == 429
    assert "この接続元からのログイン失敗が多すぎます" in response.content.decode()


def test_a_successful_login_keeps_the_address_counter_of_a_spray(requester, settings):
    settings.AXES_IP_FAILURE_LIMIT = 6
    for number in range(settings.AXES_IP_FAILURE_LIMIT - 1):
        _login_from("203.0.113.8", f"user{number}", "Spring2026!")
    # The attacker's own account logs in: only that username's failures are cleared.
    assert _login_from("203.0.113.8", "requester", PASSWORD).status_code == 302
    _login_from("203.0.113.8", "someone-else", "Spring2026!")
    assert _login_from("203.0.113.8", "requester", PASSWORD).status_code == 429


def test_failed_logins_for_admin_elsewhere_do_not_lock_admin_out(admin_user, settings):
    for _attempt in range(settings.AXES_FAILURE_LIMIT + 2):
        _login_from("203.0.113.66", admin_user.username, "wrong-password")
    assert _login_from("203.0.113.66", admin_user.username, PASSWORD).status_code == 429
    # The real admin, at another address, is not locked out by someone else's guesses.
    assert _login_from("192.0.2.10", admin_user.username, PASSWORD).status_code == 302


def test_a_forged_forwarded_for_from_an_untrusted_client_is_ignored(admin_user, settings):
    settings.TRUSTED_PROXIES = []
    # An attacker rotating X-Forwarded-For is still counted at its own address...
    for number in range(settings.AXES_FAILURE_LIMIT):
        _login_from("203.0.113.66", admin_user.username, "wrong-password", forwarded_for=f"192.0.2.{number}")
    assert _login_from("203.0.113.66", admin_user.username, PASSWORD, forwarded_for="192.0.2.99").status_code == 429
    assert set(_failures_by_address()) == {"203.0.113.66"}
    # ...and cannot charge its failures to the victim's address to lock the victim out.
    assert _login_from("192.0.2.10", admin_user.username, PASSWORD).status_code == 302


def test_forwarded_for_from_a_trusted_proxy_is_honoured(admin_user, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    # Behind the TLS proxy (10.0.0.5), the attacker's guesses lock the attacker's address only.
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        _login_from("10.0.0.5", admin_user.username, "wrong-password", forwarded_for="203.0.113.66")
    assert _login_from("10.0.0.5", admin_user.username, PASSWORD, forwarded_for="203.0.113.66").status_code == 429
    assert set(_failures_by_address()) == {"203.0.113.66"}
    # The admin, coming through the same proxy from elsewhere, logs in.
    assert _login_from("10.0.0.5", admin_user.username, PASSWORD, forwarded_for="192.0.2.10").status_code == 302


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "expected"),
    [
        ("203.0.113.9", "", "203.0.113.9"),
        # Not from a trusted proxy: the header is the client's word only.
        ("203.0.113.9", "192.0.2.1", "203.0.113.9"),
        ("10.0.0.5", "192.0.2.1", "192.0.2.1"),
        # A client-sent value left of the real one is skipped: the right-most untrusted hop counts.
        ("10.0.0.5", "192.0.2.99, 198.51.100.4", "198.51.100.4"),
        # Several trusted hops (a load balancer in front of the proxy).
        ("10.0.0.5", "198.51.100.4, 10.0.0.7", "198.51.100.4"),
        # Garbage in the header: the last hop known to be good.
        ("10.0.0.5", "not-an-address", "10.0.0.5"),
        ("10.0.0.5", "", "10.0.0.5"),
        ("::ffff:203.0.113.9", "192.0.2.1", "203.0.113.9"),
        ("2001:db8::1", "192.0.2.1", "2001:db8::1"),
    ],
)
def test_client_address_trusts_forwarded_for_only_from_configured_proxies(peer, forwarded_for, expected, settings):
    from django.test import RequestFactory

    from portal.throttling import client_ip

    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    request = RequestFactory().get("/", REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=forwarded_for)
    assert client_ip(request) == expected


def test_trusted_proxies_setting_is_checked_at_start_up():
    from django.core.exceptions import ImproperlyConfigured

    from portal.env import EnvReader

    assert EnvReader({"TRUSTED_PROXIES": "10.0.0.5, fd00::/8"}).networks("TRUSTED_PROXIES", []) == [
        "10.0.0.5",
        "fd00::/8",
    ]
    assert EnvReader({}).networks("TRUSTED_PROXIES", []) == []
    with pytest.raises(ImproperlyConfigured, match="TRUSTED_PROXIES"):
        EnvReader({"TRUSTED_PROXIES": "10.0.0.0/24, proxy.example.com"}).networks("TRUSTED_PROXIES", [])


# --- Uploads (portal.uploads, the check every upload passes) ----------------------------------


def _upload(name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def _office(folder):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(f"{folder}/document.xml", "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("cert.pdf", b"%PDF-1.7\n"),
        ("scan.PNG", b"\x89PNG\r\n\x1a\n\x00"),
        ("photo.jpeg", b"\xff\xd8\xff\xe1"),
        ("notes.txt", "研修を修了しました。\n".encode()),
        ("notes.txt", "\ufeffBOM付き".encode()),
        ("notes.txt", "UTF-16の文書".encode("utf-16")),
        ("list.csv", "氏名,部署\r\n山田,営業\r\n".encode("cp932")),
        ("report.docx", _office("word")),
        ("sheet.xlsx", _office("xl")),
        ("deck.pptx", _office("ppt")),
    ],
)
def test_uploads_of_the_allowed_types_pass(name, content):
    from portal.uploads import check_upload

    check_upload(_upload(name, content))


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("cert.pdf", b"MZ\x90\x00\x03\x00\x00\x00"),
        ("cert.txt", b"MZ\x90\x00\x03\x00\x00\x00"),
        ("cert.csv", b"\x7fELF\x02\x01\x01\x00"),
        ("cert.txt", b"\xff\xfeM\x00Z\x00\x00\x00"),  # UTF-16 holding a NUL
        ("cert.png", b"%PDF-1.7\n"),
        ("cert.jpg", b"GIF89a"),
        # A ZIP archive or a Word file named as another Office type.
        ("cert.docx", b"PK\x03\x04" + b"\x00" * 26),
        ("cert.xlsx", _office("word")),
        ("cert.exe", b"MZ\x90\x00"),
        ("cert", b"%PDF-1.7\n"),
        ("empty.pdf", b""),
    ],
)
def test_uploads_are_judged_by_content_not_name(name, content):
    from portal.uploads import check_upload

    with pytest.raises(ValidationError):
        check_upload(_upload(name, content))


def test_an_upload_over_the_limit_is_refused_and_the_file_can_be_read_again(settings):
    from portal.uploads import check_upload

    upload = _upload("cert.pdf", b"%PDF-1.7\n" + b"0" * 100)
    check_upload(upload)
    assert upload.read(5) == b"%PDF-"  # left at the start for saving
    with pytest.raises(ValidationError, match="0 MB"):
        check_upload(upload, max_bytes=50)


# --- Passwords ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password, fragment",
    [
        ("Sh0rt-pass", "too short"),
        ("password1234", "too common"),
        ("202611281234", "entirely numeric"),
        ("requesterr123", "too similar"),
    ],
)
def test_weak_passwords_are_refused(requester, password, fragment):
    from django.utils import translation

    with translation.override("en"), pytest.raises(ValidationError) as error:
        validate_password(password, user=requester)
    assert any(fragment in message for message in error.value.messages)


def test_a_strong_password_is_accepted(requester):
    validate_password("kumo-no-ue-de-2026-odoru", user=requester)


# --- Request size -----------------------------------------------------------------------------


@override_settings(MAX_REQUEST_BYTES=1024)
def test_oversized_requests_are_refused_before_reading(client, requester):
    client.force_login(requester)
    body = b"x" * 2048
    page = client.post("/usecases/new/", body, content_type="application/octet-stream")
    assert page.status_code == 413
    api = client.post("/api/v1/use-cases/", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert api.status_code == 413
    assert api.json()["detail"] == "The request is too large: at most 1.0\xa0KB can be sent at once."


# --- Database outage and server errors ---------------------------------------------------------


@pytest.fixture
def failing_client(requester, monkeypatch):
    from usecases import views

    def broken(exception):
        def get(self, request, *args, **kwargs):
            raise exception

        return get

    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(requester)
    return client, lambda exception: monkeypatch.setattr(views.UseCaseListView, "get", broken(exception))


def test_database_outage_is_a_clean_503(failing_client):
    client, fail_with = failing_client
    fail_with(OperationalError("connection to server failed"))
    response = client.get("/usecases/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "try again" in response.content.decode()


def test_database_outage_on_the_api_is_a_json_503(requester, monkeypatch):
    from usecases.api import views as api_views

    def broken(self, request, *args, **kwargs):
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(api_views.UseCaseViewSet, "list", broken)
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(requester)
    response = client.get("/api/v1/use-cases/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "try again" in response.json()["detail"]


def test_other_errors_stay_a_500_without_details(failing_client):
    client, fail_with = failing_client
    fail_with(RuntimeError("secret internal detail"))
    response = client.get("/usecases/")
    assert response.status_code == 500
    assert "secret internal detail" not in response.content.decode()
    assert "Retry-After" not in response


# --- Escaping of user-controlled text -------------------------------------------------------------

PAYLOAD = '<script>alert("xss")</script><img src=x onerror=alert(1)>'


def test_user_text_is_escaped_on_every_page_that_shows_it(client, requester, admin_user, reviewer):
    vendor = VendorFactory(name=f"Vendor {PAYLOAD}")
    use_case = UseCaseFactory(complete=True, owner=requester, title=f"Title {PAYLOAD}", summary=f"Summary {PAYLOAD}")
    UseCaseTaskFactory(use_case=use_case, description=f"Task {PAYLOAD}")
    prompt = approved_prompt(requester, reviewer, title=f"Prompt {PAYLOAD}", body=f"Body {PAYLOAD} {{{{x}}}}")
    document = policy(admin_user, key="escaping")
    publish(document, admin_user, body=f"# Rules\n\n{PAYLOAD}\n\n<b onclick=alert(1)>bold</b>")
    client.force_login(admin_user)
    pages = [
        "/usecases/",
        f"/usecases/{use_case.reference}/",
        f"/usecases/{use_case.reference}/roadmap/",
        f"/vendors/{vendor.pk}/",
        "/vendors/",
        "/governance/prompts/",
        f"/governance/prompts/{prompt.pk}/",
        "/governance/policies/escaping/",
        "/dashboard/",
        "/",
    ]
    shown = 0
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert "<script>alert" not in html, url
        assert "<img src=x" not in html, url
        assert not re.search(r"<[a-z]+[^<>]*\son[a-z]+=", html), url
        shown += "&lt;script&gt;alert" in html
    # The payload really reached the pages (escaped), not just got dropped.
    assert shown >= 7


# Every place that marks text safe, and why it is safe. A new one fails this test until
# someone has looked at it and added it here.
REVIEWED_SAFE_MARKS = {
    "governance/education/markdown.py": "Markdown rendered with raw HTML off, then sanitised by nh3",
    "portal/templates/portal/redoc.html": "drf-spectacular's JSON-encoded Redoc settings, not user input",
    "usecases/comments/mentions.py": "the body escaped first; a mention becomes a name through format_html",
}


def test_no_unreviewed_safe_marks_in_code_or_templates():
    pattern = re.compile(r"\|safe\b|mark_safe\(|\{%\s*autoescape\s+off|SafeString\(|format_html\(")
    found = set()
    for folder in ("portal", "usecases", "vendors", "governance", "incidents", "imports", "dashboard"):
        for path in (ROOT / folder).rglob("*"):
            # Plain-text e-mail templates (.txt) turn autoescaping off on purpose: they are not HTML.
            reviewable = path.suffix in (".py", ".html") and "migrations" not in path.parts
            if reviewable and pattern.search(path.read_text(encoding="utf-8")):
                found.add(str(path.relative_to(ROOT)))
    assert found == set(REVIEWED_SAFE_MARKS)


# --- Secrets ---------------------------------------------------------------------------------

SECRET_PATTERNS = {
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "AWS access key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36}\b"),
    "Slack token": re.compile(r"\bxox[abpr]-[A-Za-z0-9-]{10,}"),
    "OpenAI-style key": re.compile(r"\bsk-[A-Za-z0-9]{32,}"),
    "hard-coded Django secret key": re.compile(r"^SECRET_KEY\s*=\s*['\"][^'\"]{16,}['\"]", re.MULTILINE),
    "password in a URL": re.compile(r"[a-z+]+://[^/\s:@'\"]+:([^@\s'\"$]+)@"),
}
# Credentials that are public on purpose: the local CI role, and documentation placeholders.
ALLOWED_URL_PASSWORDS = {"portal", "password", "pass", "p", "...", "{password}"}
SECRET_FILE_NAMES = re.compile(r"(^|/)(\.env|.*\.pem|.*\.key|id_rsa|.*\.p12|var/secret_key)$")


def _tracked_files():
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
    return [name for name in listed.stdout.decode().split("\0") if name]


def test_no_secrets_in_the_repository():
    files = _tracked_files()
    assert len(files) > 100
    problems = [name for name in files if SECRET_FILE_NAMES.search(name)]
    for name in files:
        path = ROOT / name
        if path.suffix in (".mo", ".png", ".xlsx", ".pdf", ".woff2", ".ico") or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        for what, pattern in SECRET_PATTERNS.items():
            for match in pattern.finditer(text):
                if what == "password in a URL" and match.group(1) in ALLOWED_URL_PASSWORDS:
                    continue
                problems.append(f"{name}: {what}: {match.group(0)[:40]}")
    assert problems == []


def test_the_secret_scan_recognises_a_leaked_key(tmp_path):
    # Assembled here so that this file itself holds no such literal.
    leaked = (
        "DATABASE_URL=postgres://portal:" + "Xk9-real-password@db/portal\n"
        "-----BEGIN RSA " + "PRIVATE KEY-----\n"
        "SECRET_KEY" + ' = "k3y-0f-pr0duct10n-n0t-f0r-g1t"\n'
    )
    found = [what for what, pattern in SECRET_PATTERNS.items() if pattern.search(leaked)]
    assert found == ["private key", "hard-coded Django secret key", "password in a URL"]
