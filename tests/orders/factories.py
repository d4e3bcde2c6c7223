"""factory-boy factories for the orders mirror rows."""

from __future__ import annotations

import uuid
from datetime import timedelta

import factory
from django.utils import timezone

from orders.models import NumberOrder, OrderedNumber, PlacingState, SubNumberOrder


class NumberOrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NumberOrder

    telnyx_id = factory.LazyFunction(lambda: str(uuid.uuid4()))
    customer_reference = factory.LazyFunction(lambda: str(uuid.uuid4()))
    status = "pending"
    placing_state = PlacingState.PLACED
    phone_numbers_count = 1


class SubNumberOrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SubNumberOrder

    telnyx_id = factory.LazyFunction(lambda: str(uuid.uuid4()))
    number_order = factory.SubFactory(NumberOrderFactory)
    country_code = "US"
    phone_number_type = "local"
    status = "pending"
    phone_numbers_count = 1


class OrderedNumberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderedNumber

    telnyx_id = factory.LazyFunction(lambda: str(uuid.uuid4()))
    sub_order = factory.SubFactory(SubNumberOrderFactory)
    number_order = factory.LazyAttribute(lambda o: o.sub_order.number_order)
    phone_number = factory.Sequence(lambda n: f"+1555{n:07d}")
    country_code = "US"
    phone_number_type = "local"
    status = "pending"
    requirements_status = "requirement-info-pending"


OPEN_STATUSES = (
    "requirement-info-exception",
    "requirement-info-pending",
    "requirement-info-under-review",
)


def bulk_open_orders(
    count: int, requirement_id: str = "bulk-address", reference_prefix: str = ""
) -> None:
    """``count`` placed DE local orders of one number each, fast (bulk inserts): a quarter of
    their sub orders done, the numbers rejected, waiting for information or under review in
    turn, deadlines spread over 100 hours. For size tests and benchmarks of the work surface."""
    orders = NumberOrder.objects.bulk_create(
        NumberOrder(
            telnyx_id=str(uuid.uuid4()),
            customer_reference=f"{reference_prefix}{uuid.uuid4()}",
            status="pending",
            placing_state=PlacingState.PLACED,
        )
        for _ in range(count)
    )
    subs = SubNumberOrder.objects.bulk_create(
        SubNumberOrder(
            telnyx_id=str(uuid.uuid4()),
            number_order=o,
            country_code="DE",
            phone_number_type="local",
            status="success" if i % 4 == 3 else "pending",
        )
        for i, o in enumerate(orders)
    )
    OrderedNumber.objects.bulk_create(
        OrderedNumber(
            telnyx_id=str(uuid.uuid4()),
            sub_order=s,
            number_order_id=s.number_order_id,
            phone_number=f"+4930{uuid.uuid4().int % 10**9:09d}",
            requirements_status=OPEN_STATUSES[i % 3],
            deadline=timezone.now() + timedelta(hours=i % 100),
            regulatory_requirements=[
                {"requirement_id": requirement_id, "field_type": "address", "status": "declined"}
            ],
        )
        for i, s in enumerate(subs)
    )
