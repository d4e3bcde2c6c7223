"""The Celery app's settings hold the reliability promises (P17, P21, P24)."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from portal.celery import app
from portal.tasks import clear_expired_sessions

ROOT = Path(__file__).resolve().parents[2]


def queue_length() -> int:
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    try:
        return client.llen(settings.CELERY_TASK_DEFAULT_QUEUE)
    finally:
        client.close()


@pytest.fixture
def empty_queue():
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete(settings.CELERY_TASK_DEFAULT_QUEUE)
    client.close()
    yield
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete(settings.CELERY_TASK_DEFAULT_QUEUE)
    client.close()


def test_p24_the_broker_carries_json_only():
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_serializer == "json"
    assert app.conf.result_serializer == "json"


def test_p19_tasks_are_acknowledged_late_and_redelivered_when_a_worker_dies():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1


def test_p21_one_visibility_timeout_longer_than_any_task_plus_countdown():
    vt = app.conf.visibility_timeout
    assert app.conf.broker_transport_options["visibility_timeout"] == vt
    assert app.conf.result_backend_transport_options["visibility_timeout"] == vt
    assert app.conf.task_time_limit + settings.CELERY_MAX_COUNTDOWN < vt
    assert app.conf.task_soft_time_limit < app.conf.task_time_limit


def test_p21_no_code_schedules_a_countdown_or_eta_past_the_limit():
    too_long = []
    for path in [
        *ROOT.glob("portal/**/*.py"),
        *ROOT.glob("orders/**/*.py"),
        *ROOT.glob("compliance/**/*.py"),
    ]:
        for match in re.finditer(r"\b(countdown|eta)\s*=\s*(\d+)", path.read_text()):
            if int(match.group(2)) > settings.CELERY_MAX_COUNTDOWN:
                too_long.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
    assert not too_long


def test_beat_schedules_live_in_the_database_and_expire_before_the_next_run():
    assert app.conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"
    for name, entry in app.conf.beat_schedule.items():
        assert entry["options"]["expires"] < entry["schedule"], name


def test_p17_tasks_can_be_published_after_commit():
    assert hasattr(clear_expired_sessions, "delay_on_commit")


def test_p24_redis_never_evicts_broker_keys():
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    try:
        assert client.config_get("maxmemory-policy")["maxmemory-policy"] == "noeviction"
    finally:
        client.close()


@pytest.mark.django_db(transaction=True)
def test_p17_a_rolled_back_transaction_enqueues_nothing(empty_queue):
    with pytest.raises(RuntimeError), transaction.atomic():
        clear_expired_sessions.delay_on_commit()
        raise RuntimeError("the business change failed")
    assert queue_length() == 0
    with transaction.atomic():
        clear_expired_sessions.delay_on_commit()
        assert queue_length() == 0  # not before the commit
    assert queue_length() == 1


@pytest.mark.integration
def test_a_real_worker_runs_the_session_cleanup_from_this_sessions_queue(
    celery_worker, empty_queue
):
    expired = SessionStore()
    expired["x"] = 1
    expired.create()
    Session.objects.filter(session_key=expired.session_key).update(
        expire_date=timezone.now() - timedelta(minutes=1)
    )
    live = SessionStore()
    live.create()
    clear_expired_sessions.delay()
    deadline = time.monotonic() + 20
    while Session.objects.filter(session_key=expired.session_key).exists():
        assert time.monotonic() < deadline, celery_worker.log_text()
        time.sleep(0.2)
    assert Session.objects.filter(session_key=live.session_key).exists()
    assert queue_length() == 0
