"""Out-of-order and concurrent updates of one order converge (P7, P23)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orders.mirror import apply_order
from orders.models import NumberOrder
from portal.telnyx.models import NumberOrder as TelnyxOrder

from .factories import NumberOrderFactory

T0 = datetime(2026, 11, 1, tzinfo=UTC)
# What Telnyx said over time, in the order it said it.
HISTORY = [
    ("pending", T0),
    ("pending", T0 + timedelta(minutes=1)),
    ("success", T0 + timedelta(minutes=2)),
]


def snapshot(order: NumberOrder, status: str, at: datetime) -> TelnyxOrder:
    return TelnyxOrder(id=order.telnyx_id, status=status, updated_at=at, phone_numbers_count=1)


@pytest.mark.django_db
@settings(
    max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None
)
@given(st.permutations(HISTORY + HISTORY[:1]))
def test_p7_any_delivery_order_ends_in_the_latest_state(events):
    order = NumberOrderFactory(status="", telnyx_updated_at=None)
    for status, at in events:
        apply_order(order, snapshot(order, status, at))
    order.refresh_from_db()
    assert order.status == "success"
    assert order.telnyx_updated_at == HISTORY[-1][1]


@pytest.mark.django_db(transaction=True)
def test_p23_two_writers_never_move_an_order_backwards_or_lose_an_update():
    order = NumberOrderFactory(status="pending", telnyx_updated_at=T0)
    errors: list[BaseException] = []

    def writer(offset: int) -> None:
        try:
            for i in range(50):
                at = T0 + timedelta(seconds=2 * i + offset)
                status = "success" if i == 49 and offset == 1 else "pending"
                apply_order(NumberOrder.objects.get(pk=order.pk), snapshot(order, status, at))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    order.refresh_from_db()
    assert order.status == "success"
    assert order.telnyx_updated_at == T0 + timedelta(seconds=99)
