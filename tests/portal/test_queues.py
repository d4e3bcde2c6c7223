"""Queues that cannot starve each other (portal/queues.py): every task has a declared queue of
its kind, names carry the instance prefix, and a long sync pass does not hold up a submission."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings

from compliance.tasks import (
    patch_submission_requirements,
    refresh_requirements_catalogue,
    upload_submission_documents,
)
from portal.celery import app
from portal.queues import KINDS, queue_kind, queue_names

ROOT = Path(__file__).resolve().parents[2]

EXPECTED = {
    "orders.tasks.place_number_order": "placing",
    "orders.tasks.place_bulk_order": "placing",
    "orders.tasks.follow_bulk_order": "placing",
    "orders.tasks.process_webhook_event": "webhooks",
    "orders.tasks.process_webhook_events": "webhooks",
    "orders.tasks.sync_pending_orders": "sync",
    "orders.tasks.relay_outbox": "default",
    "orders.tasks.attach_requirement_group": "submissions",
    "compliance.tasks.upload_submission_documents": "submissions",
    "compliance.tasks.create_submission_addresses": "submissions",
    "compliance.tasks.patch_submission_requirements": "submissions",
    "compliance.tasks.send_deadline_reminders": "email",
    "compliance.tasks.refresh_requirements_catalogue": "sync",
    "compliance.tasks.sync_requirement_groups": "sync",
    "compliance.tasks.purge_expired_documents": "sync",
    "portal.tasks.clear_expired_sessions": "default",
}


def portal_tasks() -> list[str]:
    app.loader.import_default_modules()
    return sorted(name for name in app.tasks if not name.startswith("celery."))


def test_every_registered_task_is_routed_to_a_declared_queue_of_this_instance():
    declared = {queue.name for queue in app.conf.task_queues}
    assert declared == set(settings.CELERY_QUEUES.values())
    assert set(settings.CELERY_QUEUES) == set(KINDS)
    assert all(name.startswith(settings.CELERY_QUEUE_PREFIX + ".") for name in declared)
    tasks = portal_tasks()
    # One task of each kind must exist under this name (tasks added or renamed later are
    # checked by the loop below: every one lands on a declared queue).
    assert {
        "orders.tasks.place_number_order",
        "orders.tasks.process_webhook_event",
        "orders.tasks.sync_pending_orders",
        "compliance.tasks.upload_submission_documents",
        "compliance.tasks.send_deadline_reminders",
    } <= set(tasks)
    for name in tasks:
        routed = app.amqp.router.route({}, name)["queue"].name
        assert routed in declared, name
    for name, kind in EXPECTED.items():
        if name in tasks:
            assert app.amqp.router.route({}, name)["queue"].name == settings.CELERY_QUEUES[kind]


def test_a_task_no_pattern_knows_goes_to_the_default_queue():
    assert queue_kind("orders.tasks.something_new") == "default"
    assert app.amqp.router.route({}, "x.y")["queue"].name == settings.CELERY_TASK_DEFAULT_QUEUE


def test_worker_queue_names_for_the_recipe():
    assert queue_names("sync") == [f"{settings.CELERY_QUEUE_PREFIX}.sync"]
    assert queue_names() == list(settings.CELERY_QUEUES.values())


def worker_command(*args: str, prefix: str = "portal") -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "CELERY_BIN": "echo", "CELERY_QUEUE_PREFIX": prefix}
    return subprocess.run(
        [str(ROOT / "scripts" / "worker.sh"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


def queues_of(result: subprocess.CompletedProcess[str]) -> list[str]:
    argv = result.stdout.split()
    return argv[argv.index("-Q") + 1].split(",")


def test_the_recipes_worker_script_consumes_the_queues_the_router_fills():
    assert queues_of(worker_command("sync", prefix=settings.CELERY_QUEUE_PREFIX)) == [
        settings.CELERY_QUEUES["sync"]
    ]
    everything = worker_command("all", prefix=settings.CELERY_QUEUE_PREFIX)
    assert sorted(queues_of(everything)) == sorted(settings.CELERY_QUEUES.values())
    assert queues_of(worker_command("email:default")) == ["portal.email", "portal.default"]
    refused = worker_command("sync,bogus")
    assert refused.returncode != 0 and "unknown queue kind 'bogus'" in refused.stderr


@pytest.fixture
def black_hole() -> Iterator[tuple[str, threading.Event]]:
    """A 'Telnyx' that accepts connections and never answers: a sync pass against it is slow."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    connected = threading.Event()
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            held.append(conn)
            connected.set()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/v2", connected
    finally:
        server.close()
        for conn in held:
            conn.close()


@pytest.fixture
def broker() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete(*settings.CELERY_QUEUES.values())
    yield client
    client.delete(*settings.CELERY_QUEUES.values())
    client.close()


@pytest.mark.integration
def test_a_long_sync_pass_does_not_hold_up_a_submission(celery_worker_factory, black_hole, broker):
    telnyx, connected = black_hole
    slow = {"TELNYX_API_BASE": telnyx, "TELNYX_READ_TIMEOUT": "60", "TELNYX_MAX_ATTEMPTS": "1"}
    sync_worker = celery_worker_factory(env=slow, queues=["sync"])
    others = celery_worker_factory(queues=[kind for kind in KINDS if kind != "sync"])

    refresh_requirements_catalogue.delay()  # busy for a minute on the silent "Telnyx"
    assert connected.wait(30), sync_worker.log_text()
    refresh_requirements_catalogue.delay()  # a second pass waits behind the first one
    upload = upload_submission_documents.delay(987654321)
    patch = patch_submission_requirements.delay(987654322)

    # The submission steps are on their own queue, so they run now, not after the sync passes.
    deadline = time.monotonic() + 20
    while not all(f"[{r.id}] succeeded" in others.log_text() for r in (upload, patch)):
        assert time.monotonic() < deadline, others.log_text()
        time.sleep(0.1)
    assert broker.llen(settings.CELERY_QUEUES["sync"]) == 1  # the second pass still waits
    assert broker.llen(settings.CELERY_QUEUES["submissions"]) == 0


def make_run_instance(**env: str) -> dict[str, str]:
    """The settings `make run` derives for an instance (scripts/instance-env.sh)."""
    script = "source scripts/instance-env.sh; env"
    result = subprocess.run(
        ["bash", "-c", script],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)


def test_two_make_runs_on_one_machine_share_no_redis_database_queue_or_sqlite_file():
    first = make_run_instance(WEB_PORT="8000", SANDBOX_PORT="8100")
    second = make_run_instance(WEB_PORT="9000", SANDBOX_PORT="9100")
    for name in ("REDIS_URL", "CELERY_QUEUE_PREFIX", "CACHE_KEY_PREFIX"):
        assert first[name] != second[name], name
    assert first["REDIS_URL"] == "redis://127.0.0.1:6379/0"  # the default instance is unchanged
    assert "DATABASE_URL" not in first  # var/portal.sqlite3, as before
    assert second["DATABASE_URL"].endswith("var/portal-9000.sqlite3")
    assert second["SANDBOX_DB"].endswith("var/sandbox-9100.sqlite3")
    # What an operator sets is kept.
    chosen = make_run_instance(WEB_PORT="9000", REDIS_URL="redis://10.0.0.5:6379/3")
    assert chosen["REDIS_URL"] == "redis://10.0.0.5:6379/3"
