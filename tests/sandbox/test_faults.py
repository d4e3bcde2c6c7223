"""Rate limits (429 10011 + Retry-After), injected faults, latency and one-shot scripts."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.sandbox.conftest import Api


def test_every_response_carries_rate_limit_headers(api: Api) -> None:
    response = api.get("/number_orders")
    for name in ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"):
        assert response.headers[name].isdigit()


def test_above_the_rate_limit_the_api_answers_429_with_retry_after(api: Api, sandbox) -> None:
    sandbox.configure(rate_limit=3)
    statuses = [api.get("/number_orders").status_code for _ in range(8)]
    assert 429 in statuses
    limited = api.get("/number_orders")
    if limited.status_code != 429:  # the one-second window rolled over; fill it again
        for _ in range(5):
            limited = api.get("/number_orders")
    assert limited.status_code == 429
    assert limited.json()["errors"][0]["code"] == "10011"
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.headers["x-ratelimit-remaining"] == "0"
    time.sleep(int(limited.headers["retry-after"]))
    assert api.get("/number_orders").status_code == 200


def test_fault_rate_answers_500_or_503(api: Api, sandbox) -> None:
    sandbox.configure(fault_rate=1.0)
    statuses = {api.get("/number_orders").status_code for _ in range(10)}
    assert statuses <= {500, 503}
    sandbox.configure(fault_rate=0)
    assert api.get("/number_orders").status_code == 200


def test_latency_slows_every_answer(api: Api, sandbox) -> None:
    sandbox.configure(latency_ms=300)
    started = time.monotonic()
    api.get("/number_orders")
    assert time.monotonic() - started >= 0.3


def test_a_scripted_status_fires_once_without_creating_anything(api: Api, sandbox) -> None:
    numbers = api.search("US", "local", 1)
    sandbox.script(method="POST", path="/v2/number_orders", action="status", status=503)
    response = api.post("/number_orders", json={"phone_numbers": [{"phone_number": numbers[0]}]})
    assert response.status_code == 503
    assert response.json()["errors"][0]["code"] == "10007"
    assert api.order(numbers)["phone_numbers_count"] == 1


def test_a_drop_after_commit_creates_the_order_but_loses_the_answer(api: Api, sandbox) -> None:
    numbers = api.search("US", "local", 1)
    sandbox.script(method="POST", path="/v2/number_orders", action="drop_after_commit")
    reference = "dropped-" + numbers[0]
    with pytest.raises(httpx.TransportError):
        sandbox.http.post(
            "/number_orders",
            json={"customer_reference": reference, "phone_numbers": [{"phone_number": numbers[0]}]},
        )
    found = api.ok(api.get("/number_orders", params={"filter[customer_reference]": reference}))
    assert found["meta"]["total_results"] == 1


def test_a_status_after_commit_creates_the_order_and_answers_the_error(api: Api, sandbox) -> None:
    numbers = api.search("US", "local", 1)
    sandbox.script(
        method="POST", path="/v2/number_orders", action="status_after_commit", status=503
    )
    reference = "bought-" + numbers[0]
    response = sandbox.http.post(
        "/number_orders",
        json={"customer_reference": reference, "phone_numbers": [{"phone_number": numbers[0]}]},
    )
    assert response.status_code == 503
    found = api.ok(api.get("/number_orders", params={"filter[customer_reference]": reference}))
    assert found["meta"]["total_results"] == 1


def test_a_drop_before_commit_creates_nothing(api: Api, sandbox) -> None:
    numbers = api.search("US", "local", 1)
    sandbox.script(method="POST", path="/v2/number_orders", action="drop_before_commit")
    reference = "lost-" + numbers[0]
    with pytest.raises(httpx.TransportError):
        sandbox.http.post(
            "/number_orders",
            json={"customer_reference": reference, "phone_numbers": [{"phone_number": numbers[0]}]},
        )
    found = api.ok(api.get("/number_orders", params={"filter[customer_reference]": reference}))
    assert found["meta"]["total_results"] == 0


def test_delay_after_commit_makes_a_client_time_out_after_the_order_exists(
    api: Api, sandbox
) -> None:
    numbers = api.search("US", "local", 1)
    sandbox.script(method="POST", path="/v2/number_orders", action="delay_after_commit", seconds=2)
    reference = "slow-" + numbers[0]
    with pytest.raises(httpx.ReadTimeout):
        sandbox.http.post(
            "/number_orders",
            timeout=0.5,
            json={"customer_reference": reference, "phone_numbers": [{"phone_number": numbers[0]}]},
        )
    found = api.ok(api.get("/number_orders", params={"filter[customer_reference]": reference}))
    assert found["meta"]["total_results"] == 1


def test_requests_are_recorded_without_the_authorization_header(api: Api, sandbox) -> None:
    api.get("/number_orders", params={"filter[status]": "pending"})
    rows = sandbox.requests(path="/v2/number_orders", method="GET")
    assert rows[-1]["query"] == "filter%5Bstatus%5D=pending"
    assert "authorization" not in {k.lower() for k in rows[-1]["headers"]}
    sandbox.clear_requests()
    assert sandbox.requests() == []
