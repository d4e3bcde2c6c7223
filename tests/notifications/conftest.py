"""Fixtures of the notification tests: staff bob beside alice, and a sub order bob placed."""

from __future__ import annotations

import pytest

from portal.roles import MANAGERS, STAFF
from tests.fixtures.people import make_person
from tests.orders.factories import OrderedNumberFactory


@pytest.fixture
def bob(db):
    """Compliance staff like alice."""
    return make_person("bob", STAFF)


@pytest.fixture
def mark(db):
    """A second manager beside maria."""
    return make_person("mark", MANAGERS, is_staff=True)


@pytest.fixture
def number(bob):
    """A pending number of a sub order of an order bob placed; nobody owns the sub order."""
    return OrderedNumberFactory(sub_order__number_order__placed_by=bob)


@pytest.fixture
def sub_order(number):
    return number.sub_order
