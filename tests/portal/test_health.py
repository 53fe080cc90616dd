"""The load balancers' health check: the database, the Celery broker and whether pages render; no login."""

import pytest

from portal import views

pytestmark = pytest.mark.django_db


def test_healthy_when_the_database_and_the_broker_answer(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok", "pages": "ok"}
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("failing", ["database", "broker", "pages"])
def test_unhealthy_with_a_503_naming_what_failed(client, monkeypatch, failing):
    monkeypatch.setattr(views, f"_{failing}_ok", lambda: False)
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()[failing] == "error"
    assert list(response.json().values()).count("ok") == 2


def test_an_unreachable_broker_is_reported_quickly(client, monkeypatch):
    import time

    from kombu import Connection

    from portal.celery import app

    # Nothing listens on port 1: the real connection attempt fails.
    monkeypatch.setattr(app, "connection_for_write", lambda: Connection("redis://127.0.0.1:1/0"))
    started = time.monotonic()
    response = client.get("/health/")
    assert (response.status_code, response.json()) == (503, {"database": "ok", "broker": "error", "pages": "ok"})
    assert time.monotonic() - started < 3 * views.HEALTH_BROKER_TIMEOUT


def test_a_failing_database_query_is_reported(client, monkeypatch):
    from django.db import DatabaseError

    class Broken:
        def __enter__(self):
            raise DatabaseError("down")

        def __exit__(self, *args):
            return False

    monkeypatch.setattr(views.connection, "cursor", lambda: Broken())
    assert views._database_ok() is False


PRODUCTION_STATIC = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


def test_pages_that_cannot_render_make_the_host_unhealthy(client, tmp_path, settings, caplog):
    """Production static files without their manifest (collectstatic not run): every page would
    answer 500, so the health check answers 503 naming "pages", and logs why."""
    settings.DEBUG = False
    settings.STORAGES = PRODUCTION_STATIC
    settings.STATIC_ROOT = tmp_path  # empty: no staticfiles.json
    client.raise_request_exception = False
    assert client.get("/accounts/login/").status_code == 500  # what the load balancer would route to
    response = client.get("/health/")
    assert (response.status_code, response.json()) == (503, {"database": "ok", "broker": "ok", "pages": "error"})
    assert "the login page cannot be rendered" in caplog.text and "Missing staticfiles manifest entry" in caplog.text


def test_a_broken_base_template_makes_the_host_unhealthy(client, monkeypatch):
    from django.template import TemplateSyntaxError, loader

    def broken(*args, **kwargs):
        raise TemplateSyntaxError("Invalid block tag")

    monkeypatch.setattr(loader, "render_to_string", broken)
    response = client.get("/health/")
    assert response.status_code == 503 and response.json()["pages"] == "error"


def test_the_page_check_reads_no_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert views._pages_ok() is True
