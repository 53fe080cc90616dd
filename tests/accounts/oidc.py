"""A real OpenID Connect provider for the tests: tests/oidc_provider/provider.mjs (the
oidc-provider package) in a Node.js process on loopback, and a requests-driven "browser" for
its sign-in form.

The provider reads its state file on every request, so a test changes a person's groups or
disables them between two sign-ins with ``provider.update(...)``."""

import json
import shutil
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

from tests.conftest import require_service

PROVIDER_DIR = Path(__file__).resolve().parents[1] / "oidc_provider"
CLIENT_ID = "portal"
CLIENT_SECRET = "test-client-secret-not-a-real-one"
OTHER_CLIENT_ID = "other-app"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def require_provider():
    node = shutil.which("node")
    installed = (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir()
    require_service(node is not None and installed, "Node.js with tests/oidc_provider/node_modules (npm ci there)")
    return node


class Provider:
    def __init__(self, folder, portal_bases):
        self.node = require_provider()
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.state_path = Path(folder) / "oidc_state.json"
        self.log_path = Path(folder) / "oidc_provider.log"
        clients = [
            {
                "client_id": client_id,
                "client_secret": f"{CLIENT_SECRET}-{client_id}" if client_id != CLIENT_ID else CLIENT_SECRET,
                "redirect_uris": [f"{base}/oidc/callback/" for base in portal_bases],
                "post_logout_redirect_uris": [f"{base}/accounts/login/" for base in portal_bases],
            }
            for client_id in (CLIENT_ID, OTHER_CLIENT_ID)
        ]
        self.state = {"clients": clients, "accounts": {}, "substitute_audience": None}
        self._write()
        self.process = None

    def _write(self):
        temporary = self.state_path.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.state))
        temporary.replace(self.state_path)

    def update(self, *, accounts=None, substitute_audience=...):
        if accounts is not None:
            self.state["accounts"] = accounts
        if substitute_audience is not ...:
            self.state["substitute_audience"] = substitute_audience
        self._write()

    def start(self):
        log = self.log_path.open("w")
        self.process = subprocess.Popen(  # noqa: S603 - our own script
            [self.node, str(PROVIDER_DIR / "provider.mjs"), str(self.port), str(self.state_path)],
            cwd=PROVIDER_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the test OpenID provider exited: {self.log_path.read_text()}")
            try:
                requests.get(f"{self.issuer}/.well-known/openid-configuration", timeout=1).raise_for_status()
                return self
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError(f"the test OpenID provider did not start: {self.log_path.read_text()}")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def settings(self):
        """The portal's SSO settings for this provider (as the SSO_* environment variables give)."""
        return {
            "SSO_ENABLED": True,
            "SSO_PROVIDER_NAME": "Test IdP",
            "SSO_ISSUER": self.issuer,
            "SSO_DISCOVERY_URL": f"{self.issuer}/.well-known/openid-configuration",
            "OIDC_RP_CLIENT_ID": CLIENT_ID,
            "OIDC_RP_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_RP_SCOPES": "openid email profile groups",
        }


def account(email, groups, *, given_name="Hanako", family_name="Yamada", department="it", disabled=False):
    claims = {"given_name": given_name, "family_name": family_name, "department": department, "groups": groups}
    if email is not None:
        claims["email"] = email
    return {**claims, "disabled": disabled}


class ProviderBrowser:
    """The person's browser at the provider (its cookies: the provider's session)."""

    def __init__(self, provider, portal_base):
        self.provider = provider
        self.portal_base = portal_base
        self.session = requests.Session()

    def authorize(self, url, login):
        """Follow the provider from ``url`` (its authorization or end-session URL), signing in as
        ``login`` when it asks; return the first URL that leads back to the portal."""
        for _hop in range(20):
            if url.startswith(self.portal_base):
                return url
            response = self.session.get(url, allow_redirects=False, timeout=10)
            if response.is_redirect:
                url = urljoin(url, response.headers["Location"])
                continue
            assert response.status_code == 200, (response.status_code, response.text[:500])
            assert 'name="login"' in response.text, response.text[:500]
            action = urljoin(url, f"{urlsplit(url).path}/login")
            response = self.session.post(action, data={"login": login}, allow_redirects=False, timeout=10)
            assert response.is_redirect, (response.status_code, response.text[:500])
            url = urljoin(action, response.headers["Location"])
        raise AssertionError("the provider never sent the browser back")
