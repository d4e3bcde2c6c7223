"""Helpers for the sandbox's own tests: a contract-checked API client, Telnyx's official SDK on
the sandbox (``sdk``, see sdk_client.py) and a webhook sink."""

from __future__ import annotations

import base64
import secrets
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from tests.fixtures.contract import Contract
from tests.fixtures.sandbox import Sandbox

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ADDRESS = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "business_name": "Acme GmbH",
    "street_address": "Friedrichstrasse 68",
    "locality": "Berlin",
    "postal_code": "10117",
    "country_code": "DE",
}


class Api:
    """An httpx client on the sandbox whose every exchange is validated against the spec."""

    def __init__(self, sandbox: Sandbox, contract: Contract) -> None:
        self.sandbox = sandbox
        self.contract = contract
        self.exchanges: list[tuple[str, str, int]] = []

        def remember(response: httpx.Response) -> None:
            op = contract.operation(response.request.method, str(response.request.url))
            self.exchanges.append((op.method, op.template, response.status_code))

        hooks = contract.contract_hooks()
        hooks["response"].append(remember)
        self.client = httpx.Client(
            base_url=sandbox.base_url,
            headers={"Authorization": f"Bearer {sandbox.api_key}"},
            event_hooks=hooks,
            timeout=30,
        )

        # For error paths: requests the spec forbids, answers still checked against the spec.
        self.unchecked = httpx.Client(
            base_url=sandbox.base_url,
            headers={"Authorization": f"Bearer {sandbox.api_key}"},
            event_hooks={"response": hooks["response"]},
            timeout=30,
        )

    def close(self) -> None:
        self.client.close()
        self.unchecked.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def ok(self, response: httpx.Response, status: int = 200) -> Any:
        assert response.status_code == status, response.text
        return response.json()

    # -- shortcuts ---------------------------------------------------------------------------
    def search(self, country: str, ntype: str | None = None, limit: int = 3, **f: Any) -> list[str]:
        params: dict[str, Any] = {"filter[country_code]": country, "filter[limit]": limit}
        if ntype:
            params["filter[phone_number_type]"] = ntype
        params.update({f"filter[{k}]": v for k, v in f.items()})
        return [
            n["phone_number"]
            for n in self.ok(self.get("/available_phone_numbers", params=params))["data"]
        ]

    def order(self, numbers: list[str], **extra: Any) -> dict[str, Any]:
        items = [n if isinstance(n, dict) else {"phone_number": n} for n in numbers]
        body = {"phone_numbers": items, "customer_reference": ref(), **extra}
        return self.ok(self.post("/number_orders", json=body))["data"]

    def sub(self, sub_id: str, include: bool = False) -> dict[str, Any]:
        params = {"filter[include_phone_numbers]": "true"} if include else None
        return self.ok(self.get(f"/sub_number_orders/{sub_id}", params=params))["data"]

    def number(self, number_id: str) -> dict[str, Any]:
        return self.ok(self.get(f"/number_order_phone_numbers/{number_id}"))["data"]

    def address(self, **fields: Any) -> str:
        body = {**ADDRESS, **fields}
        return self.ok(self.post("/addresses", json=body))["data"]["id"]

    def document(self, filename: str = "proof.pdf", content: bytes = PDF) -> str:
        body = {"file": base64.b64encode(content).decode(), "filename": filename}
        return self.ok(self.post("/documents", json=body))["data"]["id"]

    def values_for(self, sub: dict[str, Any], reject: str | None = None) -> list[dict[str, str]]:
        """A valid value for each requirement of a sub order (``reject`` = field type to spoil)."""
        return requirement_values(
            sub["regulatory_requirements"], reject, self.address, self.document
        )


def requirement_values(
    requirements: list[dict[str, Any]],
    reject: str | None,
    address: Callable[..., str],
    document: Callable[[str], str],
) -> list[dict[str, str]]:
    """A valid value for each requirement (of a sub order, or of the catalogue with ``id`` and
    ``address_id``), spoiling the ``reject`` field type; ``address``/``document`` create one."""
    from portal.sandbox.catalogue import TYPES_BY_ID

    values = []
    for req in requirements:
        requirement_id = req.get("requirement_id") or req["id"]
        kind = req["field_type"]
        spoil = reject == kind
        if kind in ("address", "address_id"):
            value = address(street_address="1 REJECT Street" if spoil else "Main St 1")
        elif kind == "document":
            value = document("reject-me.pdf" if spoil else "proof.pdf")
        elif kind == "datetime":
            value = "1985-12-10"
        else:
            value = "REJECT" if spoil else TYPES_BY_ID[requirement_id].example
        values.append({"requirement_id": requirement_id, "field_value": value})
    return values


def ref() -> str:
    return f"sbx-{secrets.token_hex(6)}"


@pytest.fixture
def api(sandbox: Sandbox, contract: Contract) -> Iterator[Api]:
    client = Api(sandbox, contract)
    yield client
    client.close()


@pytest.fixture
def sdk(sandbox: Sandbox, contract: Contract) -> Iterator[Any]:
    """An ``SdkSession``; fails the test if any SDK exchange broke the contract."""
    from tests.sandbox.sdk_client import SdkSession  # imports telnyx only where it is used

    session = SdkSession(sandbox, contract)
    yield session
    session.close()
    session.assert_clean()


class WebhookSink:
    """A local HTTP server recording webhook deliveries; answers with queued statuses."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                sink.received.append({"headers": dict(self.headers.items()), "body": body})
                status = sink.statuses.pop(0) if sink.statuses else 200
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/telnyx"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook_sink() -> Iterator[WebhookSink]:
    sink = WebhookSink()
    yield sink
    sink.close()
