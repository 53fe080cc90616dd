"""Settings for the AI governance portal.

Everything that differs between a laptop and production comes from environment
variables (12-factor, django-environ). The defaults run the whole product with no
server: SQLite and Celery's filesystem broker, both under ``var/``. A bad value
stops start-up with an ``ImproperlyConfigured`` error naming the variable.
"""

from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from portal.env import EnvReader

BASE_DIR = Path(__file__).resolve().parent.parent
env = EnvReader()

# var/ holds everything a local run writes: database, broker queues, mail, secret key.
VAR_DIR = env.path("VAR_DIR", BASE_DIR / "var")

DEBUG = env.bool("DEBUG", False)
SECRET_KEY = env.secret_key("SECRET_KEY", debug=DEBUG, key_file=VAR_DIR / "secret_key")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_countries",
    "django_celery_beat",
    "axes",
    "csp",
    "portal",
    "vendors",
    "usecases",
    "governance",
    "imports",
    "incidents",
    # Last: the roof that looks across every app above (home page, dashboard, API root).
    "dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.gzip.GZipMiddleware",  # below whitenoise (static files come precompressed)
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # After the language is known (its message is translated), before anything reads the body.
    "portal.middleware.RequestSizeLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Ends a single sign-on session older than SSO_MAX_SESSION_HOURS (nothing else).
    "portal.auth_sso.middleware.SessionAgeMiddleware",
    "portal.middleware.WriteTransactionMiddleware",  # late: a write's transaction holds just the view
    # Last, so it sees the outcome of every login attempt (django-axes).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dashboard.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dashboard.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", f"sqlite:///{VAR_DIR / 'portal.sqlite3'}")}
