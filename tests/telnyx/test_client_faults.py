"""The client under faults, against the sandbox's fault injection over real HTTP (P10-P14).

Every exchange, injected 429/503 answers included, is validated against the contract (the
``contract`` fixture checks undeclared error statuses as Telnyx error envelopes).
"""

from __future__ import annotations

import email.utils
import io
import itertools
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest

from portal.telnyx.errors import (
    AmbiguousCreateError,
    InvalidRequestError,
    NotFoundError,
    ServerError,
)
from portal.telnyx.http import RetryPolicy

from .conftest import reference, searched

pytestmark = pytest.mark.integration


@pytest.fixture
def faulty_client(make_client):
    return make_client


def orders_with_reference(sandbox, ref):
    response = sandbox.http.get("/number_orders", params={"filter[customer_reference]": ref})
    assert response.status_code == 200
    return [o for o in response.json()["data"] if o["customer_reference"] == ref]


def stamps(rows):
    return [datetime.fromisoformat(r["at"].replace("Z", "+00:00")).timestamp() for r in rows]


def test_p14_200_gets_under_30_percent_5xx_and_a_tight_rate_limit_all_come_back_right(
    sandbox, faulty_client
):
    numbers = sandbox.search("US", "local", limit=10)
    expected = {}
    for number in numbers:
        order = sandbox.order([number])
        expected[order["id"]] = order["customer_reference"]
    sandbox.configure(fault_rate=0.3, rate_limit=40)
    sandbox.clear_requests()
    client = faulty_client(
        rate_limit=30,
        policy=RetryPolicy(budget=60, max_attempts=20, backoff_base=0.05, backoff_max=1.0),
    )
    ids = [list(expected)[i % len(expected)] for i in range(200)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(client.get_number_order, ids))

    assert [r.id for r in results] == ids
    assert all(r.customer_reference == expected[r.id] for r in results)
    attempts = [
        r for r in sandbox.requests(method="GET") if r["path"].startswith("/v2/number_orders/")
    ]
    # About 30% of attempts failed and were retried.
    assert 230 <= len(attempts) <= 600
    # The shared limiter paced the batch: a one-second burst, then about 30 requests/s.
    times = sorted(stamps(attempts))
    busiest = max(sum(1 for t in times[i:] if t < start + 1.0) for i, start in enumerate(times))
    assert busiest <= 62
    assert (len(times) - 30) / (times[-1] - times[0]) <= 33


def test_p10_an_order_whose_answer_is_lost_after_commit_exists_exactly_once(sandbox, faulty_client):
    client = faulty_client(read_timeout=1.0)
    number = searched(client, "US", 1, phone_number_type="local")
    sandbox.script(method="POST", path="/v2/number_orders", action="delay_after_commit", seconds=3)
    ref = reference()

    order = client.create_number_order(number, customer_reference=ref)

    assert order.customer_reference == ref
    assert len(orders_with_reference(sandbox, ref)) == 1
    assert len(sandbox.requests(path="/v2/number_orders", method="POST")) == 1
    assert len(sandbox.requests(path="/v2/number_orders", method="GET")) >= 1


def test_p10_an_order_whose_connection_drops_after_commit_exists_exactly_once(
    sandbox, faulty_client
):
    client = faulty_client(read_timeout=1.0)
    number = searched(client, "US", 1, phone_number_type="local")
    sandbox.script(method="POST", path="/v2/number_orders", action="drop_after_commit")
    ref = reference()

    order = client.create_number_order(number, customer_reference=ref)

    assert order.phone_numbers[0].phone_number == number[0]
    assert len(orders_with_reference(sandbox, ref)) == 1
    assert len(sandbox.requests(path="/v2/number_orders", method="POST")) == 1


