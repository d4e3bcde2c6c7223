"""Helpers to sign webhook bodies the way Telnyx does (a test key pair per test)."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from portal.telnyx.webhooks import sign_webhook


class Signer:
    def __init__(self) -> None:
        key = Ed25519PrivateKey.generate()
        self.seed = base64.b64encode(
            key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        ).decode()
        self.public_key = base64.b64encode(
            key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        ).decode()

    def headers(self, body: bytes, timestamp: int | None = None) -> dict[str, str]:
        return sign_webhook(body, self.seed, int(time.time()) if timestamp is None else timestamp)


def order_event(
    order_id: str,
    status: str = "success",
    event_id: str | None = None,
    occurred_at: str = "2026-11-27T10:00:00.000000Z",
    customer_reference: str = "",
) -> bytes:
    envelope: dict[str, Any] = {
        "data": {
            "record_type": "event",
            "event_type": "number_order.complete",
            "id": event_id or str(uuid.uuid4()),
            "occurred_at": occurred_at,
            "payload": {
                "id": order_id,
                "record_type": "number_order",
                "status": status,
                "customer_reference": customer_reference,
                "phone_numbers": [],
            },
        },
        "meta": {"attempt": 1, "delivered_to": "http://testserver/webhooks/telnyx"},
    }
    return json.dumps(envelope).encode()
