"""Telnyx's official Python SDK pointed at the sandbox, every exchange checked against the spec.

The SDK (``telnyx``, a development dependency only; the portal never imports it) gets its own
httpx client whose event hooks are the contract's hooks (``Contract.contract_hooks``): each
request the SDK builds and each answer the sandbox gives is validated exactly as the sandbox's
own tests validate theirs. The SDK turns an exception raised in a hook into
``APIConnectionError``; a contract violation is therefore also kept in ``violations``, and the
``sdk`` fixture (conftest.py) fails the test with its text, so a broken contract is never
mistaken for a network error. Every client is built with ``max_retries=0`` (P11): a POST is
never sent twice behind our back.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import httpx
import telnyx

from tests.fixtures.contract import Contract
from tests.fixtures.sandbox import Sandbox
from tests.sandbox.conftest import ADDRESS, PDF, requirement_values


class SdkSession:
    """Sync and async SDK clients on the sandbox plus what they exchanged."""

    def __init__(self, sandbox: Sandbox, contract: Contract) -> None:
        self.sandbox = sandbox
        self.contract = contract
        self.exchanges: list[tuple[str, str, int]] = []
        self.queries: list[tuple[str, str, str]] = []  # (method, template, raw query)
        self.violations: list[str] = []
        checks = contract.contract_hooks()
        self._check_request = self._guard(checks["request"][0])
        self._check_response = self._guard(checks["response"][0])
        self.http = httpx.Client(
            event_hooks={
                "request": [self._check_request],
                "response": [self._check_response, self._remember],
            },
            timeout=30,
        )
        self.client = telnyx.Telnyx(
            api_key=sandbox.api_key,
            base_url=sandbox.base_url,
            http_client=self.http,
            max_retries=0,
        )

    def async_client(self) -> telnyx.AsyncTelnyx:
        """A fresh ``AsyncTelnyx`` for the running event loop (``async with`` closes it)."""
        return telnyx.AsyncTelnyx(
            api_key=self.sandbox.api_key,
            base_url=self.sandbox.base_url,
            http_client=httpx.AsyncClient(
                event_hooks={
                    "request": [self._async_request],
                    "response": [self._async_response],
                },
                timeout=30,
            ),
            max_retries=0,
        )

    # -- hooks -------------------------------------------------------------------------------
    def _guard(self, check: Callable[[Any], None]) -> Callable[[Any], None]:
        def hook(message: Any) -> None:
            try:
                check(message)
            except AssertionError as exc:
                self.violations.append(str(exc))
                raise

        return hook

    def _remember(self, response: httpx.Response) -> None:
        request = response.request
        if "/v2" not in request.url.path:
            return
        op = self.contract.operation(request.method, str(request.url))
        self.exchanges.append((op.method, op.template, response.status_code))
        self.queries.append((op.method, op.template, request.url.query.decode()))

    async def _async_request(self, request: httpx.Request) -> None:
        self._check_request(request)

    async def _async_response(self, response: httpx.Response) -> None:
        if "/v2" in response.request.url.path:
            await response.aread()
        self._check_response(response)
        self._remember(response)

    # -- helpers -----------------------------------------------------------------------------
    def assert_clean(self) -> None:
        assert self.violations == [], "\n\n".join(self.violations)

    def close(self) -> None:
        self.client.close()
        self.http.close()

    def search(self, country: str, ntype: str, limit: int = 1, **filters: Any) -> list[str]:
        """E.164 numbers found (which makes them orderable)."""
        found = self.client.available_phone_numbers.list(
            filter={"country_code": country, "phone_number_type": ntype, "limit": limit, **filters}
        )
        return [n.phone_number for n in found.data]

    def order(self, numbers: list[str], **fields: Any) -> Any:
        """``number_orders.create`` for these numbers; the order's ``data``."""
        items = [{"phone_number": n} for n in numbers]
        return self.client.number_orders.create(phone_numbers=items, **fields).data

    def document(self, filename: str = "proof.pdf", content: bytes = PDF) -> str:
        """A document id, uploaded with ``documents.upload`` (JSON to the flagged URL)."""
        uploaded = self.client.documents.upload(
            document={"file": base64.b64encode(content).decode(), "filename": filename}
        )
        return uploaded.data.id

    def address(self, **fields: Any) -> str:
        return self.client.addresses.create(**{**ADDRESS, **fields}).data.id

    def values_for(
        self, requirements: list[dict[str, Any]], reject: str | None = None
    ) -> list[dict[str, str]]:
        """A valid value for each requirement (``reject`` = the field type to spoil)."""
        return requirement_values(requirements, reject, self.address, self.document)
