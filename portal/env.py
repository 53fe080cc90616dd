"""Strict reading of environment variables for settings.

django-environ parses URLs well but forgives nonsense (``DEBUG=maybe`` reads as
False). A portal that gates approvals must not start half-configured, so every
reader here raises ``ImproperlyConfigured`` naming the variable and what it expects.
"""

import ipaddress
import os
import secrets
import zoneinfo
from pathlib import Path
from urllib.parse import urlparse

import environ
from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}
DATABASE_SCHEMES = {"postgres", "postgresql", "pgsql", "sqlite"}
BROKER_SCHEMES = {"redis", "rediss", "sentinel", "amqp", "amqps", "pyamqp", "filesystem", "memory"}
EMAIL_SCHEMES = {"smtp", "smtps", "smtp+tls", "smtp+ssl", "consolemail", "filemail", "memorymail", "dummymail"}


class EnvReader:
    def __init__(self, environ_map=None):
        self.environ = os.environ if environ_map is None else environ_map

    def _raw(self, name):
        value = self.environ.get(name)
        return None if value is None or value.strip() == "" else value.strip()

    @staticmethod
    def _fail(name, expected, value):
        raise ImproperlyConfigured(f"Environment variable {name}={value!r} is invalid: expected {expected}.")

    def str(self, name, default):
        value = self._raw(name)
        return default if value is None else value

    def bool(self, name, default):
        value = self._raw(name)
        if value is None:
            return default
        if value.lower() in TRUE_WORDS:
            return True
        if value.lower() in FALSE_WORDS:
            return False
        self._fail(name, "one of true/false, 1/0, yes/no, on/off", value)

    def int(self, name, default):
        value = self._raw(name)
        if value is None:
            return default
        try:
            return int(value)
        except ValueError:
            self._fail(name, "a whole number", value)

    def list(self, name, default):
        value = self._raw(name)
        if value is None:
            return list(default)
        return [item.strip() for item in value.split(",") if item.strip()]

    def networks(self, name, default):
        """Comma-separated IP addresses or networks (10.0.0.5, 10.0.0.0/24, fd00::/8), as text."""
        entries = self.list(name, default)
        for entry in entries:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                self._fail(name, "comma-separated IP addresses or networks such as 10.0.0.5 or 10.0.0.0/24", entry)
        return entries

    def path(self, name, default):
        value = self._raw(name)
        return Path(value).resolve() if value else Path(default)

    def choice(self, name, default, allowed):
        value = self._raw(name)
        if value is None:
            return default
        if value not in allowed:
            self._fail(name, "one of " + ", ".join(allowed), value)
        return value

    def timezone(self, name, default):
        value = self._raw(name)
        if value is None:
            return default
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            self._fail(name, "an IANA time zone such as Asia/Tokyo or UTC", value)
        return value

    def secret_key(self, name, debug, key_file):
        value = self._raw(name)
        if value is not None:
            if len(value) < 32:
                self._fail(name, "at least 32 characters", "<hidden>")
            return value
        if not debug:
            raise ImproperlyConfigured(
                f"Environment variable {name} must be set when DEBUG is off "
                "(a long random string, the same on every web and worker host)."
            )
        # Local runs: generate once and keep it, so sessions survive restarts.
        key_file = Path(key_file)
        if not key_file.exists():
            key_file.parent.mkdir(parents=True, exist_ok=True)
            key_file.write_text(secrets.token_urlsafe(50))
            key_file.chmod(0o600)
        return key_file.read_text().strip()

    def _url(self, name, default, schemes, expected):
        """The URL in ``name`` (or ``default``) and its scheme, which must be one of ``schemes``."""
        value = self._raw(name) or default
        scheme = value.split("://", 1)[0] if "://" in value else ""
        if scheme not in schemes:
            self._fail(name, expected, value)
        return value, scheme

    def db(self, name, default):
        value, _scheme = self._url(
            name, default, DATABASE_SCHEMES, "a postgres://user:pass@host:port/name or sqlite:////path URL"
        )
        config = environ.Env.db_url_config(value)
        if config["ENGINE"] == "django.db.backends.sqlite3":
            Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        elif not config.get("NAME"):
            self._fail(name, "a URL that names the database", value)
        return config

    def broker_url(self, name, default):
        return self._url(name, default, BROKER_SCHEMES, "a redis://, amqp:// or filesystem:// URL")[0]

    def email(self, name, default):
        value, scheme = self._url(name, default, EMAIL_SCHEMES, "one of " + ", ".join(sorted(EMAIL_SCHEMES)) + " URLs")
        config = environ.Env.email_url_config(value)
        if scheme == "filemail":
            # django-environ drops the leading slash of an absolute path; keep the path as written.
            parsed = urlparse(value)
            config["EMAIL_FILE_PATH"] = str(Path(parsed.netloc + parsed.path).resolve())
            Path(config["EMAIL_FILE_PATH"]).mkdir(parents=True, exist_ok=True)
        return config

    def site_url(self, name, host_name="HOST", port_names=("SITE_PORT", "PORT")):
        """``name`` when set; else the address ``make run`` serves: http://HOST:PORT.

        honcho gives every process of the Procfile a PORT of its own (web 8000, worker 8100,
        beat 8200), so the Makefile also passes the web's port as SITE_PORT, read first: the
        worker, which sends the e-mails, then links to the web process too. A wildcard host
        (0.0.0.0, ::) is not an address to link to: this machine (127.0.0.1) is named instead."""
        value = self._raw(name)
        if value is not None:
            if urlparse(value).scheme not in ("http", "https") or not urlparse(value).netloc:
                self._fail(name, "an http:// or https:// URL such as https://portal.example.com", value)
            return value.rstrip("/")
        host = self.str(host_name, "127.0.0.1")
        port = 8000
        for port_name in port_names:
            if self._raw(port_name) is not None:
                port = self.int(port_name, port)
                if not 0 < port < 65536:
                    self._fail(port_name, "a port number from 1 to 65535", port)
                break
        if host in ("0.0.0.0", "::", "[::]", "*"):  # noqa: S104 - compared, not bound
            host = "127.0.0.1"
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"  # an IPv6 address in a URL
        return f"http://{host}:{port}"