def test_p10_an_order_dropped_before_commit_is_sent_again_and_bought_once(sandbox, faulty_client):
    client = faulty_client(read_timeout=1.0)
    number = searched(client, "US", 1, phone_number_type="local")
    sandbox.script(method="POST", path="/v2/number_orders", action="drop_before_commit")
    ref = reference()

    client.create_number_order(number, customer_reference=ref)

    assert len(orders_with_reference(sandbox, ref)) == 1
    assert len(sandbox.requests(path="/v2/number_orders", method="POST")) == 2


def test_p10_an_order_telnyx_is_still_processing_is_found_not_bought_twice(sandbox, faulty_client):
    """The request is held 1.5 s before Telnyx commits it; we gave up after 1 s."""
    client = faulty_client(read_timeout=1.0)
    number = searched(client, "US", 1, phone_number_type="local")
    sandbox.script(method="POST", path="/v2/number_orders", action="hold", seconds=1.5)
    ref = reference()

    client.create_number_order(number, customer_reference=ref)

    assert len(orders_with_reference(sandbox, ref)) == 1
    assert len(sandbox.requests(path="/v2/number_orders", method="POST")) == 1


def test_p11_a_500_on_order_creation_is_checked_then_sent_once_more(sandbox, faulty_client):
    client = faulty_client()
    number = searched(client, "US", 1, phone_number_type="local")
    sandbox.script(method="POST", path="/v2/number_orders", action="status", status=500)
    ref = reference()

    client.create_number_order(number, customer_reference=ref)

    assert len(orders_with_reference(sandbox, ref)) == 1
    posts = sandbox.requests(path="/v2/number_orders", method="POST")
    gets = sandbox.requests(path="/v2/number_orders", method="GET")
    assert len(posts) == 2
    assert stamps(gets)[0] < stamps(posts)[1]  # looked before sending again


def test_p11_without_resend_a_500_means_exactly_one_post_and_no_order(sandbox, faulty_client):
    client = faulty_client()
    number = searched(client, "US", 1, phone_number_type="local")
    sandbox.script(method="POST", path="/v2/number_orders", action="status", status=500)
    ref = reference()

    with pytest.raises(ServerError):
        client.create_number_order(number, customer_reference=ref, resend_if_absent=False)

    assert orders_with_reference(sandbox, ref) == []
    assert len(sandbox.requests(path="/v2/number_orders", method="POST")) == 1


def test_p10_when_the_check_itself_fails_the_order_is_ambiguous_and_not_resent(
    sandbox, faulty_client
):
    client = faulty_client(
        read_timeout=1.0, policy=RetryPolicy(budget=3, max_attempts=2, backoff_base=0.05)
    )
    number = searched(client, "US", 1, phone_number_type="local")
    sandbox.script(method="POST", path="/v2/number_orders", action="delay_after_commit", seconds=2)
    sandbox.script(method="GET", path="/v2/number_orders", action="status", status=503, times=5)
    ref = reference()

    with pytest.raises(AmbiguousCreateError) as info:
        client.create_number_order(number, customer_reference=ref)
    sandbox.reset()  # drop the remaining scripted 503s before counting

    assert info.value.customer_reference == ref
    assert len(sandbox.requests(path="/v2/number_orders", method="POST")) == 1
    assert len(orders_with_reference(sandbox, ref)) == 1


def test_p13_429_is_honoured_with_retry_after_seconds(sandbox, faulty_client):
    client = faulty_client()
    order = sandbox.order(sandbox.search("US", "local", limit=1))
    path = f"/v2/number_orders/{order['id']}"
    sandbox.script(
        method="GET", path=path, action="status", status=429, headers={"Retry-After": "2"}
    )
    started = time.monotonic()

    assert client.get_number_order(order["id"]).id == order["id"]

    assert time.monotonic() - started >= 2.0
    first, second = stamps(sandbox.requests(path=path))
    assert second - first >= 1.95


