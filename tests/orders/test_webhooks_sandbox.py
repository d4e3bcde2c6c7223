"""Webhooks from the sandbox over real HTTP: accepted, duplicated, out of order, forged."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from orders import webhooks
from orders.models import NumberOrder, WebhookEvent, WebhookEventState
from portal.telnyx.webhooks import sign_webhook

from .conftest import wait_for
from .helpers import place_now
from .webhook_signing import Signer, order_event

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def hooked_sandbox(sandbox, live_server):
    sandbox.configure(webhook_url=f"{live_server.url}/webhooks/telnyx", webhook_duplicates=True)
    return sandbox


def test_p5_a_duplicated_delivery_is_stored_once_and_the_worker_refetches_the_order(
    hooked_sandbox, alice, orders_worker
):
    order = place_now(alice, hooked_sandbox, [("US", "local", 1)])
    hooked_sandbox.advance(120)  # completes the order and delivers number_order.complete twice
    deliveries = [d for d in hooked_sandbox.webhooks() if "webhooks/telnyx" in d.get("url", "")]
    assert len(deliveries) >= 2
    assert {d["status"] for d in deliveries} == {200}
    events = WebhookEvent.objects.filter(record_id=order.telnyx_id)
    assert events.count() == 1
    # The view published processing after commit; the Celery worker re-fetches the order.
    wait_for(
        lambda: events.get().state == WebhookEventState.PROCESSED, 30, "the worker to process it"
    )
    order.refresh_from_db()
    assert order.status == "success" and order.last_event_at is not None
    assert set(order.numbers.values_list("status", flat=True)) == {"success"}


def test_p7_an_older_event_arriving_late_never_moves_the_order_back(
    hooked_sandbox, alice, live_server
):
    order = place_now(alice, hooked_sandbox, [("US", "local", 1)])
    hooked_sandbox.advance(120)
    webhooks.process(WebhookEvent.objects.get(record_id=order.telnyx_id).pk)
    order.refresh_from_db()
    late = order_event(order.telnyx_id, status="pending", occurred_at="2020-01-01T00:00:00Z")
    headers = sign_webhook(late, hooked_sandbox.signing_seed, int(time.time()))
    response = httpx.post(f"{live_server.url}/webhooks/telnyx", content=late, headers=headers)
    assert response.status_code == 200
    event = WebhookEvent.objects.get(payload__data__occurred_at="2020-01-01T00:00:00Z")
    assert webhooks.process(event.pk) == WebhookEventState.IGNORED
    assert NumberOrder.objects.get(pk=order.pk).status == "success"


def test_p1_a_forged_delivery_is_refused_over_http(sandbox, live_server):
    body = order_event("any-order")
    response = httpx.post(
        f"{live_server.url}/webhooks/telnyx", content=body, headers=Signer().headers(body)
    )
    assert response.status_code == 401
    assert not WebhookEvent.objects.exists()


def test_p6_the_endpoint_answers_fast(sandbox, live_server):
    body = json.dumps(
        {"data": {"id": "evt-fast", "event_type": "number_order.complete", "payload": {}}}
    ).encode()
    headers = sign_webhook(body, sandbox.signing_seed, int(time.time()))
    started = time.monotonic()
    response = httpx.post(f"{live_server.url}/webhooks/telnyx", content=body, headers=headers)
    assert response.status_code == 200
    assert time.monotonic() - started < 0.5
