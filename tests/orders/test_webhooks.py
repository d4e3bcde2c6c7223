"""POST /webhooks/telnyx: verify on raw bytes, store once, answer fast, fail closed."""

from __future__ import annotations

import base64
import json
import logging
import time

import pytest
from django.test import Client
from django.urls import reverse

from orders import webhooks
from orders.models import WebhookEvent, WebhookEventState

from .conftest import wait_for
from .factories import NumberOrderFactory
from .webhook_signing import Signer, order_event

pytestmark = pytest.mark.django_db

URL = "/webhooks/telnyx"


@pytest.fixture
def signer(settings) -> Signer:
    signer = Signer()
    settings.TELNYX_PUBLIC_KEY = signer.public_key
    return signer


def post(body: bytes, headers: dict[str, str], client: Client | None = None):
    client = client or Client(enforce_csrf_checks=True)
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    return client.post(URL, data=body, content_type="application/json", **extra)


def test_the_route_is_named_and_public():
    assert reverse("webhooks-telnyx") == URL


def test_p5_a_signed_event_is_stored_once_and_a_duplicate_changes_nothing(
    signer, django_capture_on_commit_callbacks
):
    body = order_event("order-1", event_id="evt-1")
    with django_capture_on_commit_callbacks() as first_callbacks:
        first = post(body, signer.headers(body))
    with django_capture_on_commit_callbacks() as second_callbacks:
        second = post(body, signer.headers(body))
    assert first.status_code == second.status_code == 200
    assert first.json() == {"status": "stored"} and second.json() == {"status": "duplicate"}
    assert WebhookEvent.objects.count() == 1
    event = WebhookEvent.objects.get()
    assert event.record_id == "order-1" and event.state == WebhookEventState.PENDING
    assert len(first_callbacks) == 1 and len(second_callbacks) == 0


def test_p51_the_inbox_keeps_the_event_and_the_order_ids_not_the_numbers_or_their_values(
    signer,
):
    envelope = json.loads(order_event("order-1", event_id="evt-1", customer_reference="ref-1"))
    envelope["data"]["payload"]["phone_numbers"] = [
        {
            "id": "n1",
            "phone_number": "+4930123456",
            "regulatory_requirements": [{"requirement_id": "r1", "field_value": "Jane Canary"}],
        }
    ]
    envelope["data"]["payload"]["end_user"] = {"name": "Jane Canary"}
    body = json.dumps(envelope).encode()
    assert post(body, signer.headers(body)).status_code == 200
    stored = WebhookEvent.objects.get().payload
    assert "Canary" not in json.dumps(stored)
    assert stored["data"]["id"] == "evt-1"
    assert stored["data"]["payload"] == {
        "id": "order-1",
        "record_type": "number_order",
        "status": "success",
        "customer_reference": "ref-1",
    }
    assert stored["meta"] == envelope["meta"]


def test_p3_a_body_with_odd_whitespace_and_escapes_verifies_as_sent(signer):
    body = (
        b'{ "data" : {"id":"evt-\\u00e9", "event_type":"number_order.complete",\n "payload":{}} }'
    )
    assert post(body, signer.headers(body)).status_code == 200
    assert WebhookEvent.objects.get().event_id == "evt-\u00e9"


def test_p3_a_reserialised_body_does_not_verify(signer):
    body = b'{ "data" : {"id":"evt-2", "payload":{}} }'
    headers = signer.headers(json.dumps(json.loads(body)).encode())
    assert post(body, headers).status_code == 401
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize(
    "tamper",
    ["other_key", "flipped_body", "flipped_signature", "no_signature", "no_timestamp", "short_sig"],
)
def test_p1_a_forged_or_broken_signature_is_refused_and_logged(signer, tamper, caplog):
    body = order_event("order-1")
    headers = signer.headers(body)
    if tamper == "other_key":
        headers = Signer().headers(body)
    elif tamper == "flipped_body":
        body = body.replace(b"success", b"failure")
    elif tamper == "flipped_signature":
        raw = bytearray(base64.b64decode(headers["telnyx-signature-ed25519"]))
        raw[0] ^= 1
        headers["telnyx-signature-ed25519"] = base64.b64encode(bytes(raw)).decode()
    elif tamper == "no_signature":
        headers.pop("telnyx-signature-ed25519")
    elif tamper == "no_timestamp":
        headers.pop("telnyx-timestamp")
    elif tamper == "short_sig":
        headers["telnyx-signature-ed25519"] = base64.b64encode(b"x" * 10).decode()
    with caplog.at_level(logging.WARNING, logger="portal.security"):
        response = post(body, headers)
    assert response.status_code == 401
    assert not WebhookEvent.objects.exists()
    assert len([r for r in caplog.records if r.name == "portal.security"]) == 1


