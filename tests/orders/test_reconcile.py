"""No number Telnyx sold is invisible (P50): an order POST that committed at Telnyx and then
failed every way ends adopted and visible, or certainly absent; never silently dropped."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from compliance.models import AuditEntry
from orders import placing, reconcile, webhooks
from orders.intents import numbers_ordered_today
from orders.models import NumberOrder, PlacingState, WebhookEvent, WebhookEventState
from orders.placing import OrderOptions, RetryLater, create_intent
from orders.selection import SelectedNumber, Selection
from portal.telnyx import reset_client

from .webhook_signing import Signer, order_event

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def impatient_client(settings):
    """A client that gives up quickly, so 'Telnyx cannot answer' takes a second, not a minute."""
    settings.TELNYX_RETRY_BUDGET_SECONDS = 1
    settings.TELNYX_MAX_ATTEMPTS = 2
    settings.TELNYX_RECONCILE_SETTLE_SECONDS = 0
    settings.TELNYX_READ_TIMEOUT = 1
    reset_client()
    yield
    reset_client()


def intent(user, sandbox) -> NumberOrder:
    selection = Selection({})
    selection.add(SelectedNumber(p, "US", "local") for p in sandbox.search("US", "local", 1))
    order, created = create_intent(user, str(uuid.uuid4()), selection, OrderOptions())
    assert created
    return order


def at_telnyx(sandbox, order: NumberOrder) -> list[dict]:
    response = sandbox.http.get(
        "/number_orders", params={"filter[customer_reference]": order.customer_reference}
    )
    return response.json()["data"]


def lookups_fail(sandbox) -> None:
    sandbox.script(method="GET", path="/v2/number_orders", action="status", status=503, times=500)


def assert_adopted_and_visible(sandbox, order: NumberOrder, client) -> None:
    order.refresh_from_db()
    remote = at_telnyx(sandbox, order)
    assert len(remote) == 1
    assert order.placing_state == PlacingState.PLACED and order.telnyx_id == remote[0]["id"]
    assert order.numbers.count() == 1 and order.sub_orders.count() == 1
    page = client.get(reverse("orders:list")).content.decode()
    assert str(order.public_id) in page or order.telnyx_id in page


@pytest.mark.parametrize("fault", ["drop_after_commit", "status_after_commit"])
def test_p50_an_order_bought_while_every_answer_failed_stays_unknown_then_is_adopted(
    sandbox, alice, alice_client, fault
):
    order = intent(alice, sandbox)
    sandbox.script(method="POST", path="/v2/number_orders", action=fault, status=503)
    lookups_fail(sandbox)
    with pytest.raises(RetryLater):
        placing.place(order.pk)
    order.refresh_from_db()
    assert order.placing_state == PlacingState.UNKNOWN
    # The task's retries run out while Telnyx still cannot say: the intent stays unknown (it is
    # never marked failed without a look-up) and it counts against the daily cap.
    assert placing.give_up(order.pk, "Gave up after 5 tries.") == PlacingState.UNKNOWN
    assert numbers_ordered_today(alice) == 1
    assert len(sandbox.requests(path="/v2/number_orders", method="POST")) == 1

    sandbox.reset()  # Telnyx answers again: the periodic reconciler adopts the order
    assert reconcile.reconcile_recent_orders()[reconcile.ADOPTED] == 1
    assert_adopted_and_visible(sandbox, order, alice_client)
    assert len(sandbox.requests(path="/v2/number_orders", method="POST")) == 1


def test_p50_the_intents_own_job_coming_back_adopts_the_order_without_a_second_post(
    sandbox, alice, alice_client
):
    order = intent(alice, sandbox)
    sandbox.script(
        method="POST", path="/v2/number_orders", action="status_after_commit", status=500
    )
    lookups_fail(sandbox)
    with pytest.raises(RetryLater):
        placing.place(order.pk)
    sandbox.reset()
    assert placing.place(order.pk) == PlacingState.PLACED  # the relay's next delivery
    assert_adopted_and_visible(sandbox, order, alice_client)
    assert len(sandbox.requests(path="/v2/number_orders", method="POST")) == 1


def test_p50_a_crash_looping_intent_whose_post_committed_is_adopted_not_killed(
    sandbox, alice, alice_client, settings
):
    settings.ORDERS_PLACING_MAX_ATTEMPTS = 2
    order = intent(alice, sandbox)
    # The worker died right after Telnyx committed the POST, every time.
    sandbox.order(
        [n["phone_number"] for n in order.requested_numbers],
        customer_reference=order.customer_reference,
    )
    NumberOrder.objects.filter(pk=order.pk).update(
        placing_attempts=2, placing_state=PlacingState.PLACING
    )
    assert placing.place(order.pk) == PlacingState.PLACED
    assert_adopted_and_visible(sandbox, order, alice_client)


def test_p50_an_order_telnyx_never_created_ends_certainly_absent_and_is_not_counted(sandbox, alice):
    order = intent(alice, sandbox)
    sandbox.script(method="POST", path="/v2/number_orders", action="drop_before_commit")
    lookups_fail(sandbox)
    with pytest.raises(RetryLater):
        placing.place(order.pk)
    assert placing.give_up(order.pk, "Gave up.") == PlacingState.UNKNOWN
    assert numbers_ordered_today(alice) == 1
    sandbox.reset()
    assert placing.give_up(order.pk, "Gave up after 5 tries.") == PlacingState.FAILED_EXHAUSTED
    order.refresh_from_db()
    assert order.placing_state == PlacingState.FAILED_EXHAUSTED and order.placing_finished_at
    assert at_telnyx(sandbox, order) == []
    assert numbers_ordered_today(alice) == 0


def test_p50_a_webhook_for_an_order_we_never_heard_back_about_adopts_it(
    sandbox, alice, alice_client, settings
):
    signer = Signer()
    settings.TELNYX_PUBLIC_KEY = signer.public_key
    order = intent(alice, sandbox)
    NumberOrder.objects.filter(pk=order.pk).update(
        placing_attempts=1, placing_state=PlacingState.UNKNOWN
    )
    created = sandbox.order(
        [n["phone_number"] for n in order.requested_numbers],
        customer_reference=order.customer_reference,
    )
    body = order_event(created["id"], status="pending")
    receipt = webhooks.receive(body, signer.headers(body), len(body))
    assert webhooks.process(receipt.event.pk) == WebhookEventState.PROCESSED
    assert_adopted_and_visible(sandbox, order, alice_client)


def test_p50_an_order_with_no_reference_of_ours_is_reported_once_for_a_manager(
    sandbox, alice, settings
):
    signer = Signer()
    settings.TELNYX_PUBLIC_KEY = signer.public_key
    foreign = sandbox.order(sandbox.search("US", "local", 1), customer_reference="not-ours")
    # (The session's sandbox also holds other tests' orders, foreign to this test's database.)
    assert reconcile.reconcile_recent_orders()[reconcile.FOREIGN] >= 1
    reconcile.reconcile_recent_orders()
    reported = AuditEntry.objects.filter(action="orders.foreign_order_seen")
    assert [e.details["telnyx_id"] for e in reported].count(foreign["id"]) == 1
    assert not NumberOrder.objects.filter(telnyx_id=foreign["id"]).exists()
    body = order_event(foreign["id"])
    receipt = webhooks.receive(body, signer.headers(body), len(body))
    assert webhooks.process(receipt.event.pk) == WebhookEventState.IGNORED
    assert WebhookEvent.objects.get().error == "not an order of this portal"


def test_p50_a_second_order_with_the_reference_of_a_placed_intent_is_reported(sandbox, alice):
    order = intent(alice, sandbox)
    assert placing.place(order.pk) == PlacingState.PLACED
    # A POST given up on, which Telnyx committed late: the same reference, a second order.
    late = sandbox.order(
        sandbox.search("US", "local", 1), customer_reference=order.customer_reference
    )
    assert reconcile.reconcile_recent_orders()[reconcile.DUPLICATE] == 1
    entry = AuditEntry.objects.get(action="orders.duplicate_order_seen")
    assert entry.details["telnyx_id"] == late["id"]
    assert entry.details["intent"] == str(order.public_id)
    order.refresh_from_db()
    assert order.telnyx_id != late["id"]
