"""Telnyx webhooks: verify, store once, acknowledge, and process later by re-fetching.

The HTTP side (`receive`) does only what must happen before answering (P6): check the size,
verify the Ed25519 signature on the raw bytes (P3), insert the inbox row keyed on ``data.id``
(a repeat changes nothing, P5) and publish processing after commit. If Redis is down the row
stays ``pending`` and the relay task publishes it later.

Processing (`process`) never trusts the payload: it re-fetches the order from Telnyx, and an
event older than the last one applied to that order is stored but ignored (P7).
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connections, router, transaction
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone

from orders import reconcile
from orders.models import ChangeSource, NumberOrder, WebhookEvent, WebhookEventState
from orders.sync import refresh_order
from orders.timestamps import parse_ts
from portal import bounded_json, outbox
from portal.bounded_json import JSONRefused
from portal.security_events import security_event
from portal.telnyx.errors import TelnyxError
from portal.telnyx.webhooks import (
    WebhookPayloadError,
    WebhookVerificationError,
    load_public_key,
    verify_webhook,
)

log = logging.getLogger(__name__)

ORDER_EVENT_PREFIX = "number_order."
MAX_ATTEMPTS = 10
PROCESS_TASK = "orders.tasks.process_webhook_event"
BATCH_TASK = "orders.tasks.process_webhook_events"
BATCH_MAX = 100
# How long the publisher waits for more events before sending what it has: a few tens of
# milliseconds on an event that then waits for a worker anyway, and one broker message per
# batch instead of one per event when Telnyx sends many (bench/webhooks.py).
BATCH_LINGER_SECONDS = 0.05


@dataclass(frozen=True)
class Receipt:
    status: int
    message: str
    event: WebhookEvent | None = None
    created: bool = False


def receive(raw_body: bytes, headers: Any, content_length: int | None) -> Receipt:
    """Handle one delivery; the caller turns the receipt into the HTTP response."""
    limit = int(settings.ORDERS_WEBHOOK_MAX_BYTES)
    if (content_length is not None and content_length > limit) or len(raw_body) > limit:
        security_event("webhook.receive", outcome="refused", reason=f"body over {limit} bytes")
        return Receipt(413, "payload too large")
    try:
        load_public_key(settings.TELNYX_PUBLIC_KEY)
    except WebhookVerificationError as exc:
        # Fail closed (P4): without a usable key nothing is accepted.
        security_event("webhook.receive", outcome="unconfigured", reason=exc.reason)
        return Receipt(503, "webhook verification is not configured")
    try:
        envelope = verify_webhook(raw_body, headers, settings.TELNYX_PUBLIC_KEY)
    except WebhookPayloadError as exc:
        security_event("webhook.receive", outcome="refused", reason=exc.reason)
        return Receipt(400, exc.reason)
    except WebhookVerificationError as exc:
        security_event("webhook.signature", outcome="denied", reason=exc.reason)
        return Receipt(401, "invalid signature")
    data = envelope.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not data["id"]:
        security_event("webhook.receive", outcome="refused", reason="signed but without data.id")
        return Receipt(400, "missing data.id")
    raw_payload = data.get("payload")
    payload: dict[str, Any] = raw_payload if isinstance(raw_payload, dict) else {}
    return _store(data, payload, envelope)


def _store(data: dict[str, Any], payload: dict[str, Any], envelope: dict[str, Any]) -> Receipt:
    """Write the inbox row in one statement; a duplicate delivery writes nothing (P5).

    ``INSERT ... ON CONFLICT (event_id) DO NOTHING RETURNING id`` is one round trip and one
    commit, where ``get_or_create`` in a transaction took about seven: the intake's cost is
    this commit (P6, bench/webhooks.py).
    """
    event = WebhookEvent(
        event_id=data["id"][:64],
        event_type=str(data.get("event_type") or "")[:64],
        occurred_at=parse_ts(data.get("occurred_at")),
        record_id=str(payload.get("id") or "")[:64],
        payload=stored_envelope(envelope),
    )
    event.pk = _insert_unless_known(event)
    if event.pk is None:
        return Receipt(200, "duplicate", None, False)
    event_id = event.pk
    transaction.on_commit(lambda: publisher.submit(event_id))
    return Receipt(200, "stored", event, True)


def _insert_unless_known(event: WebhookEvent) -> int | None:
    """Insert the row; its id, or None when a row with its event id exists (both databases
    of the project, PostgreSQL and SQLite >= 3.35, speak ``ON CONFLICT ... RETURNING``)."""
    meta = WebhookEvent._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    connection = connections[router.db_for_write(WebhookEvent)]
    quote = connection.ops.quote_name
    values = [f.get_db_prep_save(f.pre_save(event, add=True), connection) for f in fields]
    # Table and column names come from the model's own metadata; every value is a parameter.
    table, key, pk = (quote(meta.db_table), quote("event_id"), quote(meta.pk.get_attname()))
    columns = ", ".join(quote(f.get_attname_column()[1] or f.name) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks}) ON CONFLICT ({key}) DO NOTHING RETURNING {pk}"  # noqa: E501, S608
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    return int(row[0]) if row else None


# What the inbox keeps of a delivery (P51): the event's identity and the order's ids and
# status, enough to process it and to debug a delivery in admin. Processing re-fetches the order,
# so the numbers and their requirement values (names, ID numbers) are never stored.
_KEPT_EVENT = ("record_type", "event_type", "id", "occurred_at")
_KEPT_PAYLOAD = (
    "id",
    "record_type",
    "status",
    "customer_reference",
    "requirements_met",
    "phone_numbers_count",
    "created_at",
    "updated_at",
)
_KEPT_META = ("attempt", "delivered_to")


def _scalars(source: Any, keys: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(source, dict):
        return {}
    return {k: source[k] for k in keys if isinstance(source.get(k), str | int | float | bool)}


def stored_envelope(envelope: dict[str, Any]) -> dict[str, Any]:
    """The part of a webhook envelope the inbox row keeps: no personal values (P51)."""
    data = envelope.get("data")
    kept = {"data": _scalars(data, _KEPT_EVENT), "meta": _scalars(envelope.get("meta"), _KEPT_META)}
    if isinstance(data, dict):
        kept["data"]["payload"] = _scalars(data.get("payload"), _KEPT_PAYLOAD)
    return kept


class _Publisher:
    """One background thread per process hands stored events to the broker, in order, in
    batches.

    The answer to Telnyx never waits for Redis (with Redis down, connecting takes ~0.6 s and
    Telnyx must get its 200 within milliseconds, P6), and no thread is started per event. The
    queue is bounded: when the broker is away long enough to fill it, further ids are left to
    the relay, which publishes every event still pending (``relay_outbox``). A forked child
    (a gunicorn worker) starts its own thread on first use.
    """

    def __init__(self, maxsize: int = 10_000) -> None:
        self._queue: queue.Queue[int] = queue.Queue(maxsize)
        self._lock = threading.Lock()
        self._pid = 0

    def submit(self, event_id: int) -> None:
        if self._pid != os.getpid():
            self._start()
        try:
            self._queue.put_nowait(event_id)
        except queue.Full:
            log.warning("webhook event %s not published now; the relay will", event_id)

    def _start(self) -> None:
        with self._lock:
            if self._pid == os.getpid():
                return
            self._queue = queue.Queue(self._queue.maxsize)  # a parent's items are the parent's
            threading.Thread(target=self._run, name="webhook-publisher", daemon=True).start()
            self._pid = os.getpid()

    def _run(self) -> None:
        while True:
            # What arrives within the linger (or while the last message was being sent) goes
            # out as one message: under load the broker's cost is paid per batch, not per event.
            batch = [self._queue.get()]
            until = time.monotonic() + BATCH_LINGER_SECONDS
            while len(batch) < BATCH_MAX and (left := until - time.monotonic()) > 0:
                try:
                    batch.append(self._queue.get(timeout=left))
                except queue.Empty:
                    break
            try:
                publish(batch)
            except Exception:  # never let one failure stop the thread; the relay has the rows
                log.exception("publishing webhook events %s failed; the relay will", batch)
            finally:
                for _ in batch:
                    self._queue.task_done()

    def join(self, timeout: float = 5.0) -> bool:
        """Wait until everything submitted was handed over (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)
        return not self._queue.unfinished_tasks


