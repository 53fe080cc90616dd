"""The load balancers' health check: the database and the Celery broker, no login."""

import pytest

from portal import views

pytestmark = pytest.mark.django_db


def test_healthy_when_the_database_and_the_broker_answer(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("failing", ["database", "broker"])
def test_unhealthy_with_a_503_naming_what_failed(client, monkeypatch, failing):
    monkeypatch.setattr(views, f"_{failing}_ok", lambda: False)
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()[failing] == "error"
    assert list(response.json().values()).count("ok") == 1


def test_an_unreachable_broker_is_reported_quickly(client, monkeypatch):
    import time

    from kombu import Connection

    from portal.celery import app

    # Nothing listens on port 1: the real connection attempt fails.
    monkeypatch.setattr(app, "connection_for_write", lambda: Connection("redis://127.0.0.1:1/0"))
    started = time.monotonic()
    response = client.get("/health/")
    assert (response.status_code, response.json()) == (503, {"database": "ok", "broker": "error"})
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