@pytest.mark.parametrize("offset, accepted", [(-301, False), (301, False), (-299, True)])
def test_p2_the_timestamp_window_is_300_seconds_both_ways(signer, offset, accepted):
    body = order_event("order-1")
    response = post(body, signer.headers(body, int(time.time()) + offset))
    assert (response.status_code == 200) is accepted
    assert WebhookEvent.objects.exists() is accepted


@pytest.mark.parametrize("key", ["", base64.b64encode(b"k" * 31).decode(), "not base64!"])
def test_p4_without_a_usable_public_key_nothing_is_accepted(settings, key):
    signer = Signer()
    settings.TELNYX_PUBLIC_KEY = key
    body = order_event("order-1")
    response = post(body, signer.headers(body))
    assert response.status_code == 503
    assert not WebhookEvent.objects.exists()


def test_a_body_over_256_kb_is_refused_before_verification(signer):
    body = order_event("order-1") + b" " * (256 * 1024)
    response = post(body, signer.headers(body))
    assert response.status_code == 413
    assert not WebhookEvent.objects.exists()


def test_a_get_is_not_allowed():
    assert Client().get(URL).status_code == 405


def test_p7_an_event_older_than_the_last_applied_one_is_stored_but_ignored(signer):
    order = NumberOrderFactory(status="success")
    order.last_event_at = order.created_at
    order.save()
    body = order_event(order.telnyx_id, status="pending", occurred_at="2020-01-01T00:00:00Z")
    assert post(body, signer.headers(body)).status_code == 200
    event = WebhookEvent.objects.get()
    assert webhooks.process(event.pk) == WebhookEventState.IGNORED
    order.refresh_from_db()
    assert order.status == "success"


def test_an_event_for_an_order_telnyx_does_not_have_either_is_ignored(sandbox, signer):
    body = order_event("someone-elses-order")
    post(body, signer.headers(body))
    assert webhooks.process(WebhookEvent.objects.get().pk) == WebhookEventState.IGNORED


def test_p6_pending_events_whose_task_was_lost_are_found_by_the_relay(signer):
    from datetime import timedelta

    body = order_event("order-1")
    post(body, signer.headers(body))
    WebhookEvent.objects.update(
        received_at=WebhookEvent.objects.get().received_at - timedelta(minutes=5)
    )
    assert webhooks.stale_pending_events(timedelta(seconds=30)) == [WebhookEvent.objects.get().pk]


def test_p8_the_webhook_is_the_only_csrf_exempt_orders_view():
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern), p.callback

    exempt = [
        route
        for route, view in walk(get_resolver().url_patterns)
        if getattr(view, "csrf_exempt", False) and route.startswith(("orders/", "webhooks/"))
    ]
    assert exempt == ["webhooks/telnyx"]


def test_p36_htmx_writes_on_orders_need_the_csrf_token(alice):
    from tests.fixtures.people import signed_in_client

    client = signed_in_client(alice, enforce_csrf_checks=True)
    response = client.post(reverse("orders:selection-clear"), headers={"HX-Request": "true"})
    assert response.status_code == 403


# P6 with the broker really down (a stopped private redis-server): tests/portal/test_outbox.py


def test_an_event_that_keeps_failing_is_given_up_after_ten_attempts(signer):
    body = order_event("order-1")
    post(body, signer.headers(body))
    WebhookEvent.objects.update(attempts=10)
    assert webhooks.process(WebhookEvent.objects.get().pk) == WebhookEventState.FAILED


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested deeper than 64 levels"),
        (b'{"data": {"id": "evt-nan", "payload": {"n": NaN}}}', "NaN is not a JSON number"),
        (b'{"data": {"id": "evt-inf", "payload": {"n": 1e999999}}}', "a number is too large"),
    ],
)
def test_p53_a_signed_body_we_cannot_store_is_a_400_that_says_why_and_stores_nothing(
    signer, body, why
):
    response = post(body, signer.headers(body))
    assert response.status_code == 400
    assert response.json() == {"status": f"the body is not JSON we accept: {why}"}
    assert not WebhookEvent.objects.exists()


def test_p53_a_309_digit_timestamp_is_refused_before_the_signature_is_checked(signer):
    body = order_event("order-1")
    headers = signer.headers(body)
    headers["telnyx-timestamp"] = "9" * 309
    assert post(body, headers).status_code == 401
    assert not WebhookEvent.objects.exists()


def _deep(levels: int) -> dict:
    root: dict = {}
    cursor = root
    for _ in range(levels):
        cursor["a"] = {}
        cursor = cursor["a"]
    return root


