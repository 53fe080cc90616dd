"""Configuration from the environment: defaults, and bad values that stop start-up."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.env import EnvReader

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "name, value, reader",
    [
        ("DEBUG", "maybe", lambda env: env.bool("DEBUG", False)),
        ("CONN_MAX_AGE", "ten", lambda env: env.int("CONN_MAX_AGE", 60)),
        ("TIME_ZONE", "Mars/Olympus", lambda env: env.timezone("TIME_ZONE", "Asia/Tokyo")),
        ("LANGUAGE_CODE", "fr", lambda env: env.choice("LANGUAGE_CODE", "ja", ["ja", "en"])),
        ("DATABASE_URL", "mysql://x@y/z", lambda env: env.db("DATABASE_URL", "sqlite:////tmp/x.sqlite3")),
        ("DATABASE_URL", "not a url", lambda env: env.db("DATABASE_URL", "sqlite:////tmp/x.sqlite3")),
        ("EMAIL_URL", "pigeon://coop", lambda env: env.email("EMAIL_URL", "consolemail://")),
        ("CELERY_BROKER_URL", "localhost:6379", lambda env: env.broker_url("CELERY_BROKER_URL", "filesystem://")),
        ("SECRET_KEY", "short", lambda env: env.secret_key("SECRET_KEY", debug=False, key_file="/nonexistent")),
    ],
)
def test_bad_values_name_the_variable(name, value, reader):
    with pytest.raises(ImproperlyConfigured, match=name):
        reader(EnvReader({name: value}))


def test_secret_key_required_without_debug_and_generated_with_it(tmp_path):
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY must be set"):
        EnvReader({}).secret_key("SECRET_KEY", debug=False, key_file=tmp_path / "key")
    first = EnvReader({}).secret_key("SECRET_KEY", debug=True, key_file=tmp_path / "key")
    assert len(first) >= 50
    assert EnvReader({}).secret_key("SECRET_KEY", debug=True, key_file=tmp_path / "key") == first


def test_values_are_parsed(tmp_path):
    env = EnvReader(
        {
            "DEBUG": "yes",
            "ALLOWED_HOSTS": "portal.example.com, 10.0.0.5",
            "DATABASE_URL": "postgres://u:p@db:5432/portal",
            "EMAIL_URL": f"filemail://{tmp_path}/mail",
        }
    )
    assert env.bool("DEBUG", False) is True
    assert env.list("ALLOWED_HOSTS", []) == ["portal.example.com", "10.0.0.5"]
    database = env.db("DATABASE_URL", "")
    assert (database["ENGINE"], database["NAME"], database["HOST"]) == (
        "django.db.backends.postgresql",
        "portal",
        "db",
    )
    assert env.email("EMAIL_URL", "")["EMAIL_FILE_PATH"] == f"{tmp_path}/mail"
    assert (tmp_path / "mail").is_dir()


def _start(extra_env, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY")}
    env.update({"VAR_DIR": str(tmp_path), "DEBUG": "true", **extra_env})
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_start_up_stops_with_a_message_naming_the_variable(tmp_path):
    result = _start({"TIME_ZONE": "Nowhere/Land"}, tmp_path)
    assert result.returncode != 0
    assert "TIME_ZONE" in result.stderr and "Nowhere/Land" in result.stderr


def test_embedded_defaults_live_under_var_dir(tmp_path):
    result = _start({}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "secret_key").exists()
    assert (tmp_path / "celery" / "control").is_dir()
    assert (tmp_path / "mail").is_dir()


def test_production_without_secret_key_refuses_to_start(tmp_path):
    result = _start({"DEBUG": "false"}, tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    # One clear message, not a chain of tracebacks.
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("Configuration error: Environment variable SECRET_KEY")


# --- SITE_URL: links in e-mails follow `make run`'s HOST and PORT unless set ------------------------


@pytest.mark.parametrize(
    ("environ_map", "expected"),
    [
        ({}, "http://127.0.0.1:8000"),
        ({"PORT": "8801"}, "http://127.0.0.1:8801"),
        ({"HOST": "localhost", "PORT": "8080"}, "http://localhost:8080"),
        # honcho gives the worker PORT=8100; the web's port, passed as SITE_PORT, wins.
        ({"PORT": "8901", "SITE_PORT": "8801"}, "http://127.0.0.1:8801"),
        ({"HOST": "0.0.0.0", "PORT": "8801"}, "http://127.0.0.1:8801"),  # noqa: S104
        ({"HOST": "::1", "PORT": "8801"}, "http://[::1]:8801"),
        ({"SITE_URL": "https://portal.example.com/", "PORT": "8801"}, "https://portal.example.com"),
    ],
)
def test_site_url_follows_host_and_port_unless_set(environ_map, expected):
    assert EnvReader(environ_map).site_url("SITE_URL") == expected


@pytest.mark.parametrize(
    ("name", "value"),
    [("SITE_URL", "portal.example.com"), ("SITE_URL", "ftp://x"), ("PORT", "eighty"), ("SITE_PORT", "70000")],
)
def test_a_bad_site_url_or_port_names_the_variable(name, value):
    with pytest.raises(ImproperlyConfigured, match=name):
        EnvReader({name: value}).site_url("SITE_URL")


def _site_url(extra_env, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("SITE_URL", "SITE_PORT", "PORT", "HOST", "SECRET_KEY")}
    env.update({"VAR_DIR": str(tmp_path), "DEBUG": "true", **extra_env})
    code = "from django.conf import settings; print(settings.SITE_URL)"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_the_settings_take_site_url_from_the_environment_make_run_gives_every_process(tmp_path):
    """What `make run PORT=8801` hands honcho (HOST, PORT, SITE_PORT), as the worker sees it after
    honcho gave it its own PORT: the links name the web's port."""
    make = subprocess.run(
        ["make", "-n", "run", "PORT=8801"], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    honcho = next(line for line in make.stdout.splitlines() if "honcho start" in line)
    assert "PORT=8801 HOST=127.0.0.1 SITE_PORT=8801 " in honcho
    assert _site_url({"HOST": "127.0.0.1", "PORT": "8901", "SITE_PORT": "8801"}, tmp_path) == "http://127.0.0.1:8801"
    assert _site_url({"SITE_URL": "https://portal.example.com"}, tmp_path) == "https://portal.example.com"
