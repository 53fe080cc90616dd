"""A Python client generated from the served schema works without edits.

openapi-python-client generates a client from ``/api/schema/`` as served in Japanese (the
default language) and in English, once per test session; every generated module must
import, both clients must be the same code apart from their docstrings (identifiers are
English whatever the language), and the generated functions, with a real personal API
token against a live server, list the use cases and read the adoption summary.
"""

import difflib
import importlib
import pathlib
import pkgutil
import subprocess
import sys

import pytest
from django.test import Client

from portal.services import create_api_token
from tests.factories import UseCaseFactory

GENERATOR = pathlib.Path(sys.executable).with_name("openapi-python-client")
# The generated code is imported as is: ruff's formatting (the default post hook) changes nothing
# it runs. Nothing else is configured: the Excel exports also document application/octet-stream.
CONFIG = "post_hooks: []\n"
LANGUAGES = {"ja": {}, "en": {"lang": "en"}}


def _generate(directory, language):
    """Generate the client of the schema served in ``language``; return (package name, path)."""
    response = Client().get("/api/schema/", {**LANGUAGES[language], "format": "json"}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    schema = directory / f"schema-{language}.json"
    schema.write_bytes(response.content)
    config = directory / "config.yaml"
    config.write_text(CONFIG)
    package = f"portal_client_{language}"
    result = subprocess.run(
        [GENERATOR, "generate", "--path", schema, "--output-path", directory / package, "--meta", "none"]
        + ["--config", config, "--overwrite"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # The generator reports a schema it cannot turn into code as a warning and leaves it out.
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    return package, directory / package


@pytest.fixture(scope="session")
def clients(tmp_path_factory, django_db_blocker):
    if not GENERATOR.exists():
        pytest.fail(f"{GENERATOR} is missing: pip install -r requirements-dev.txt")
    directory = tmp_path_factory.mktemp("generated-client")
    with django_db_blocker.unblock():
        generated = {language: _generate(directory, language) for language in LANGUAGES}
    sys.path.insert(0, str(directory))
    yield generated
    sys.path.remove(str(directory))


def _modules(package, path):
    return [module.name for module in pkgutil.walk_packages([str(path)], f"{package}.")]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_generated_module_imports(clients, language):
    package, path = clients[language]
    names = _modules(package, path)
    failures = {}
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as error:  # noqa: BLE001 - every failure is reported, not only the first
            failures[name] = repr(error)
    assert not failures
    # Every operation of the schema has its module (124 operations today).
    assert sum(".api." in name and not name.endswith("__init__") for name in names) >= 120


def test_the_client_is_the_same_code_in_every_language(clients):
    """Only the docstrings differ: names of modules, types, enums and functions are English."""
    ja_path, en_path = clients["ja"][1], clients["en"][1]
    ja_files = sorted(path.relative_to(ja_path) for path in ja_path.rglob("*.py"))
    en_files = sorted(path.relative_to(en_path) for path in en_path.rglob("*.py"))
    assert ja_files == en_files
    assert all(str(path).isascii() for path in en_files)
    assert any(path.name == "use_case_status_enum.py" for path in en_files)
    for relative in en_files:
        ja_text = (ja_path / relative).read_text()
        en_text = (en_path / relative).read_text()
        changed = [
            line
            for line in difflib.unified_diff(en_text.splitlines(), ja_text.splitlines(), lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))
        ]
        # Whatever differs is prose: a line of the English client with words in it, and the
        # Japanese line that translates it (never a changed name or statement).
        for line in changed:
            if line.startswith("+"):
                assert not line[1:].strip().isascii() or not line[1:].strip(), (relative, line)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_generated_client_lists_use_cases_and_reads_the_adoption_summary(clients, live_server, executive):
    package, _path = clients["en"]
    client_module = importlib.import_module(f"{package}.client")
    use_cases_list = importlib.import_module(f"{package}.api.use_cases.use_cases_list")
    summary_retrieve = importlib.import_module(f"{package}.api.adoption.adoption_summary_retrieve")
    use_case = UseCaseFactory(complete=True, title="Draft replies to customer e-mails")
    _token, key = create_api_token(executive, "generated client")

    client = client_module.AuthenticatedClient(base_url=live_server.url, token=key, prefix="Token")
    with client as session:
        page = use_cases_list.sync(client=session, page_size=10)
        summary = summary_retrieve.sync(client=session)
        anonymous = use_cases_list.sync_detailed(client=client_module.Client(base_url=live_server.url))

    assert [item.reference for item in page.results] == [use_case.reference]
    assert page.results[0].title == "Draft replies to customer e-mails"
    assert page.count == 1
    assert summary.total == 1
    assert {count.key: count.count for count in summary.by_status if count.count} == {str(use_case.status): 1}
    # Without the token the client gets the documented 401 body, parsed.
    assert anonymous.status_code == 401
    assert anonymous.parsed.detail


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_generated_client_downloads_the_exports_with_a_token(clients, live_server, executive):
    """A BI client exports through the generated functions: CSV as text in the asked language
    (with the risk tier), Excel as a file."""
    package, _path = clients["en"]
    client_module = importlib.import_module(f"{package}.client")
    export_csv = importlib.import_module(f"{package}.api.use_cases.use_cases_export_csv")
    export_xlsx = importlib.import_module(f"{package}.api.use_cases.use_cases_export_xlsx")
    lang = importlib.import_module(f"{package}.models.use_cases_export_csv_lang").UseCasesExportCsvLang
    use_case = UseCaseFactory(complete=True, title="Summarise call notes")
    _token, key = create_api_token(executive, "BI export")

    with client_module.AuthenticatedClient(base_url=live_server.url, token=key, prefix="Token") as session:
        csv_text = export_csv.sync(client=session, lang=lang("en"))
        workbook = export_xlsx.sync_detailed(client=session)

    header, row = csv_text.lstrip("\ufeff").splitlines()[:2]
    assert "Risk tier" in header.split(",")
    assert use_case.reference in row and "Summarise call notes" in row
    assert workbook.status_code == 200
    assert workbook.content[:2] == b"PK"  # an Office Open XML workbook is a ZIP
