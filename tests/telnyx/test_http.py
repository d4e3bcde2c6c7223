"""Retry, backoff and error mapping of the transport (P13, P14, P41), on an in-process fake
transport with a fake clock so the timing is exact and the tests take no time.

End-to-end behaviour against the real sandbox over HTTP lives in test_client_sandbox.py.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.telnyx.errors import (
    AuthenticationError,
    InvalidRequestError,
    NetworkError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
)
from portal.telnyx.http import RetryPolicy, Transport, retry_after_seconds

API_KEY = "KEY0123456789SECRET"


class FakeClock:
    def __init__(self):
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def make_transport(responses, *, budget=60.0, max_attempts=8, clock=None):
    """``responses``: list of httpx.Response or exceptions, served in order."""
    clock = clock or FakeClock()
    seen: list[httpx.Request] = []
    queue = list(responses)

    def handler(request):
        seen.append(request)
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(item, Exception):
            raise item
        return item

    transport = Transport(
        "https://api.example.test/v2",
        API_KEY,
        policy=RetryPolicy(budget=budget, max_attempts=max_attempts),
        transport=httpx.MockTransport(handler),
        sleep=clock.sleep,
        clock=clock,
        rng=random.Random(4),
    )
    return transport, seen, clock


def err(status, *errors, headers=None):
    body = {"errors": list(errors)} if errors else {}
    return httpx.Response(status, json=body, headers=headers or {})


def ok(data=None, headers=None):
    return httpx.Response(200, json={"data": data or {"id": "1"}}, headers=headers or {})


def test_p14_a_get_is_retried_through_5xx_with_growing_jittered_gaps():
    transport, seen, clock = make_transport([err(503), err(500), err(502), err(504), ok()])
    response = transport.request("GET", "number_orders/1")
    assert response.json()["data"]["id"] == "1"
    assert len(seen) == 5
    # Equal jitter: gap n lies in [c/2, c] with c = 0.5 * 2**(n-1).
    for n, gap in enumerate(clock.sleeps, start=1):
        ceiling = 0.5 * 2 ** (n - 1)
        assert ceiling / 2 <= gap <= ceiling
    assert clock.sleeps == sorted(clock.sleeps)


def test_p14_jitter_spreads_callers_that_failed_together():
    gaps = set()
    for seed in range(5):
        clock = FakeClock()
        answers = [err(503), ok()]
        transport = Transport(
            "https://api.example.test/v2",
            API_KEY,
            transport=httpx.MockTransport(lambda request, answers=answers: answers.pop(0)),
            sleep=clock.sleep,
            clock=clock,
            rng=random.Random(seed),
        )
        transport.request("GET", "x")
        gaps.add(round(clock.sleeps[0], 6))
    assert len(gaps) == 5


def test_p14_retries_stop_at_the_budget_and_raise_a_typed_transient_error():
    transport, seen, clock = make_transport([err(503)], budget=10.0, max_attempts=100)
    with pytest.raises(ServerError) as info:
        transport.request("GET", "number_orders")
    assert info.value.status == 503
    assert not info.value.permanent
    assert clock.now - 1000.0 <= 10.0
    assert 3 <= len(seen) <= 8


def test_p14_retries_stop_at_the_attempt_cap():
    transport, seen, _ = make_transport([err(500)], max_attempts=3)
    with pytest.raises(ServerError):
        transport.request("GET", "number_orders")
    assert len(seen) == 3


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, InvalidRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (422, InvalidRequestError),
    ],
)
def test_p14_client_errors_are_permanent_and_tried_once(status, cls):
    transport, seen, clock = make_transport([err(status, {"code": "10015", "title": "Bad"})])
    with pytest.raises(cls) as info:
        transport.request("GET", "number_orders")
    assert len(seen) == 1
    assert clock.sleeps == []
    assert info.value.permanent
    assert info.value.status == status
    assert info.value.codes == ["10015"]


def test_every_error_detail_and_pointer_reaches_the_user():
    transport, _, _ = make_transport(
        [
            err(
                422,
                {
                    "code": "85000",
                    "title": "Unprocessable",
                    "detail": "Number must be found by an API search first",
                    "source": {"pointer": "/phone_numbers/0/phone_number"},
                },
                {"code": "10016", "title": "Invalid", "detail": "Number must be +E.164"},
                headers={"x-request-id": "req-42"},
            )
        ]
    )
    with pytest.raises(InvalidRequestError) as info:
        transport.request("POST", "number_orders", json={}, retry=False)
    error = info.value
    assert error.codes == ["85000", "10016"]
    assert error.errors[0].pointer == "/phone_numbers/0/phone_number"
    assert error.request_id == "req-42"
    text = str(error)
    assert "Number must be found by an API search first" in text
    assert "/phone_numbers/0/phone_number" in text
    assert "Number must be +E.164" in text


def test_p13_429_waits_exactly_as_long_as_retry_after_says():
    transport, seen, clock = make_transport(
        [err(429, {"code": "10011"}, headers={"retry-after": "7"}), ok()]
    )
    transport.request("GET", "number_orders")
    assert len(seen) == 2
    assert 7.0 <= clock.sleeps[0] <= 7.25


def test_p13_429_honours_retry_after_as_an_http_date():
    response = httpx.Response(
        429, headers={"retry-after": email.utils.formatdate(1_800_000_009, usegmt=True)}
    )
    assert retry_after_seconds(response, now=1_800_000_000) == pytest.approx(9, abs=1)
    when = email.utils.formatdate(time.time() + 6, usegmt=True)
    transport, seen, clock = make_transport([err(429, headers={"retry-after": when}), ok()])
    transport.request("GET", "x")
    assert len(seen) == 2
    assert 4.5 <= clock.sleeps[0] <= 6.5


def test_p13_429_honours_x_ratelimit_reset_in_seconds():
    transport, _, clock = make_transport(
        [err(429, headers={"x-ratelimit-reset": "3", "x-ratelimit-remaining": "0"}), ok()]
    )
    transport.request("GET", "x")
    assert 3.0 <= clock.sleeps[0] <= 3.25


def test_p13_a_wait_longer_than_the_budget_gives_up_with_the_wait_attached():
    transport, seen, clock = make_transport([err(429, headers={"retry-after": "90"})], budget=30.0)
    with pytest.raises(RateLimitedError) as info:
        transport.request("GET", "x")
    assert len(seen) == 1
    assert clock.sleeps == []
    assert info.value.retry_after == 90


def test_p11_a_creating_post_answered_500_is_sent_exactly_once():
    transport, seen, _ = make_transport([err(500), ok()])
    with pytest.raises(ServerError):
        transport.request("POST", "number_orders", json={"a": 1}, retry=False)
    assert len(seen) == 1


def test_p11_a_creating_post_that_timed_out_is_not_resent():
    transport, seen, _ = make_transport([httpx.ReadTimeout("slow"), ok()])
    with pytest.raises(NetworkError) as info:
        transport.request("POST", "number_orders", json={"a": 1}, retry=False)
    assert info.value.sent is True
    assert len(seen) == 1


def test_a_creating_post_refused_with_429_is_sent_again():
    transport, seen, _ = make_transport([err(429, headers={"retry-after": "1"}), ok()])
    transport.request("POST", "number_orders", json={"a": 1}, retry=False)
    assert len(seen) == 2


def test_a_creating_post_whose_connection_could_not_open_is_sent_again():
    transport, seen, _ = make_transport([httpx.ConnectError("refused"), ok()])
    transport.request("POST", "number_orders", json={"a": 1}, retry=False)
    assert len(seen) == 2


def test_idempotent_requests_are_retried_after_timeouts_and_resets():
    transport, seen, _ = make_transport(
        [httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("reset"), ok()]
    )
    transport.request("PATCH", "sub_number_orders/1", json={})
    assert len(seen) == 3


def test_408_is_retried_for_reads():
    transport, seen, _ = make_transport([err(408), ok()])
    transport.request("GET", "x")
    assert len(seen) == 2


def test_p41_one_log_line_per_attempt_without_key_or_query(caplog):
    caplog.set_level(logging.INFO, logger="portal.telnyx")
    transport, _, _ = make_transport([err(503), ok(headers={"x-request-id": "rid-7"})])
    transport.request(
        "GET", "available_phone_numbers", params={"filter[phone_number][contains]": "5550123"}
    )
    lines = [r.getMessage() for r in caplog.records if r.name == "portal.telnyx"]
    assert len(lines) == 2
    assert "method=GET path=/available_phone_numbers status=503" in lines[0]
    assert "attempt=1" in lines[0]
    assert "status=200" in lines[1]
    assert "attempt=2" in lines[1]
    assert "request_id=rid-7" in lines[1]
    assert "duration_ms=" in lines[1]
    everything = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    assert API_KEY not in everything
    assert "5550123" not in everything


def test_every_request_carries_the_bearer_key_and_an_explicit_timeout():
    transport, seen, _ = make_transport([ok()])
    transport.request("GET", "x")
    assert seen[0].headers["authorization"] == f"Bearer {API_KEY}"
    timeouts = seen[0].extensions["timeout"]
    assert timeouts["connect"] == 5.0
    assert timeouts["read"] == 30.0


@settings(max_examples=200, deadline=None)
@given(
    status=st.sampled_from([200, 429, 503]),
    headers=st.dictionaries(
        st.sampled_from(
            ["retry-after", "retry-after-ms", "x-ratelimit-reset", "x-ratelimit-remaining"]
        ),
        st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40),
    ),
)
def test_p48_any_rate_limit_headers_give_a_wait_or_none_never_a_crash(status, headers):
    wait = retry_after_seconds(httpx.Response(status, headers=headers))
    assert wait is None or wait >= 0


def test_cookies_telnyx_sets_are_neither_kept_nor_sent_back():
    answer = httpx.Response(
        200, json={"data": {"id": "1"}}, headers={"set-cookie": "lb=a1; Path=/"}
    )
    transport, seen, _ = make_transport([answer])
    transport.request("GET", "x")
    transport.request("GET", "y")
    assert "cookie" not in seen[1].headers
    assert not transport.client.cookies
    with pytest.raises(TypeError):
        transport.client.cookies = {"lb": "a1"}
    with pytest.raises(TypeError):
        transport.client.cookies["lb"] = "a1"
    assert not transport.client.cookies


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=30), st.text(max_size=30)), max_size=6))
def test_query_strings_are_encoded_byte_for_byte_as_urlencode_would(pairs):
    from urllib.parse import urlencode

    transport, _, _ = make_transport([ok()])
    url, leftover = transport.target("comments", pairs)
    assert leftover is None
    expected = "https://api.example.test/v2/comments" + (f"?{urlencode(pairs)}" if pairs else "")
    assert url == expected
