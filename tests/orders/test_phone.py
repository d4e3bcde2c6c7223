"""Phone numbers as people type them, read by the phonenumbers library."""

from __future__ import annotations

import pytest

from orders.phone import candidates, national_format, to_e164


@pytest.mark.parametrize(
    "typed",
    ["+49 30 1234567", "+49-30-123 45 67", "004930 1234567", "0049 (30) 1234567", "+4930 1234567"],
)
def test_international_forms_read_without_a_country(typed):
    assert candidates(typed, ["DE"]) == ["+49301234567"]


@pytest.mark.parametrize("typed", ["030 1234567", "(030) 123-4567", "030/1234567"])
def test_national_forms_are_read_in_the_countries_given(typed):
    assert candidates(typed, ["DE"]) == ["+49301234567"]
    assert candidates(typed, []) == []


def test_a_us_number_in_its_usual_formats():
    for typed in ["+1 (312) 555-0100", "312-555-0100", "(312) 555 0100"]:
        assert candidates(typed, ["US"]) == ["+13125550100"], typed


@pytest.mark.parametrize("typed", ["Acme GmbH", "ORD-123", "12", "+49 30", "", "+999 1234567"])
def test_names_ids_and_invalid_numbers_are_not_numbers(typed):
    assert candidates(typed, ["DE", "US"]) == []


def test_formats():
    assert to_e164("030 1234567", "de") == "+49301234567"
    assert national_format("+49301234567") == "030 1234567"
    assert national_format("not a number") == "not a number"
