"""The reconcile-before-resend logic of creating POSTs (P10, P11), decision by decision.

These run on an in-process fake so every branch is reachable in milliseconds; the same
promises are proven end to end against the sandbox in test_client_sandbox.py.
"""

from __future__ import annotations

import json
import random

import httpx
import pytest

from portal.telnyx.client import TelnyxClient
from portal.telnyx.errors import AmbiguousCreateError, InvalidRequestError, ServerError
from portal.telnyx.http import RetryPolicy


class FakeTelnyx:
    """Just enough of /number_orders: a script of outcomes for POSTs and GETs."""

    def __init__(self, post_outcomes, list_outcomes=None):
        self.post_outcomes = list(post_outcomes)
        self.list_outcomes = list(list_outcomes or [])
        self.orders: list[dict] = []
        self.posts = 0
        self.lists = 0
        self.post_requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            self.posts += 1
            self.post_requests.append(request)
            outcome = self.post_outcomes.pop(0)
            body = json.loads(request.content)
            order = {"id": f"o{self.posts}", "status": "pending", **body}
            if outcome in ("ok", "commit-then-500", "commit-then-timeout"):
                self.orders.append(order)
            if outcome == "ok":
                return httpx.Response(200, json={"data": order})
            if outcome in ("500", "commit-then-500"):
                return httpx.Response(500, json={"errors": [{"code": "10007"}]})
            if outcome == "422":
                return httpx.Response(422, json={"errors": [{"code": "85000", "detail": "x"}]})
            raise httpx.ReadTimeout("timed out", request=request)
        if request.url.path.endswith("/number_orders"):
            self.lists += 1
            if self.list_outcomes and self.list_outcomes.pop(0) == "fail":
                return httpx.Response(401, json={"errors": [{"code": "10009"}]})
            ref = request.url.params.get("filter[customer_reference]")
            data = [o for o in self.orders if o["customer_reference"] == ref]
            return httpx.Response(200, json={"data": data, "meta": {"total_pages": 1}})
        order_id = request.url.path.rsplit("/", 1)[-1]
        order = next(o for o in self.orders if o["id"] == order_id)
        return httpx.Response(200, json={"data": order})


def client_for(fake):
    return TelnyxClient(
        "https://api.example.test/v2",
        "KEY",
        policy=RetryPolicy(budget=30, backoff_base=0.01),
        transport=httpx.MockTransport(fake),
        sleep=lambda s: None,
        settle_seconds=0,
        rng=random.Random(1),
    )


@pytest.mark.parametrize("failure", ["commit-then-500", "commit-then-timeout"])
def test_p10_an_order_created_before_the_failure_is_adopted_not_bought_again(failure):
    fake = FakeTelnyx([failure, "ok"])
    order = client_for(fake).create_number_order(["+4930111"], customer_reference="intent-1")
    assert fake.posts == 1
    assert fake.lists == 1
    assert order.id == "o1"
    assert len(fake.orders) == 1


@pytest.mark.parametrize("failure", ["500", "timeout"])
def test_p10_an_order_certainly_absent_after_the_failure_is_sent_again(failure):
    fake = FakeTelnyx([failure, "ok"])
    order = client_for(fake).create_number_order(["+4930111"], customer_reference="intent-2")
    assert fake.posts == 2
    assert order.customer_reference == "intent-2"
    assert len(fake.orders) == 1


def test_p12_a_resent_order_carries_the_same_bytes_and_no_idempotency_key():
    fake = FakeTelnyx(["500", "ok"])
    client_for(fake).create_number_order(["+4930111", "+4930112"], customer_reference="intent-4")
    first, second = fake.post_requests
    assert first.content == second.content
    assert "idempotency-key" not in first.headers
    assert "idempotency-key" not in second.headers


def test_p12_no_operation_in_the_contract_declares_an_idempotency_key(contract):
    """P12 (same key and bytes on every attempt) applies where Telnyx declares
    Idempotency-Key. None of the operations the portal uses does, which is why creating POSTs
    reconcile by customer_reference instead (P10). Should a spec update add the header, this
    fails: send one key per intent, stored with the body bytes, on every attempt."""
    declaring = []
    for op in contract.operations:
        for param in op.spec.get("parameters", []):
            param, _ = contract._resolve(param, "")
            if param.get("in") == "header" and param.get("name", "").lower() == "idempotency-key":
                declaring.append(f"{op.method} {op.template}")
    assert declaring == []


def test_p10_when_the_lookup_fails_nothing_is_resent_and_the_outcome_is_ambiguous():
    fake = FakeTelnyx(["timeout", "ok"], list_outcomes=["fail"])
    with pytest.raises(AmbiguousCreateError) as info:
        client_for(fake).create_number_order(["+4930111"], customer_reference="intent-3")
    assert fake.posts == 1
    assert info.value.customer_reference == "intent-3"
    assert not info.value.permanent


def test_p11_without_resend_a_failed_order_is_posted_once_and_the_error_says_nothing_exists():
    fake = FakeTelnyx(["500", "ok"])
    with pytest.raises(ServerError):
        client_for(fake).create_number_order(
            ["+4930111"], customer_reference="intent-4", resend_if_absent=False
        )
    assert fake.posts == 1
    assert fake.lists == 1


def test_p14_a_refused_order_is_not_looked_up_or_resent():
    fake = FakeTelnyx(["422"])
    with pytest.raises(InvalidRequestError) as info:
        client_for(fake).create_number_order(["+4930111"], customer_reference="intent-5")
    assert info.value.codes == ["85000"]
    assert fake.posts == 1
    assert fake.lists == 0


def test_resends_are_bounded_when_telnyx_keeps_failing():
    fake = FakeTelnyx(["500"] * 10)
    with pytest.raises(ServerError):
        client_for(fake).create_number_order(["+4930111"], customer_reference="intent-6")
    assert fake.posts == 3


def test_an_order_needs_a_customer_reference():
    with pytest.raises(ValueError, match="customer_reference"):
        client_for(FakeTelnyx([])).create_number_order(["+4930111"], customer_reference="")
