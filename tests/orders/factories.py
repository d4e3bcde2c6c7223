"""factory-boy factories for the orders mirror rows."""

from __future__ import annotations

import uuid

import factory

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
