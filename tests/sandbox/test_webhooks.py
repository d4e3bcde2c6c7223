"""Signed ``number_order.complete`` webhooks: signature, retries, duplicates and order."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from tests.fixtures.sandbox import ROOT
from tests.sandbox.conftest import Api, WebhookSink


def verify(public_key_b64: str, headers: dict[str, str], body: bytes) -> None:
    """The receiver's check, as the Telnyx SDK does it (raises when the signature is bad)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    timestamp = lowered["telnyx-timestamp"]
    signature = base64.b64decode(lowered["telnyx-signature-ed25519"])
    assert len(signature) == 64
    assert abs(time.time() - int(timestamp)) <= 300
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64))
    key.verify(signature, timestamp.encode() + b"|" + body)


def _complete_an_order(api: Api, sandbox) -> dict:
    order = api.order(api.search("US", "local", 1))
    sandbox.advance(5)
    return order


def test_completion_webhook_is_signed_and_verifies_with_the_printed_key(
    api: Api, sandbox, webhook_sink: WebhookSink, contract
) -> None:
    sandbox.configure(webhook_url=webhook_sink.url)
    order = _complete_an_order(api, sandbox)
    assert len(webhook_sink.received) == 1
    delivery = webhook_sink.received[0]
    printed = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "runsandbox", "--print-public-key"],
        env={
            "SANDBOX_SIGNING_KEY": sandbox.signing_seed,
            "PORTAL_TESTING": "1",
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout.strip()
    assert printed == sandbox.public_key
    verify(printed, delivery["headers"], delivery["body"])
    event = json.loads(delivery["body"])
    assert event["data"]["event_type"] == "number_order.complete"
    assert event["data"]["payload"]["id"] == order["id"]
    assert event["data"]["payload"]["status"] == "success"
    assert event["meta"] == {"attempt": 1, "delivered_to": webhook_sink.url}
    contract.validate_webhook(delivery["body"])
    tampered = delivery["body"].replace(b"success", b"failure")
    with pytest.raises(InvalidSignature):
        verify(printed, delivery["headers"], tampered)


def test_failed_deliveries_are_retried_with_a_growing_attempt(
    api: Api, sandbox, webhook_sink: WebhookSink
) -> None:
    sandbox.configure(webhook_url=webhook_sink.url)
    webhook_sink.statuses = [500, 503]
    _complete_an_order(api, sandbox)
    assert len(webhook_sink.received) == 1
    sandbox.advance(5)  # first backoff
    sandbox.advance(10)  # second backoff
    attempts = [json.loads(d["body"])["meta"]["attempt"] for d in webhook_sink.received]
    assert attempts == [1, 2, 3]
    ids = {json.loads(d["body"])["data"]["id"] for d in webhook_sink.received}
    assert len(ids) == 1
    log = sandbox.webhooks()
    assert [(row["attempt"], row["status"]) for row in log[-3:]] == [(1, 500), (2, 503), (3, 200)]


def test_duplicates_option_sends_events_twice_and_out_of_order(
    api: Api, sandbox, webhook_sink: WebhookSink
) -> None:
    sandbox.configure(webhook_url=webhook_sink.url, webhook_duplicates=True)
    first = api.order(api.search("US", "local", 1))
    second = api.order(api.search("CA", "local", 1))
    sandbox.advance(5)
    order_ids = [json.loads(d["body"])["data"]["payload"]["id"] for d in webhook_sink.received]
    assert sorted(order_ids) == sorted([first["id"], first["id"], second["id"], second["id"]])
    assert order_ids[0] == second["id"]  # newest first: out of order