def test_p13_429_is_honoured_with_retry_after_as_an_http_date(sandbox, faulty_client):
    client = faulty_client()
    order = sandbox.order(sandbox.search("US", "local", limit=1))
    path = f"/v2/number_orders/{order['id']}"
    when = email.utils.formatdate(time.time() + 3, usegmt=True)
    sandbox.script(
        method="GET", path=path, action="status", status=429, headers={"Retry-After": when}
    )

    client.get_number_order(order["id"])

    first, second = stamps(sandbox.requests(path=path))
    assert second - first >= 1.9  # the date has one-second resolution


def test_p13_429_is_honoured_with_x_ratelimit_reset(sandbox, faulty_client):
    client = faulty_client()
    order = sandbox.order(sandbox.search("US", "local", limit=1))
    path = f"/v2/number_orders/{order['id']}"
    sandbox.script(
        method="GET",
        path=path,
        action="status",
        status=429,
        headers={"x-ratelimit-reset": "2", "x-ratelimit-remaining": "0"},
    )

    client.get_number_order(order["id"])

    first, second = stamps(sandbox.requests(path=path))
    assert second - first >= 1.95


def test_p13_a_429_seen_by_one_worker_holds_back_the_others(sandbox, faulty_client):
    name = reference()
    first = faulty_client(rate_limit=50, rate_limit_name=name)
    second = faulty_client(rate_limit=50, rate_limit_name=name)
    order = sandbox.order(sandbox.search("US", "local", limit=1))
    path = f"/v2/number_orders/{order['id']}"
    sandbox.script(
        method="GET", path=path, action="status", status=429, headers={"Retry-After": "2"}
    )
    with ThreadPoolExecutor(max_workers=1) as pool:
        waiting = pool.submit(first.get_number_order, order["id"])
        time.sleep(0.3)  # let the first worker receive its 429
        started = time.monotonic()
        second.get_number_order(order["id"])
        held_back = time.monotonic() - started
        waiting.result()
    assert held_back >= 1.4


def test_p13_a_creating_post_refused_with_429_is_sent_again(sandbox, faulty_client):
    client = faulty_client()
    number = searched(client, "US", 1, phone_number_type="local")
    sandbox.script(
        method="POST",
        path="/v2/number_orders",
        action="status",
        status=429,
        headers={"Retry-After": "1"},
    )
    ref = reference()

    client.create_number_order(number, customer_reference=ref)

    assert len(sandbox.requests(path="/v2/number_orders", method="POST")) == 2
    assert len(orders_with_reference(sandbox, ref)) == 1


def test_p14_endless_503s_give_up_within_the_budget_with_growing_gaps(sandbox, faulty_client):
    client = faulty_client(policy=RetryPolicy(budget=3.0, max_attempts=50, backoff_base=0.1))
    order = sandbox.order(sandbox.search("US", "local", limit=1))
    path = f"/v2/number_orders/{order['id']}"
    sandbox.script(method="GET", path=path, action="status", status=503, times=100)
    started = time.monotonic()

    with pytest.raises(ServerError) as info:
        client.get_number_order(order["id"])

    assert info.value.status == 503
    assert not info.value.permanent
    assert time.monotonic() - started <= 3.5
    times = stamps(sandbox.requests(path=path))
    assert 3 <= len(times) <= 10
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert gaps[-1] > gaps[0]


def test_p14_a_422_on_a_patch_is_tried_once_and_shown(sandbox, faulty_client):
    client = faulty_client()
    order = sandbox.order(sandbox.search("DE", "local", limit=1))
    sub_id = order["sub_number_orders_ids"][0]
    with pytest.raises(InvalidRequestError) as info:
        client.update_sub_number_order_requirements(
            sub_id, [{"requirement_id": "00000000-0000-4000-8000-000000000000", "field_value": "x"}]
        )
    assert info.value.status in (400, 422)
    assert str(info.value)
    assert len(sandbox.requests(path=f"/v2/sub_number_orders/{sub_id}", method="PATCH")) == 1


