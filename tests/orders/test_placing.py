"""Placing orders: the split, progress, one order per click/retry/crash, errors per number."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from orders import placing
from orders.models import NumberOrder, PlacingState, SubNumberOrder
from orders.placing import OrderOptions, PlacingRefused, create_intent, errors_per_number
from orders.selection import SelectedNumber, Selection
from orders.tasks import relay_outbox
from portal import outbox
from portal.models import OutboxMessage
from portal.telnyx import reset_client
from portal.telnyx.errors import ErrorDetail, InvalidRequestError

from .conftest import pick_numbers, review_intent, wait_for, wait_placed

pytestmark = [pytest.mark.integration]


def sandbox_orders_with_reference(sandbox, reference: str) -> list[dict]:
    response = sandbox.http.get("/number_orders", params={"filter[customer_reference]": reference})
    return response.json()["data"]


def number_order_posts(sandbox) -> list[dict]:
    return sandbox.requests(path="/v2/number_orders", method="POST")


@pytest.mark.django_db(transaction=True)
def test_a_mixed_order_is_placed_by_the_worker_and_split_per_country_and_type(
    sandbox, orders_worker, alice_client
):
    pick_numbers(alice_client, 2, country_code="DE", phone_number_type="local")
    pick_numbers(alice_client, 1, country_code="US", phone_number_type="local")
    pick_numbers(alice_client, 1, country_code="US", phone_number_type="toll_free")
    review = alice_client.get(reverse("orders:review")).content.decode()
    assert "3 sub orders" in review and "What Telnyx will require" in review
    intent = review_intent(alice_client)
    response = alice_client.post(reverse("orders:review"), {"intent": intent})
    order = NumberOrder.objects.get(customer_reference=intent)
    assert response.status_code == 302 and response["Location"] == order.get_absolute_url()
    # A job row exists before the worker has done anything; the page polls it.
    page = alice_client.get(
        order.get_absolute_url(), headers={"HX-Request": "true"}, data={"part": "progress"}
    )
    assert page.status_code in (200, 286)
    order = wait_placed(intent)
    assert order.placing_state == PlacingState.PLACED and order.telnyx_id
    splits = sorted(
        order.sub_orders.values_list("country_code", "phone_number_type", "phone_numbers_count")
    )
    assert splits == [("DE", "local", 2), ("US", "local", 1), ("US", "toll_free", 1)]
    assert order.numbers.filter(sub_order__isnull=True).count() == 0
    assert order.placed_by.username == "alice"
    # Polling stops with 286 once the order is placed.
    done = alice_client.get(
        order.get_absolute_url(), {"part": "progress"}, headers={"HX-Request": "true"}
    )
    assert done.status_code == 286
    assert len(number_order_posts(sandbox)) == 1
    assert not Selection(alice_client.session).phone_numbers()


@pytest.mark.django_db(transaction=True)
def test_p9_a_double_click_places_one_order(sandbox, orders_worker, alice_client):
    pick_numbers(alice_client, 1, country_code="US", phone_number_type="local")
    intent = review_intent(alice_client)
    second_tab = Client()
    second_tab.cookies = alice_client.cookies
    results = []

    def click(client):
        results.append(client.post(reverse("orders:review"), {"intent": intent}).status_code)
        connection.close()

    threads = [threading.Thread(target=click, args=(c,)) for c in (alice_client, second_tab)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # An htmx retry of the same form, later.
    retry = alice_client.post(
        reverse("orders:review"), {"intent": intent}, headers={"HX-Request": "true"}
    )
    assert results == [302, 302]
    assert retry.status_code == 200 and retry["HX-Redirect"].startswith("/orders/")
    order = wait_placed(intent)
    assert NumberOrder.objects.filter(customer_reference=intent).count() == 1
    # Every delivery of the job has reported back once its outbox row is done.
    wait_for(
        lambda: outbox.state_of(placing.JOB, order.pk).state == "done", 10, "the job to finish"
    )
    assert len(number_order_posts(sandbox)) == 1
    assert len(sandbox_orders_with_reference(sandbox, intent)) == 1
    assert order.placing_state == PlacingState.PLACED


@pytest.mark.chaos
@pytest.mark.django_db(transaction=True)
def test_p10_a_worker_killed_during_the_post_leaves_exactly_one_order(
    sandbox, celery_worker_factory, sandbox_worker_env, alice_client, settings
):
    env = dict(sandbox_worker_env)
    worker = celery_worker_factory(env)
    # The sandbox commits the order, then keeps the connection open: the worker dies waiting.
    sandbox.script(method="POST", path="/v2/number_orders", action="delay_after_commit", seconds=20)
    pick_numbers(alice_client, 1, country_code="US", phone_number_type="local")
    intent = review_intent(alice_client)
    alice_client.post(reverse("orders:review"), {"intent": intent})
    wait_for(lambda: number_order_posts(sandbox), 20, "the POST to reach the sandbox")
    worker.kill()
    assert NumberOrder.objects.get(customer_reference=intent).placing_state == PlacingState.PLACING
    celery_worker_factory(env)
    # The outbox relay (a beat task) re-publishes the intent nobody finished (P18).
    # Once the job has been quiet for longer than the task time limit plus the relay interval.
    later = timezone.now() + outbox.lease() + timedelta(seconds=1)
    with time_machine.travel(later, tick=True):
        assert relay_outbox()["jobs"] == 1
    order = wait_placed(intent, timeout=60)
    assert order.placing_state == PlacingState.PLACED
    assert len(number_order_posts(sandbox)) == 1
    assert len(sandbox_orders_with_reference(sandbox, intent)) == 1
    assert order.telnyx_id == sandbox_orders_with_reference(sandbox, intent)[0]["id"]
    assert order.placing_attempts == 2


@pytest.mark.django_db(transaction=True)
def test_p10_a_post_dropped_before_commit_is_sent_again_once(sandbox, alice, settings):
    settings.TELNYX_READ_TIMEOUT = 2
    reset_client()
    numbers = sandbox.search("US", "local", limit=1)
    order = _intent(alice, numbers)
    sandbox.script(method="POST", path="/v2/number_orders", action="drop_before_commit", times=1)
    state = _place_until_done(order.pk)
    assert state == PlacingState.PLACED
    assert len(sandbox_orders_with_reference(sandbox, order.customer_reference)) == 1


@pytest.mark.django_db(transaction=True)
def test_p14_a_refused_number_is_shown_with_telnyxs_reason(sandbox, alice, alice_client):
    searched = sandbox.search("US", "local", limit=1)
    never_searched = "+12125550100"
    order = _intent(alice, [searched[0], never_searched])
    assert _place_until_done(order.pk) == PlacingState.FAILED
    order.refresh_from_db()
    assert len(number_order_posts(sandbox)) == 1
    assert any(e["phone_number"] == never_searched for e in order.placing_errors)
    html = alice_client.get(order.get_absolute_url()).content.decode()
    assert never_searched in html and "The order was not placed" in html


@pytest.mark.django_db(transaction=True)
def test_p14_a_server_error_is_retried_with_backoff_and_then_reconciled(sandbox, alice):
    numbers = sandbox.search("US", "local", limit=1)
    order = _intent(alice, numbers)
    sandbox.script(method="POST", path="/v2/number_orders", action="status", status=503, times=1)
    assert _place_until_done(order.pk) == PlacingState.PLACED
    assert len(sandbox_orders_with_reference(sandbox, order.customer_reference)) == 1


def _intent(user, phone_numbers: list[str]) -> NumberOrder:
    selection = Selection({})
    selection.add(
        SelectedNumber(phone_number=p, country_code="US", phone_number_type="local")
        for p in phone_numbers
    )
    order, created = create_intent(user, str(uuid.uuid4()), selection, OrderOptions())
    assert created
    return order


def _place_until_done(order_id: int, attempts: int = 5) -> str:
    """What the task does, without a worker: retry on RetryLater (no countdown here)."""
    for _ in range(attempts):
        try:
            return placing.place(order_id)
        except placing.RetryLater:
            continue
    return NumberOrder.objects.get(pk=order_id).placing_state


# --- unit: intents, approval, daily cap, error mapping -----------------------------------------


@pytest.mark.django_db
def test_p9_the_same_intent_twice_publishes_one_task(alice, django_capture_on_commit_callbacks):
    selection = Selection({})
    selection.add([SelectedNumber("+15550000001", "US", "local")])
    intent = str(uuid.uuid4())
    with django_capture_on_commit_callbacks() as callbacks:
        first, created = create_intent(alice, intent, selection, OrderOptions())
        again, created_again = create_intent(alice, intent, selection, OrderOptions())
    assert created and not created_again and first.pk == again.pk
    assert len(callbacks) == 1


@pytest.mark.django_db
def test_someone_elses_intent_cannot_be_reused(alice, maria):
    selection = Selection({})
    selection.add([SelectedNumber("+15550000001", "US", "local")])
    intent = str(uuid.uuid4())
    create_intent(alice, intent, selection, OrderOptions())
    with pytest.raises(PlacingRefused):
        create_intent(maria, intent, selection, OrderOptions())


@pytest.mark.django_db
def test_p15_a_large_order_waits_for_another_persons_approval(
    alice, maria, settings, django_capture_on_commit_callbacks
):
    settings.ORDERS_APPROVAL_THRESHOLD = 2
    selection = Selection({})
    selection.add([SelectedNumber(f"+1555000000{i}", "US", "local") for i in range(3)])
    with django_capture_on_commit_callbacks() as callbacks:
        order, _ = create_intent(alice, str(uuid.uuid4()), selection, OrderOptions())
    assert order.placing_state == PlacingState.AWAITING_APPROVAL
    # Nothing placed: the one job is the e-mail telling maria the order waits for her.
    assert list(OutboxMessage.objects.values_list("kind", flat=True)) == ["notifications.email"]
    assert len(callbacks) == 1
    with pytest.raises(PlacingRefused):
        placing.approve(order, alice)
    with django_capture_on_commit_callbacks() as callbacks:
        assert placing.approve(order, maria)
    order.refresh_from_db()
    assert order.placing_state == PlacingState.QUEUED and order.approved_by == maria
    assert len(callbacks) == 1


@pytest.mark.django_db
def test_p15_staff_cannot_approve_through_the_screen(alice, alice_client, maria):
    order = NumberOrder.objects.create(
        customer_reference=str(uuid.uuid4()),
        placed_by=maria,
        placing_state=PlacingState.AWAITING_APPROVAL,
    )
    assert alice_client.post(reverse("orders:approve", args=[order.public_id])).status_code == 403


@pytest.mark.django_db
def test_p15_the_daily_cap_refuses_an_order_that_would_exceed_it(alice, settings):
    settings.ORDERS_DAILY_NUMBER_CAP = 2
    selection = Selection({})
    selection.add([SelectedNumber(f"+1555000000{i}", "US", "local") for i in range(3)])
    with pytest.raises(PlacingRefused, match="daily limit"):
        create_intent(alice, str(uuid.uuid4()), selection, OrderOptions())


def test_errors_are_attached_to_numbers_by_pointer_or_mention():
    exc = InvalidRequestError(
        status=422,
        errors=[
            ErrorDetail(code="85000", title="Unsearched", pointer="/phone_numbers/1/phone_number"),
            ErrorDetail(code="10015", detail="+15550000001 is on hold"),
            ErrorDetail(code="10007", detail="Something else"),
        ],
    )
    requested = [{"phone_number": "+15550000001"}, {"phone_number": "+15550000002"}]
    mapped = errors_per_number(exc, requested)
    assert [e["phone_number"] for e in mapped] == ["+15550000002", "+15550000001", ""]


@pytest.mark.django_db
def test_the_review_place_form_is_not_shown_for_an_empty_selection(alice_client):
    html = alice_client.get(reverse("orders:review")).content.decode()
    assert "The selection is empty" in html and 'name="intent"' not in html
    assert SubNumberOrder.objects.count() == 0


@pytest.mark.django_db
def test_p22_an_intent_that_keeps_crashing_its_worker_is_stopped(sandbox, alice, settings):
    settings.ORDERS_PLACING_MAX_ATTEMPTS = 3
    order = _intent(alice, ["+15550000001"])
    NumberOrder.objects.filter(pk=order.pk).update(
        placing_attempts=3, placing_state=PlacingState.PLACING
    )
    assert placing.place(order.pk) == PlacingState.DEAD
    order.refresh_from_db()
    assert order.placing_state == PlacingState.DEAD and "too many attempts" in order.placing_error


def test_p13_a_retry_waits_at_least_as_long_as_telnyx_asked():
    from portal.backoff import task_countdown

    assert all(task_countdown(0, asked=7) >= 7 for _ in range(20))
    assert all(4 <= task_countdown(3) <= 8 for _ in range(20))
    assert task_countdown(30, asked=10_000) <= 600
