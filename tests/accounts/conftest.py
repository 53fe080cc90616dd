import pytest

from portal.auth_sso import provider as sso_provider
from tests.accounts.oidc import Provider

PORTAL = "http://testserver"


@pytest.fixture(scope="module")
def oidc_provider(tmp_path_factory):
    """One provider process per module; the Django test client's host is its redirect URI."""
    provider = Provider(tmp_path_factory.mktemp("oidc"), [PORTAL]).start()
    yield provider
    provider.stop()


@pytest.fixture
def sso(settings, oidc_provider):
    """Single sign-on switched on against the test provider, as the SSO_* variables would."""
    for name, value in oidc_provider.settings().items():
        setattr(settings, name, value)
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, "portal.auth_sso.backend.OidcBackend"]
    sso_provider.clear_cache()
    oidc_provider.update(accounts={}, substitute_audience=None)
    yield oidc_provider
    sso_provider.clear_cache()
