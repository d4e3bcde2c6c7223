"""The selection: numbers picked from searches, grouped as Telnyx will split them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orders.selection import SelectedNumber, Selection, SelectionFull


def number(
    phone: str, country: str = "US", kind: str = "local", up: str = "1.00", mo: str = "2.00"
):
    return SelectedNumber(
        phone_number=phone,
        country_code=country,
        phone_number_type=kind,
        upfront_cost=up,
        monthly_cost=mo,
        currency="USD",
    )


def test_adding_the_same_number_twice_keeps_one():
    selection = Selection({})
    assert selection.add([number("+15550000001")]) == 1
    assert selection.add([number("+15550000001"), number("+15550000002")]) == 1
    assert selection.phone_numbers() == ["+15550000001", "+15550000002"]


def test_groups_follow_telnyx_split_per_country_and_type():
    selection = Selection({})
    selection.add(
        [
            number("+4930000001", "DE", "local"),
            number("+4980000001", "DE", "toll_free"),
            number("+4930000002", "DE", "local"),
            number("+3310000001", "FR", "local"),
        ]
    )
    groups = selection.groups()
    assert [(g.country_code, g.phone_number_type, len(g.numbers)) for g in groups] == [
        ("DE", "local", 2),
        ("DE", "toll_free", 1),
        ("FR", "local", 1),
    ]


def test_totals_add_up_upfront_and_monthly_prices():
    selection = Selection({})
    selection.add([number("+15550000001", up="1.50", mo="2.25"), number("+15550000002", up="0.50")])
    assert selection.totals() == (Decimal("2.00"), Decimal("4.25"), "USD")


def test_a_full_selection_refuses_more(settings):
    settings.ORDERS_SELECTION_MAX = 2
    selection = Selection({})
    with pytest.raises(SelectionFull):
        selection.add([number(f"+1555000000{i}") for i in range(3)])
    assert len(selection) == 2


def test_types_learnt_later_fill_only_blank_types():
    selection = Selection({})
    selection.add([number("+15550000001", kind=""), number("+15550000002", kind="local")])
    selection.set_types({"+15550000001": "toll_free", "+15550000002": "mobile"})
    kinds = {n.phone_number: n.phone_number_type for n in selection}
    assert kinds == {"+15550000001": "toll_free", "+15550000002": "local"}