def test_p10_a_document_upload_whose_answer_is_lost_is_stored_once(
    sandbox, faulty_client, tmp_path
):
    client = faulty_client(read_timeout=1.0)
    path = tmp_path / "passport.pdf"
    path.write_bytes(b"%PDF-1.4 " + b"x" * 200_000)
    sandbox.script(method="POST", path="/v2/documents", action="drop_after_commit")
    ref = reference()

    document = client.upload_document(path, "passport.pdf", customer_reference=ref)

    assert [d.id for d in client.iter_documents(customer_reference__eq=ref)] == [document.id]
    assert len(sandbox.requests(path="/v2/documents", method="POST")) == 1


def test_p10_an_address_refused_with_503_is_checked_then_created_once(sandbox, faulty_client):
    client = faulty_client()
    sandbox.script(method="POST", path="/v2/addresses", action="status", status=503)
    address = client.create_address(
        first_name="Ada",
        last_name="Lovelace",
        business_name="Acme",
        street_address="1 Main St",
        locality="Springfield",
        country_code="US",
    )
    matches = list(client.iter_addresses(customer_reference__eq=address.customer_reference))
    assert [a.id for a in matches] == [address.id]
    assert len(sandbox.requests(path="/v2/addresses", method="POST")) == 2


def test_p10_a_comment_whose_answer_is_lost_is_posted_once(sandbox, faulty_client):
    client = faulty_client(read_timeout=1.0)
    order = sandbox.order(sandbox.search("DE", "local", limit=1))
    sub_id = order["sub_number_orders_ids"][0]
    sandbox.script(method="POST", path="/v2/comments", action="drop_after_commit")

    comment = client.create_comment("sub_number_order", sub_id, "Please extend the deadline.")

    thread = client.list_comments("sub_number_order", sub_id)
    assert [c.id for c in thread if c.body == "Please extend the deadline."] == [comment.id]
    assert len(sandbox.requests(path="/v2/comments", method="POST")) == 1


def test_a_delete_whose_answer_is_lost_counts_as_done_when_the_retry_finds_it_gone(
    sandbox, faulty_client
):
    client = faulty_client(read_timeout=1.0)
    document = client.upload_document(io.BytesIO(b"%PDF-1.4 old proof"), "old.pdf")
    path = f"/v2/documents/{document.id}"
    sandbox.script(method="DELETE", path=path, action="drop_after_commit")

    assert client.delete_document(document.id) is None

    assert len(sandbox.requests(path=path, method="DELETE")) == 2
    with pytest.raises(NotFoundError):
        client.get_document(document.id)


def test_p14_a_read_that_times_out_is_retried_and_answers(sandbox, faulty_client):
    client = faulty_client(read_timeout=0.5)
    order = sandbox.order(sandbox.search("US", "local", limit=1))
    path = f"/v2/number_orders/{order['id']}"
    sandbox.script(method="GET", path=path, action="hold", seconds=1.0)

    assert client.get_number_order(order["id"]).id == order["id"]

    assert len(sandbox.requests(path=path, method="GET")) == 2


def test_p16_a_requirements_patch_whose_answer_is_lost_is_retried_and_applied(
    sandbox, faulty_client
):
    client = faulty_client(read_timeout=1.0)
    order = sandbox.order(sandbox.search("DE", "local", limit=1))
    sub_id = order["sub_number_orders_ids"][0]
    sub = client.get_sub_number_order(sub_id)
    textual = next(r for r in sub.regulatory_requirements if r.field_type == "textual")
    path = f"/v2/sub_number_orders/{sub_id}"
    sandbox.script(method="PATCH", path=path, action="drop_after_commit")

    client.update_sub_number_order_requirements(
        sub_id, [{"requirement_id": textual.requirement_id, "field_value": "Acme GmbH"}]
    )

    patches = sandbox.requests(path=path, method="PATCH")
    assert len(patches) == 2
    assert patches[0]["body"] == patches[1]["body"]  # the same values, byte for byte
    number = client.get_number_order_phone_number(order["phone_numbers"][0]["id"])
    values = [r.field_value for r in number.regulatory_requirements]
    assert values.count("Acme GmbH") == 1
