"""Fixtures of the orders tests: a worker wired to the sandbox, and user-level helpers."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from orders.models import NumberOrder
from orders.views.search import LAST_RESULTS_KEY


@pytest.fixture
def sandbox_worker_env(sandbox) -> dict[str, str]:
    """Environment pointing a Celery worker subprocess at this test's sandbox."""
    return {
        "TELNYX_API_BASE": sandbox.base_url,
        "TELNYX_API_KEY": sandbox.api_key,
        "TELNYX_PUBLIC_KEY": sandbox.public_key,
        "TELNYX_RATE_LIMIT": "200",
    }


@pytest.fixture
def orders_worker(celery_worker_factory, sandbox_worker_env):
    return celery_worker_factory(sandbox_worker_env)


def pick_numbers(client: Any, count: int, **filters: Any) -> list[str]:
    """Search through the search screen and add the first ``count`` results to the selection."""
    response = client.get(reverse("orders:search"), {"limit": 10, **filters})
    assert response.status_code == 200, response.content[:500]
    found = list(client.session[LAST_RESULTS_KEY])[:count]
    assert len(found) == count, f"the sandbox returned {len(found)} numbers for {filters}"
    client.post(reverse("orders:selection-add"), {"phone_number": found})
    return found


def review_intent(client: Any) -> str:
    """Open the review page and read the intent id the form carries (as a browser would)."""
    html = client.get(reverse("orders:review")).content.decode()
    match = re.search(r'name="intent" value="([0-9a-f-]{36})"', html)
    assert match, "the review page has no place-order form"
    return match.group(1)


def wait_for(predicate: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def wait_placed(customer_reference: str, timeout: float = 30.0) -> NumberOrder:
    def done() -> NumberOrder | None:
        order = NumberOrder.objects.filter(customer_reference=customer_reference).first()
        return order if order and not order.is_placing else None

    return wait_for(done, timeout, f"order {customer_reference} to finish placing")