publisher = _Publisher()


def publish(event_ids: list[int]) -> None:
    """Hand stored events to the broker in one message; when it is down the relay publishes
    them later, one by one (P6)."""
    outbox.send_task(BATCH_TASK, event_ids)


def process(event_id: int) -> str:
    """Apply one stored event by re-fetching its order; returns the event's new state.

    Raises `TelnyxError` for transient failures so the task can retry.
    """
    # The payload is read through the bounded reader: a row stored before it existed may nest
    # too deeply for the JSON field's own loader (a RecursionError on every attempt).
    event = WebhookEvent.objects.filter(pk=event_id).defer("payload").first()
    if event is None or event.state != WebhookEventState.PENDING:
        return event.state if event else "missing"
    WebhookEvent.objects.filter(pk=event.pk).update(attempts=event.attempts + 1)
    if event.attempts >= MAX_ATTEMPTS:
        return _mark(event, WebhookEventState.FAILED, "gave up after repeated failures")
    if not event.event_type.startswith(ORDER_EVENT_PREFIX):
        log.info("webhook event type %r is not handled", event.event_type)
        return _mark(event, WebhookEventState.IGNORED, "event type not handled")
    try:
        envelope = stored_payload(event.pk)
    except JSONRefused as exc:
        return _mark(event, WebhookEventState.FAILED, f"stored payload unreadable: {exc.reason}")
    data = envelope.get("data") if isinstance(envelope, dict) else None
    payload = (data if isinstance(data, dict) else {}).get("payload") or {}
    reference = str(payload.get("customer_reference") or "")
    order = _order_for(event.record_id, reference)
    try:
        if order is None or not order.telnyx_id:
            # Telnyx tells us about an order we have not recorded: it may be one whose answer
            # we never got. Look it up and adopt it if it carries our reference (P50).
            order = reconcile.adopt_from_webhook(event.record_id, reference)
            if order is None:
                return _mark(event, WebhookEventState.IGNORED, "not an order of this portal")
        if order.last_event_at and event.occurred_at and event.occurred_at <= order.last_event_at:
            return _mark(event, WebhookEventState.IGNORED, "older than the last event applied")
        refresh_order(order, ChangeSource.WEBHOOK, event_at=event.occurred_at)
    except TelnyxError as exc:
        if exc.permanent:
            return _mark(event, WebhookEventState.FAILED, str(exc)[:2000])
        raise
    return _mark(event, WebhookEventState.PROCESSED, "")


