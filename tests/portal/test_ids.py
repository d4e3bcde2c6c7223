"""The one id parser (P53): anything that is not an id is "no such object", never an exception."""

from __future__ import annotations

import uuid

import pytest
from django.http import Http404
from hypothesis import given
from hypothesis import strategies as st

from portal.ids import MAX_PK, parse_pk, parse_uuid, uuid_or_404

SAMPLE = uuid.UUID("6f1c1a52-3c1e-4bd4-9d1b-6a3c0a1f2b3c")


@pytest.mark.parametrize(
    "value", [str(SAMPLE), str(SAMPLE).upper(), SAMPLE.hex, f"{{{SAMPLE}}}", f" {SAMPLE} ", SAMPLE]
)
def test_the_spellings_of_a_uuid_are_read(value):
    assert parse_uuid(value) == SAMPLE
    assert uuid_or_404(value) == SAMPLE


@pytest.mark.parametrize(
    "value",
    ["", "x", "9" * 23, "-1", "\x00", "é", str(SAMPLE) + "0", "A" * 10_000, None, 7, ["x"], b"x"],
)
def test_p53_anything_else_is_none_or_404(value):
    assert parse_uuid(value) is None
    with pytest.raises(Http404):
        uuid_or_404(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", 1), ("42", 42), (str(MAX_PK), MAX_PK), (7, 7)],
)
def test_a_primary_key_is_read(value, expected):
    assert parse_pk(value) == expected


@pytest.mark.parametrize(
    "value", ["0", "-1", "9" * 23, str(MAX_PK + 1), "1.0", "\u0661", " 1", "", None, True, 0, -5]
)
def test_p53_a_primary_key_outside_bigint_or_not_digits_is_none(value):
    assert parse_pk(value) is None


@given(st.one_of(st.text(), st.integers(), st.binary(), st.none()))
def test_p53_no_value_makes_the_parsers_raise_anything_but_404(value):
    parse_pk(value)
    if parse_uuid(value) is None:
        with pytest.raises(Http404):
            uuid_or_404(value)