@pytest.fixture
def deep_event() -> WebhookEvent:
    """A row stored before intake was bounded: 900 levels, past what Python's parser loads."""
    return WebhookEvent.objects.create(
        event_id="evt-deep",
        event_type="number_order.complete",
        payload={"data": {"id": "evt-deep", "payload": _deep(900)}},
    )


def test_p53_a_stored_900_deep_event_still_renders_in_the_admin(deep_event, maria_client):
    listing = maria_client.get(reverse("admin:orders_webhookevent_changelist"))
    assert listing.status_code == 200
    assert b"evt-deep" in listing.content
    page = maria_client.get(reverse("admin:orders_webhookevent_change", args=[deep_event.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Shown as stored (nested deeper than 64 levels)." in body
    assert "{&quot;data&quot;: {&quot;id&quot;: &quot;evt-deep&quot;" in body


def test_the_admin_shows_a_normal_payload_pretty_printed(signer, maria_client):
    body = order_event("order-9", event_id="evt-9")
    post(body, signer.headers(body))
    event = WebhookEvent.objects.get()
    page = maria_client.get(reverse("admin:orders_webhookevent_change", args=[event.pk]))
    assert page.status_code == 200
    assert "&quot;id&quot;: &quot;evt-9&quot;,\n" in page.content.decode()


def test_p53_processing_a_stored_900_deep_event_fails_it_with_a_reason(deep_event):
    assert webhooks.process(deep_event.pk) == WebhookEventState.FAILED
    deep_event.refresh_from_db(fields=["state", "error"])
    assert deep_event.error == "stored payload unreadable: nested deeper than 64 levels"


def test_p6_a_new_event_is_stored_in_one_statement_and_a_duplicate_in_one_too(signer):
    """The intake's cost is its database round trips (bench/webhooks.py): one INSERT ... ON
    CONFLICT for a new event, the same single statement finding a duplicate."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    body = order_event("order-1", event_id="evt-one-statement")
    with CaptureQueriesContext(connection) as new:
        assert post(body, signer.headers(body)).json() == {"status": "stored"}
    with CaptureQueriesContext(connection) as again:
        assert post(body, signer.headers(body)).json() == {"status": "duplicate"}
    statements = [q["sql"] for q in new.captured_queries if "webhookevent" in q["sql"].lower()]
    assert len(statements) == 1 and statements[0].startswith("INSERT"), statements
    assert len([q for q in again.captured_queries if "webhookevent" in q["sql"].lower()]) == 1
    assert WebhookEvent.objects.filter(event_id="evt-one-statement").count() == 1


def test_p6_events_are_handed_to_the_broker_by_one_thread_in_batches_not_a_thread_each(
    signer, monkeypatch, django_capture_on_commit_callbacks
):
    import threading

    messages: list[list[int]] = []
    gate = threading.Event()

    def slow_broker(event_ids: list[int]) -> None:  # a broker that answers when the gate opens
        gate.wait(10)
        messages.append(list(event_ids))

    monkeypatch.setattr(webhooks, "publish", slow_broker)
    webhooks.publisher.submit(0)  # the process's publisher thread, started once
    before = threading.active_count()
    stored = []
    for n in range(20):
        body = order_event(f"order-{n}", event_id=f"evt-thread-{n}")
        with django_capture_on_commit_callbacks(execute=True):
            assert post(body, signer.headers(body)).status_code == 200
        stored.append(WebhookEvent.objects.get(event_id=f"evt-thread-{n}").pk)
    # Twenty answers given while the broker was stuck, and no thread started for any of them.
    assert threading.active_count() == before
    gate.set()
    assert webhooks.publisher.join()
    # Every stored event handed over once, in the order received; what waited went as one.
    assert [event_id for message in messages for event_id in message] == [0, *stored]
    assert len(messages) <= 2  # batched: the twenty went in one message, not twenty


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_p6_a_batch_of_events_is_applied_by_a_worker(
    sandbox, sandbox_worker_env, celery_worker_factory
):
    """The batch task a web process publishes applies each of its events (a real worker)."""
    from orders.tasks import process_webhook_events

    celery_worker_factory(sandbox_worker_env)
    events = [
        WebhookEvent.objects.create(event_id=f"evt-batch-{n}", event_type="number_order.complete",
                                    record_id=f"unknown-{n}")
        for n in range(3)
    ]  # fmt: skip
    process_webhook_events.delay([e.pk for e in events])
    wait_for(
        lambda: set(WebhookEvent.objects.values_list("state", flat=True)) == {"ignored"},
        60,
        "the worker to apply the three events",
    )
