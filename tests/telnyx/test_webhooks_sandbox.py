"""Real sandbox webhook deliveries verify with our verifier, on the exact bytes received (P3)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from portal.telnyx.webhooks import WebhookVerificationError, verify_webhook

pytestmark = pytest.mark.integration


class Receiver(BaseHTTPRequestHandler):
    received: list[tuple[bytes, dict[str, str]]] = []

    def do_POST(self):
        length = int(self.headers.get("content-length", "0"))
        Receiver.received.append((self.rfile.read(length), dict(self.headers.items())))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    Receiver.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/webhooks/telnyx"
    server.shutdown()
    server.server_close()


def test_p3_a_number_order_complete_event_from_the_sandbox_verifies(sandbox, contract, receiver):
    sandbox.configure(webhook_url=receiver)
    order = sandbox.order(sandbox.search("US", "local", limit=1))
    deadline = time.monotonic() + 15
    while not Receiver.received and time.monotonic() < deadline:
        sandbox.advance(5)
        time.sleep(0.2)
    assert Receiver.received, "the sandbox delivered no webhook"
    raw, headers = Receiver.received[0]

    event = verify_webhook(raw, headers, sandbox.public_key)

    assert event["data"]["event_type"] == "number_order.complete"
    assert event["data"]["payload"]["id"] == order["id"]
    contract.validate_webhook(raw)
    reserialised = json.dumps(json.loads(raw)).encode()
    if reserialised != raw:
        with pytest.raises(WebhookVerificationError):
            verify_webhook(reserialised, headers, sandbox.public_key)
    with pytest.raises(WebhookVerificationError, match="too old"):
        verify_webhook(raw, headers, sandbox.public_key, now=time.time() + 301)