# Django's backends with the project's guarantees on top (portal/db/backends): the audit
# table stays append-only outside a maintenance flush, and SQLite range-checks integers
# as PostgreSQL does.
PORTAL_BACKENDS = {
    "django.db.backends.sqlite3": "portal.db.backends.sqlite3",
    "django.db.backends.postgresql": "portal.db.backends.postgresql",
}
DATABASES["default"]["ENGINE"] = PORTAL_BACKENDS.get(DATABASES["default"]["ENGINE"], DATABASES["default"]["ENGINE"])
if DATABASES["default"]["ENGINE"] == "portal.db.backends.sqlite3":
    # A file (not :memory:) so a Celery worker process can see the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
    # Wait for the write lock rather than failing at once when web and worker write.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("timeout", 20)
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", 60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
    if DATABASES["default"]["ENGINE"] == "portal.db.backends.postgresql" and env.bool("DATABASE_JIT_OFF", True):
        # The adoption aggregates are short queries that PostgreSQL's JIT makes 2-3x slower
        # (benches/README.md); DATABASE_JIT_OFF=false keeps the server's setting.
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()
# Reads open no transaction; every request that may write is one, whatever DATABASE_URL says
# (portal.middleware.WriteTransactionMiddleware).
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = [
    # Refuses a locked-out login before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    # Django's password check, refused for everyone but the break-glass accounts when
    # SSO_LOCAL_LOGIN is off (portal/auth_backends.py).
    "portal.auth_backends.LocalPasswordBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env.int("PASSWORD_MIN_LENGTH", 12)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Internationalisation ---------------------------------------------------------
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LANGUAGE_CODE = env.choice("LANGUAGE_CODE", "ja", [code for code, _name in LANGUAGES])
TIME_ZONE = env.timezone("TIME_ZONE", "Asia/Tokyo")
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

# --- Static files (served by whitenoise; nothing from a CDN) ------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", VAR_DIR / "static")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", VAR_DIR / "media")
# Tests and `make run` serve straight from the app folders; production runs
# collectstatic and serves hashed, compressed files.
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if WHITENOISE_USE_FINDERS
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- E-mail ------------------------------------------------------------------------
vars().update(env.email("EMAIL_URL", f"filemail://{VAR_DIR / 'mail'}"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", "ai-portal@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Absolute links in e-mails (reminders, notifications). Unset: where `make run` serves, from its
# HOST and PORT (see EnvReader.site_url); production sets its public https:// address.
SITE_URL = env.site_url("SITE_URL")

# --- Reminders (governance.reminders) -------------------------------------------------
REMINDER_SCAN_CHUNK = env.int("REMINDER_SCAN_CHUNK", 1000)  # items read per query by the scan
REMINDER_SEND_BATCH = env.int("REMINDER_SEND_BATCH", 50)  # rows claimed per batch by a sender
REMINDER_SEND_SECONDS = env.int("REMINDER_SEND_SECONDS", 180)  # one sender task's time budget
# A claimed row whose outcome is not recorded within this time is taken again (crash recovery).
REMINDER_CLAIM_TIMEOUT = env.int("REMINDER_CLAIM_TIMEOUT", 600)
REMINDER_MAX_ATTEMPTS = env.int("REMINDER_MAX_ATTEMPTS", 5)
REMINDER_RETRY_BASE_SECONDS = env.int("REMINDER_RETRY_BASE_SECONDS", 60)  # doubled per attempt, at most 1 h
# Workflow notices (governance.notify): chat webhook timeout; the key encrypting webhook URLs and
# vendor links in the outbox (a Fernet key; empty: derived from SECRET_KEY).
CHAT_WEBHOOK_TIMEOUT = env.int("CHAT_WEBHOOK_TIMEOUT", 10)
NOTIFY_ENCRYPTION_KEY = env.str("NOTIFY_ENCRYPTION_KEY", "")

# --- Vendor assessments ---------------------------------------------------------------
ASSESSMENT_LINK_DAYS = env.int("ASSESSMENT_LINK_DAYS", 30)
# The group whose members triage and handle every AI incident (created by the incidents migrations).
INCIDENT_MANAGER_GROUP = env.str("INCIDENT_MANAGER_GROUP", "incident_manager")
ASSESSMENT_VALIDITY_MONTHS = env.int("ASSESSMENT_VALIDITY_MONTHS", 12)
# Spreadsheet imports (imports app): what a file may hold, and from how many rows it runs in the background.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", 10 * 1024 * 1024)
IMPORT_MAX_UNPACKED_BYTES = env.int("IMPORT_MAX_UNPACKED_BYTES", 100 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", 20_000)
IMPORT_MAX_COLUMNS = env.int("IMPORT_MAX_COLUMNS", 200)
IMPORT_BACKGROUND_ROWS = env.int("IMPORT_BACKGROUND_ROWS", 500)
EVIDENCE_MAX_BYTES = env.int("EVIDENCE_MAX_MB", 10) * 1024 * 1024
# Requests larger than the evidence limit (plus the form) are refused before Django reads them.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Use-case comments ----------------------------------------------------------------
# How long the author of a use-case comment may still correct it.
COMMENT_EDIT_WINDOW_MINUTES = env.int("COMMENT_EDIT_WINDOW_MINUTES", 15)

# --- Security ------------------------------------------------------------------------
# Production is served over TLS (a proxy or load balancer in front of gunicorn); a laptop
# run (DEBUG) is plain HTTP. Each default can be overridden by its environment variable.
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# The form-expired page in the portal's layout (portal/errors.py).
CSRF_FAILURE_VIEW = "portal.errors.csrf_failure"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", 12 * 60 * 60)  # a working day, not two weeks
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", False) else None
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", not DEBUG)
# Load balancers probe the health check over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 60 * 60)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", True)
X_FRAME_OPTIONS = "DENY"
# Scripts and styles only from our own static files (no inline code, no CDN); the API docs
# pages relax this per view (portal.views.ApiDocsView, ApiRedocView).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # Bootstrap draws its icons as data: SVG images.
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Login throttling (django-axes, portal.throttling): after AXES_FAILURE_LIMIT failed logins
# for one username from one address, that pair is refused; after AXES_IP_FAILURE_LIMIT
# failures from one address (any usernames: password spraying), the address is; both for
# AXES_COOLOFF_MINUTES. Never by username alone, so nobody can lock a colleague out from
# elsewhere. Counters live in the database, so every web host sees them.
AXES_ENABLED = env.bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", 5)
AXES_IP_FAILURE_LIMIT = env.int("AXES_IP_FAILURE_LIMIT", 30)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_HANDLER = "portal.throttling.LoginThrottleHandler"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "portal.views.login_locked_out"
# The client's address is the socket peer; X-Forwarded-For is read only when the peer is
# one of these proxies (addresses or networks, comma-separated). Default: trust none.
TRUSTED_PROXIES = env.networks("TRUSTED_PROXIES", [])
AXES_CLIENT_IP_CALLABLE = "portal.throttling.client_ip"
# Whole request bodies above this are refused with 413 before they are read (uploads
# included; Django's own limit excludes files). Vendor questionnaires carry several files.
MAX_REQUEST_BYTES = env.int("MAX_REQUEST_MB", 50) * 1024 * 1024

# --- Single sign-on (OpenID Connect, mozilla-django-oidc) and password reset -------------
# Off unless SSO_ENABLED: then SSO_CLIENT_ID, SSO_CLIENT_SECRET and SSO_ISSUER (or
# SSO_DISCOVERY_URL, or the four explicit endpoints) are required. README, "Single sign-on".
SSO_ENABLED = env.bool("SSO_ENABLED", False)
SSO_PROVIDER_NAME = env.str("SSO_PROVIDER_NAME", "")  # on the sign-in button; empty: "your organisation"
SSO_ISSUER = env.str("SSO_ISSUER", "").rstrip("/")
SSO_DISCOVERY_URL = env.str("SSO_DISCOVERY_URL", f"{SSO_ISSUER}/.well-known/openid-configuration" if SSO_ISSUER else "")
OIDC_OP_AUTHORIZATION_ENDPOINT = env.str("SSO_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = env.str("SSO_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = env.str("SSO_USERINFO_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = env.str("SSO_JWKS_ENDPOINT", "")
SSO_END_SESSION_ENDPOINT = env.str("SSO_END_SESSION_ENDPOINT", "")
OIDC_RP_CLIENT_ID = env.str("SSO_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = env.str("SSO_CLIENT_SECRET", "")  # never logged, never shown
OIDC_RP_SCOPES = env.str("SSO_SCOPES", "openid email profile")
OIDC_RP_SIGN_ALGO = env.choice("SSO_SIGN_ALGORITHM", "RS256", ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"])
OIDC_USE_PKCE = env.bool("SSO_USE_PKCE", True)
OIDC_TIMEOUT = env.int("SSO_TIMEOUT_SECONDS", 10)
OIDC_STORE_ID_TOKEN = True  # the hint of the provider's logout
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_authentication_callback"
SSO_CLAIMS = {
    "email": env.str("SSO_CLAIM_EMAIL", "email"),
    "given_name": env.str("SSO_CLAIM_GIVEN_NAME", "given_name"),
    "family_name": env.str("SSO_CLAIM_FAMILY_NAME", "family_name"),
    "department": env.str("SSO_CLAIM_DEPARTMENT", "department"),
    "groups": env.str("SSO_CLAIM_GROUPS", "groups"),
    # A claim that is false (or "false") for a person disabled at the provider, when it sends one.
    "active": env.str("SSO_CLAIM_ACTIVE", "active"),
}
SSO_MAX_SESSION_SECONDS = env.int("SSO_MAX_SESSION_HOURS", 8) * 60 * 60
SSO_PROVIDER_LOGOUT = env.bool("SSO_PROVIDER_LOGOUT", True)  # RP-initiated logout when the provider has it
# Password sign-in: with SSO_LOCAL_LOGIN off, only these usernames may still use a password.
SSO_LOCAL_LOGIN = env.bool("SSO_LOCAL_LOGIN", True)
SSO_BREAK_GLASS_USERS = env.list("SSO_BREAK_GLASS_USERS", [])
if SSO_ENABLED:
    for _name, _value in (("SSO_CLIENT_ID", OIDC_RP_CLIENT_ID), ("SSO_CLIENT_SECRET", OIDC_RP_CLIENT_SECRET)):
        if not _value:
            raise ImproperlyConfigured(f"Environment variable {_name} must be set when SSO_ENABLED is on.")
    _explicit = (OIDC_OP_AUTHORIZATION_ENDPOINT, OIDC_OP_TOKEN_ENDPOINT, OIDC_OP_USER_ENDPOINT, OIDC_OP_JWKS_ENDPOINT)
    if not SSO_DISCOVERY_URL and not (SSO_ISSUER and all(_explicit)):
        raise ImproperlyConfigured(
            "Environment variable SSO_ISSUER (or SSO_DISCOVERY_URL) must be set when SSO_ENABLED is on "
            "(or SSO_ISSUER with SSO_AUTHORIZATION_ENDPOINT, SSO_TOKEN_ENDPOINT, SSO_USERINFO_ENDPOINT "
            "and SSO_JWKS_ENDPOINT)."
        )
    if "openid" not in OIDC_RP_SCOPES.split():
        raise ImproperlyConfigured(f"Environment variable SSO_SCOPES={OIDC_RP_SCOPES!r} is invalid: add openid.")
    AUTHENTICATION_BACKENDS.append("portal.auth_sso.backend.OidcBackend")
# Password reset by e-mail (Django's views, sent at once through Django's mail): the link
# works once and for PASSWORD_RESET_MINUTES; at most PASSWORD_RESET_PER_HOUR requests per
# address and per e-mail.
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_MINUTES", 60) * 60
PASSWORD_RESET_PER_HOUR = env.int("PASSWORD_RESET_PER_HOUR", 5)

# --- REST framework and OpenAPI --------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an anonymous request gets 401 with a WWW-Authenticate header.
        "portal.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Filters and ordering that refuse what they do not understand (portal/api/filters.py).
    "DEFAULT_FILTER_BACKENDS": [
        "portal.api.filters.StrictFilterBackend",
        "portal.api.filters.StrictOrderingFilter",
    ],
    # JSON only, nested at most portal.api.parsers.MAX_DEPTH levels (views that take uploads add multipart).
    "DEFAULT_PARSER_CLASSES": ["portal.api.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "portal.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_VERSIONING_CLASS": None,
    # Service errors (rule violations, Django validation and permission errors) become answers here.
    "EXCEPTION_HANDLER": "portal.api.exceptions.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": _("AI governance portal API"),
    "DESCRIPTION": _("Use cases, vendors and governance of the organisation's AI adoption."),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # English identifiers (component, enum and type names) in every language (portal/api/schema.py).
    "DEFAULT_GENERATOR_CLASS": "portal.api.schema.SchemaGenerator",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # The 400/401/403/404 answers every operation can give, documented once (portal/api/schema.py).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "portal.api.schema.add_error_responses"],
    # One named enum per choice set, so clients get stable type names.
    "ENUM_NAME_OVERRIDES": {
        "DataClassificationEnum": "portal.choices.DataClassification",
        "UseCaseStatusEnum": "usecases.choices.UseCaseStatus",
        "VendorStatusEnum": "vendors.choices.VendorStatus",
        "AIModelStatusEnum": "vendors.choices.AIModelStatus",
        "AssessmentStatusEnum": "vendors.choices.AssessmentStatus",
        "TemplateVersionStatusEnum": "vendors.choices.TemplateVersionStatus",
        "CountryEnum": "django_countries.countries",
        "StageDecisionEnum": "governance.choices.StageDecision",
        "AssessmentDecisionEnum": "vendors.choices.AssessmentDecision",
        "UseCaseAudienceEnum": "usecases.choices.UseCaseAudience",
        "TemplateAudienceEnum": "vendors.choices.TemplateAudience",
        "RiskTierEnum": "usecases.choices.RiskTier",
        "DeploymentStyleEnum": "usecases.choices.DeploymentStyle",
        "PolicyVersionStatusEnum": "governance.education.choices.PolicyVersionStatus",
        "TaskKindEnum": "dashboard.choices.TaskKind",
        "TaskSubjectEnum": "dashboard.choices.TaskSubject",
        "ImportKindEnum": "imports.choices.ImportKind",
        "ImportStatusEnum": "imports.choices.ImportStatus",
        "ImportRowOutcomeEnum": "imports.choices.RowOutcome",
        "IncidentSeverityEnum": "incidents.choices.Severity",
        "IncidentActionKindEnum": "incidents.choices.ActionKind",
        "IncidentCategoryEnum": "incidents.choices.Category",
        "IncidentStateEnum": "incidents.choices.IncidentState",
        "IncidentChannelEnum": "incidents.choices.Channel",
        "IncidentClockEnum": "incidents.choices.Clock",
        # The use-case category keeps the name it had before the incident categories came.
        "CategoryEnum": "usecases.choices.UseCaseCategory",
        "SeverityEnum": "governance.choices.FindingSeverity",
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Celery ------------------------------------------------------------------------------
CELERY_BROKER_URL = env.broker_url("CELERY_BROKER_URL", "filesystem://localhost/")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue = VAR_DIR / "celery" / "queue"
    _folders = {
        "data_folder_in": _queue,
        "data_folder_out": _queue,
        "processed_folder": VAR_DIR / "celery" / "processed",
        "control_folder": VAR_DIR / "celery" / "control",
    }
    for _folder in _folders.values():
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {key: str(folder) for key, folder in _folders.items()}
else:
    # Redis: a task not acknowledged within an hour is delivered again.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", 300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", 240)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# The beat schedule, in one place. After every migrate, portal.schedule creates the rows
# missing from django-celery-beat's tables; a row that exists is left as it is, so an
# administrator's change in the admin (times, enabled) survives upgrades. Tasks by their
# registered names: the portal imports no domain app. A crontab is
# "minute hour day-of-month month day-of-week" in its own time zone.
# Tasks removed from the code: their beat rows are deleted after migrate.
RETIRED_PERIODIC_TASKS = ["usecases.tasks.notify_pending_submissions"]  # now the notification outbox
PERIODIC_TASKS = [
    {
        "name": "Refresh cost estimates (daily 03:00)",
        "task": "usecases.tasks.refresh_cost_estimates",
        "crontab": "0 3 * * *",
        "timezone": "Asia/Tokyo",
        "description": "Recomputes the stored cost estimates, catching up a refresh the broker missed.",
    },
    {
        "name": "Re-run policy checks of open use cases",
        "task": "governance.tasks.recheck_open_use_cases",
        "interval": (1, "days"),
        "description": "Re-runs the policy checks, so expirations show up as findings.",
    },
    {
        "name": "Scan reminders (hourly)",
        "task": "governance.tasks.scan_reminders",
        "interval": (1, "hours"),
        "description": "Writes an outbox row for every reminder that has fallen due.",
    },
    {
        "name": "Send due reminders (every minute)",
        "task": "governance.tasks.send_due_reminders",
        "interval": (1, "minutes"),
        "description": "Sends the reminders waiting in the outbox.",
    },
    {
        "name": "Send reminder digests (daily 08:00)",
        "task": "governance.tasks.send_reminder_digests",
        "crontab": "0 8 * * *",
        "timezone": "Asia/Tokyo",
        "description": "Sends the daily digest to users who chose one.",
    },
]

# --- Logging -----------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", "INFO")},
}
