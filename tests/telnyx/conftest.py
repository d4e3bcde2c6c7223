"""Fixtures for the Telnyx client tests: clients pointed at the sandbox, contract-checked."""

from __future__ import annotations

import uuid

import pytest

from portal.telnyx.client import TelnyxClient
from portal.telnyx.http import RetryPolicy


@pytest.fixture
def make_client(sandbox, contract, settings):
    """Build clients against the sandbox; every exchange is validated against the spec."""
    made: list[TelnyxClient] = []

    def make(**overrides) -> TelnyxClient:
        options = {
            "base_url": sandbox.base_url,
            "api_key": sandbox.api_key,
            "event_hooks": contract.contract_hooks(),
            "redis_url": settings.REDIS_URL,
            "rate_limit": 0,
            "rate_limit_name": f"test-{uuid.uuid4().hex}",
            "policy": RetryPolicy(budget=20, backoff_base=0.05, backoff_max=0.5),
            "settle_seconds": 0.1,
            "read_timeout": 10,
        }
        options.update(overrides)
        client = TelnyxClient(**options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def client(make_client) -> TelnyxClient:
    return make_client()


def reference() -> str:
    return f"test-{uuid.uuid4().hex}"


def searched(client: TelnyxClient, country: str = "US", count: int = 1, **filters) -> list[str]:
    """Numbers a recent API search returned (Telnyx refuses to sell anything else: 85000)."""
    result = client.search_numbers(country, limit=max(count, 5), **filters)
    numbers = [n.phone_number for n in result.numbers]
    assert len(numbers) >= count, f"sandbox offered only {len(numbers)} {country} numbers"
    return numbers[:count]
