"""The bounded JSON reader (P48, P53): what json.loads gives for sane JSON, a reason otherwise."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal import bounded_json
from portal.bounded_json import MAX_DEPTH, JSONRefused

TEXT = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"))
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63) + 1, max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    TEXT,
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=20,
)


def nested(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


@given(VALUES)
def test_sane_json_reads_as_json_loads_reads_it(value):
    raw = json.dumps(value).encode()
    assert bounded_json.loads(raw) == json.loads(raw)


@given(st.binary(max_size=200))
def test_p48_any_bytes_are_json_or_a_refusal_never_another_error(raw):
    try:
        bounded_json.loads(raw)
    except JSONRefused as exc:
        assert exc.reason


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"NaN", "NaN is not a JSON number"),
        (b'{"a": [Infinity]}', "Infinity is not a JSON number"),
        (b"-Infinity", "-Infinity is not a JSON number"),
        (b"1e999999", "a number is too large"),
        (b"[-1e999999]", "a number is too large"),
        (b"1" + b"0" * 400 + b".5", "a number is too large"),
        (b"123456789012345678901234", "an integer is too large"),
        (b"9223372036854775808", "an integer is too large"),
        (b"7" * 4000, "an integer is too large"),
        (b"7" * 5000, "not valid JSON"),
        (b'"a\\u0000b"', "a string holds NUL or a lone surrogate"),
        (b'{"\\ud800": 1}', "a string holds NUL or a lone surrogate"),
        (nested(MAX_DEPTH + 1), f"nested deeper than {MAX_DEPTH} levels"),
        (nested(100_000), f"nested deeper than {MAX_DEPTH} levels"),
        (b'{"a": ' * 5000 + b"1" + b"}" * 5000, f"nested deeper than {MAX_DEPTH} levels"),
        (b"\xff", "not valid JSON"),
        (b"", "not valid JSON"),
        (b"{} x", "not valid JSON"),
    ],
)
def test_p53_hostile_json_is_refused_with_a_reason(raw, reason):
    with pytest.raises(JSONRefused) as caught:
        bounded_json.loads(raw)
    assert caught.value.reason == reason


def test_the_limits_themselves_are_accepted():
    assert bounded_json.loads(nested(MAX_DEPTH)) is not None
    assert bounded_json.loads(b"9223372036854775807") == 2**63 - 1
    assert bounded_json.loads(b"1.7e308") == 1.7e308
    assert bounded_json.loads('"\\ud83d\\ude00 ok"') == "\U0001f600 ok"


def test_a_body_over_the_size_limit_is_refused_before_parsing():
    with pytest.raises(JSONRefused, match="larger than 10 bytes"):
        bounded_json.loads(b"[" * 11, max_bytes=10)