def stored_payload_text(event_pk: int) -> str:
    """The stored payload as PostgreSQL prints it (no Python JSON parsing, so any depth)."""
    text = (
        WebhookEvent.objects.filter(pk=event_pk)
        .annotate(text=Cast("payload", TextField()))
        .values_list("text", flat=True)
        .first()
    )
    return text or "{}"


def stored_payload(event_pk: int) -> Any:
    """The stored payload, read with the bounded reader; :class:`JSONRefused` if it cannot be."""
    return bounded_json.loads(stored_payload_text(event_pk))


def _order_for(telnyx_id: str, customer_reference: str) -> NumberOrder | None:
    order = None
    if telnyx_id:
        order = NumberOrder.objects.filter(telnyx_id=telnyx_id).first()
    if order is None and customer_reference:
        order = NumberOrder.objects.filter(customer_reference=customer_reference).first()
    return order


def _mark(event: WebhookEvent, state: str, error: str) -> str:
    WebhookEvent.objects.filter(pk=event.pk, state=WebhookEventState.PENDING).update(
        state=state, error=error, processed_at=timezone.now()
    )
    return state


def stale_pending_events(older_than: timedelta) -> list[int]:
    """Pending events whose processing task was never published or was lost (for the relay)."""
    cutoff = timezone.now() - older_than
    return list(
        WebhookEvent.objects.filter(
            state=WebhookEventState.PENDING, received_at__lt=cutoff
        ).values_list("pk", flat=True)[:500]
    )
