"""``number_order.complete`` events: signed like Telnyx signs them, delivered with retries.

The signature is Ed25519 over ``"{telnyx-timestamp}|{raw body}"`` (headers
``telnyx-signature-ed25519`` and ``telnyx-timestamp``). The timestamp is real Unix time, not the
sandbox clock, because receivers reject signatures older than 300 s. A non-2xx answer is retried
with exponential backoff on the sandbox clock and a growing ``meta.attempt``. With
``webhook_duplicates`` every event is sent twice and each batch goes out newest first.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from typing import TYPE_CHECKING, Any

import httpx

from .clock import iso
from .config import signing_key

if TYPE_CHECKING:
    from .state import Sandbox

log = logging.getLogger("portal.sandbox.webhooks")


def sign(raw_body: bytes, seed_b64: str, timestamp: int) -> str:
    """Base64 Ed25519 signature of ``f"{timestamp}|{raw_body}"`` (the Telnyx scheme)."""
    message = str(timestamp).encode() + b"|" + raw_body
    return base64.b64encode(signing_key(seed_b64).sign(message)).decode()


def enqueue(sb: Sandbox, event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Record an event and schedule its first delivery (now) when a webhook URL is configured."""
    now = sb.now()
    event = sb.store.put(
        "event",
        {
            "id": sb.new_id(),
            "event_type": event_type,
            "occurred_at": iso(now),
            "payload": payload,
            "seq": len(sb.store.table("event")),
        },
    )
    url = sb.config.webhook_url
    if url:
        copies = 2 if sb.config.webhook_duplicates else 1
        for copy in range(copies):
            sb.store.put(
                "delivery",
                {
                    "id": sb.new_id(),
                    "event_id": event["id"],
                    "url": url,
                    "attempt": 1,
                    "due": now,
                    "state": "pending",
                    "copy": copy,
                    "results": [],
                },
            )
    return event


def body_for(event: dict[str, Any], attempt: int, url: str) -> bytes:
    envelope = {
        "data": {
            "record_type": "event",
            "event_type": event["event_type"],
            "id": event["id"],
            "occurred_at": event["occurred_at"],
            "payload": event["payload"],
        },
        "meta": {"attempt": attempt, "delivered_to": url},
    }
    return json.dumps(envelope, separators=(",", ":")).encode()


async def deliver_due(sb: Sandbox, client: httpx.AsyncClient) -> int:
    """Send every delivery whose time has come; returns how many were attempted."""
    now = sb.now()
    due = [d for d in sb.store.all("delivery") if d["state"] == "pending" and d["due"] <= now]
    if not due:
        return 0
    events = sb.store.table("event")
    due.sort(key=lambda d: (events[d["event_id"]]["seq"], d["copy"]))
    if sb.config.webhook_duplicates:
        due.reverse()  # out of order, as Telnyx may deliver them
    for delivery in due:
        event = events[delivery["event_id"]]
        body = body_for(event, delivery["attempt"], delivery["url"])
        timestamp = int(time.time())
        headers = {
            "content-type": "application/json",
            "user-agent": "telnyx-webhooks/sandbox",
            "telnyx-timestamp": str(timestamp),
            "telnyx-signature-ed25519": sign(body, sb.static.signing_seed_b64, timestamp),
        }
        status: int | None = None
        error = ""
        try:
            response = await client.post(delivery["url"], content=body, headers=headers)
            status = response.status_code
        except httpx.HTTPError as exc:
            error = type(exc).__name__
        ok = status is not None and 200 <= status < 300
        delivery["results"].append(
            {
                "attempt": delivery["attempt"],
                "status": status,
                "error": error,
                "at": iso(sb.now()),
            }
        )
        if ok:
            delivery["state"] = "delivered"
        elif delivery["attempt"] >= sb.config.webhook_max_attempts:
            delivery["state"] = "failed"
        else:
            backoff = sb.config.webhook_backoff_seconds * 2 ** (delivery["attempt"] - 1)
            delivery["attempt"] += 1
            delivery["due"] = sb.now() + backoff
        log.info(
            "webhook %s attempt %s -> %s",
            event["event_type"],
            delivery["results"][-1]["attempt"],
            status or error,
        )
        sb.store.put("delivery", delivery)
    sb.store.commit()
    return len(due)


def delivery_log(sb: Sandbox) -> list[dict[str, Any]]:
    """Every attempt made, oldest first (for ``GET /_sandbox/webhooks``)."""
    events = sb.store.table("event")
    rows = []
    for d in sb.store.all("delivery"):
        event = events.get(d["event_id"], {})
        for result in d["results"]:
            rows.append(
                {
                    "event_id": d["event_id"],
                    "event_type": event.get("event_type"),
                    "order_id": (event.get("payload") or {}).get("id"),
                    "attempt": result["attempt"],
                    "url": d["url"],
                    "status": result["status"],
                    "error": result["error"],
                    "at": result["at"],
                    "state": d["state"],
                }
            )
    rows.sort(key=lambda r: r["at"] or "")
    return rows
