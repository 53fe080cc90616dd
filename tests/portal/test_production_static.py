"""Production as README documents it: ``collectstatic`` with the production storage (hashed,
compressed, a manifest) succeeds, and pages render with DEBUG off from what it wrote.

Regression: the vendored ``chart.umd.min.js`` names ``chart.umd.min.js.map`` in its
``sourceMappingURL`` comment; the manifest storage rewrites that reference and failed because
the map was not in the repository, so collectstatic stopped, no manifest was written and every
HTML page answered 500 while /health/ answered 200.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client, override_settings

from tests.factories import UseCaseFactory

PRODUCTION_STATIC = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
VENDOR = Path(django_settings.BASE_DIR) / "portal" / "static" / "vendor"
SOURCE_MAP = re.compile(rb"[#@] sourceMappingURL=(\S+?)(?:\s*\*/)?\s*$", re.MULTILINE)


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    """README's `manage.py collectstatic --no-input` with the production storage, once per module."""
    root = tmp_path_factory.mktemp("static")
    with override_settings(STORAGES=PRODUCTION_STATIC, STATIC_ROOT=root, WHITENOISE_USE_FINDERS=False, DEBUG=False):
        call_command("collectstatic", interactive=False, verbosity=0)
    return root


@pytest.fixture
def production(static_root, settings):
    settings.DEBUG = False
    settings.STORAGES = PRODUCTION_STATIC
    settings.STATIC_ROOT = static_root
    settings.WHITENOISE_USE_FINDERS = False
    return static_root


def test_collectstatic_writes_a_manifest_naming_every_vendored_file(static_root):
    import json

    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    vendored = {path.relative_to(VENDOR.parent).as_posix() for path in VENDOR.rglob("*") if path.is_file()}
    assert vendored <= manifest.keys()
    assert "vendor/chartjs/chart.umd.min.js.map" in manifest
    hashed = static_root / manifest["vendor/chartjs/chart.umd.min.js"]
    assert hashed.with_name(hashed.name + ".gz").exists()  # compressed too (whitenoise)


def test_every_source_map_a_static_file_names_is_there():
    """The check collectstatic makes, file by file, with the file named: each sourceMappingURL
    comment of the project's static files points at a file that exists next to it."""
    missing = []
    for path in Path(django_settings.BASE_DIR).glob("*/static/**/*"):
        if path.suffix not in (".js", ".css") or ".venv" in path.parts:
            continue
        for reference in SOURCE_MAP.findall(path.read_bytes()):
            target = reference.decode()
            if not target.startswith("data:") and not (path.parent / target).exists():
                missing.append(f"{path}: {target}")
    assert missing == []
    assert finders.find("vendor/chartjs/chart.umd.min.js.map")


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["anonymous", "executive"])
def test_pages_render_with_debug_off_from_the_collected_files(production, personas, persona, requester):
    UseCaseFactory(owner=requester, complete=True)
    client = Client()  # a new handler: whitenoise reads STATIC_ROOT when it starts
    assert django_settings.DEBUG is False
    if persona == "anonymous":
        pages = ["/accounts/login/"]
    else:
        client.force_login(personas[persona])
        pages = ["/", "/dashboard/", "/usecases/"]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
        assert any("chart.umd.min." in asset for asset in assets) or url != "/dashboard/"
        for asset in assets:  # hashed names, served by whitenoise from STATIC_ROOT
            assert re.search(r"\.[0-9a-f]{12}\.", asset), asset
            served = client.get(asset)
            assert served.status_code == 200, asset
            b"".join(served.streaming_content)


@pytest.mark.django_db
def test_health_is_ok_once_collectstatic_has_run(production):
    response = Client().get("/health/")
    assert (response.status_code, response.json()) == (200, {"database": "ok", "broker": "ok", "pages": "ok"})
