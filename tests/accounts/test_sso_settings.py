"""Single sign-on is configured by environment variables only; half a configuration stops
start-up naming what is missing, and the client secret never appears in the message."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECRET = "client-secret-that-must-not-leak"
CODE = (
    "from django.conf import settings; "
    "print(settings.SSO_ENABLED, settings.OIDC_RP_CLIENT_ID, settings.SSO_DISCOVERY_URL, "
    "settings.SSO_MAX_SESSION_SECONDS, settings.AUTHENTICATION_BACKENDS[-1])"
)


def run(extra_env, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SSO_") and k not in ("SECRET_KEY", "DATABASE_URL")}
    env.update({"VAR_DIR": str(tmp_path), "DEBUG": "true", **extra_env})
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", CODE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_off_by_default(tmp_path):
    result = run({}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False   28800 portal.auth_backends.LocalPasswordBackend"


def test_on_from_the_environment(tmp_path):
    env = {
        "SSO_ENABLED": "true",
        "SSO_ISSUER": "https://login.example.com/tenant/v2.0/",
        "SSO_CLIENT_ID": "portal",
        "SSO_CLIENT_SECRET": SECRET,
        "SSO_MAX_SESSION_HOURS": "4",
    }
    result = run(env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        "True portal https://login.example.com/tenant/v2.0/.well-known/openid-configuration 14400 "
        "portal.auth_sso.backend.OidcBackend"
    )
    assert SECRET not in result.stdout + result.stderr


@pytest.mark.parametrize(
    "missing, env",
    [
        ("SSO_CLIENT_ID", {"SSO_ISSUER": "https://idp.example.com", "SSO_CLIENT_SECRET": SECRET}),
        ("SSO_CLIENT_SECRET", {"SSO_ISSUER": "https://idp.example.com", "SSO_CLIENT_ID": "portal"}),
        ("SSO_ISSUER", {"SSO_CLIENT_ID": "portal", "SSO_CLIENT_SECRET": SECRET}),
        (
            "SSO_SCOPES",
            {"SSO_ISSUER": "https://i", "SSO_CLIENT_ID": "p", "SSO_CLIENT_SECRET": SECRET, "SSO_SCOPES": "email"},
        ),
    ],
)
def test_half_a_configuration_stops_start_up(tmp_path, missing, env):
    result = run({"SSO_ENABLED": "true", **env}, tmp_path)
    assert result.returncode != 0
    assert missing in result.stderr
    assert SECRET not in result.stderr
