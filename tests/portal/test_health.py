"""``GET /healthz``: 200 when the database, Redis and a Celery worker answer, else 503."""

from __future__ import annotations

import socket

import pytest
from django.test import Client
from django.urls import reverse


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.integration
def test_healthz_is_ok_when_the_database_redis_and_a_worker_answer(celery_worker):
    response = Client().get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "redis": "ok", "celery": "ok"},
    }
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_names_celery_when_no_worker_answers(settings):
    settings.HEALTH_CHECK_TIMEOUT = 0.3
    response = Client().get(reverse("healthz"))
    assert response.status_code == 503
    body = response.json()
    assert body["down"] == ["celery"]
    assert body["checks"]["database"] == "ok" and body["checks"]["redis"] == "ok"


@pytest.mark.django_db
def test_healthz_names_redis_and_celery_when_redis_is_down(settings):
    url = f"redis://127.0.0.1:{closed_port()}/0"
    settings.REDIS_URL = url
    settings.CELERY_BROKER_URL = url
    settings.HEALTH_CHECK_TIMEOUT = 0.3
    response = Client().get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["down"] == ["celery", "redis"]


@pytest.mark.integration
def test_healthz_reports_a_worker_that_died(celery_worker, settings):
    settings.HEALTH_CHECK_TIMEOUT = 0.3
    assert Client().get(reverse("healthz")).status_code == 200
    celery_worker.kill()
    response = Client().get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["down"] == ["celery"]
