"""Webhook signature checks (P1-P4, P48): Ed25519 over "{timestamp}|{raw body}", ±300 s."""

from __future__ import annotations

import base64
import json
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.telnyx.webhooks import (
    WebhookPayloadError,
    WebhookVerificationError,
    public_key_for_seed,
    sign_webhook,
    verify_webhook,
)

SEED = base64.b64encode(bytes(range(32))).decode()
PUBLIC = public_key_for_seed(SEED)
OTHER_SEED = base64.b64encode(os.urandom(32)).decode()
NOW = 1_790_000_000

BODY = (
    b'{"data": {"event_type": "number_order.complete", "id": "0f3c",'
    b' "occurred_at": "2026-11-27T02:00:00Z", "payload": {"id": "abc", "status": "success",'
    b' "note": "caf\\u00e9  spaced"}, "record_type": "event"},\n "meta": {"attempt": 1}}'
)


def signed(body: bytes = BODY, ts: int = NOW, seed: str = SEED) -> dict[str, str]:
    return sign_webhook(body, seed, ts)


def reason(body: bytes, headers: dict[str, str], key: str = PUBLIC, now: float = NOW) -> str:
    with pytest.raises(WebhookVerificationError) as info:
        verify_webhook(body, headers, key, now=now)
    return info.value.reason


def test_p3_a_valid_event_with_unusual_whitespace_and_escapes_verifies_as_sent():
    event = verify_webhook(BODY, signed(), PUBLIC, now=NOW)
    assert event["data"]["id"] == "0f3c"
    assert event["data"]["payload"]["note"] == "café  spaced"


def test_p3_header_names_are_matched_case_insensitively_and_from_django_meta():
    headers = {k.upper(): v for k, v in signed().items()}
    assert verify_webhook(BODY, headers, PUBLIC, now=NOW)["meta"]["attempt"] == 1
    meta = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in signed().items()}
    assert verify_webhook(BODY, meta, PUBLIC, now=NOW)["data"]["event_type"]


def test_p1_a_tampered_body_is_refused():
    tampered = BODY.replace(b"success", b"failure")
    assert reason(tampered, signed()) == "the signature does not match"


def test_p1_one_flipped_body_byte_is_refused():
    flipped = bytearray(BODY)
    flipped[10] ^= 0x01
    assert reason(bytes(flipped), signed()) == "the signature does not match"


def test_p3_re_serialised_json_does_not_verify():
    reserialised = json.dumps(json.loads(BODY)).encode()
    assert reserialised != BODY
    assert reason(reserialised, signed()) == "the signature does not match"


def test_p1_a_signature_from_another_key_is_refused():
    assert reason(BODY, signed(seed=OTHER_SEED)) == "the signature does not match"


def test_p1_one_flipped_signature_bit_is_refused():
    headers = signed()
    raw = bytearray(base64.b64decode(headers["telnyx-signature-ed25519"]))
    raw[0] ^= 0x80
    headers["telnyx-signature-ed25519"] = base64.b64encode(bytes(raw)).decode()
    assert reason(BODY, headers) == "the signature does not match"


def test_p1_a_missing_signature_header_is_refused():
    headers = signed()
    del headers["telnyx-signature-ed25519"]
    assert reason(BODY, headers) == "missing telnyx-signature-ed25519 header"


def test_p1_a_missing_timestamp_header_is_refused():
    headers = signed()
    del headers["telnyx-timestamp"]
    assert reason(BODY, headers) == "missing telnyx-timestamp header"


def test_p1_a_signature_that_is_not_base64_is_refused():
    headers = signed()
    headers["telnyx-signature-ed25519"] = "not*base64!!"
    assert reason(BODY, headers) == "the signature is not valid base64"


def test_p1_a_signature_of_the_wrong_length_is_refused():
    headers = signed()
    headers["telnyx-signature-ed25519"] = base64.b64encode(b"x" * 63).decode()
    assert reason(BODY, headers) == "the signature must be 64 bytes, not 63"


@pytest.mark.parametrize("offset", [-301, 301, -10_000, 10_000])
def test_p2_a_timestamp_outside_the_window_in_either_direction_is_refused(offset):
    headers = signed(ts=NOW + offset)
    expected = "in the future" if offset > 0 else "too old"
    assert expected in reason(BODY, headers)


@pytest.mark.parametrize("offset", [-299, 0, 299])
def test_p2_a_timestamp_inside_the_window_is_accepted(offset):
    assert verify_webhook(BODY, signed(ts=NOW + offset), PUBLIC, now=NOW)


@pytest.mark.parametrize("value", ["abc", "", "-5", "1.5e9", "١٢٣"])
def test_p2_a_timestamp_that_is_not_whole_seconds_is_refused(value):
    headers = signed()
    headers["telnyx-timestamp"] = value
    with pytest.raises(WebhookVerificationError):
        verify_webhook(BODY, headers, PUBLIC, now=NOW)


@pytest.mark.parametrize("digits", [13, 309, 400, 5000])
def test_p53_a_huge_timestamp_is_refused_before_the_signature_is_checked(digits):
    headers = signed()
    headers["telnyx-timestamp"] = "9" * digits
    assert reason(BODY, headers) == "the timestamp is not whole Unix seconds"


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested deeper than 64 levels"),
        (b'{"data": {"id": "e", "n": NaN}}', "NaN is not a JSON number"),
        (b'{"data": {"id": "e", "n": 1e999999}}', "a number is too large"),
        (b'{"data": {"id": "e\\u0000"}}', "a string holds NUL or a lone surrogate"),
    ],
)
def test_p53_a_signed_body_we_cannot_store_is_a_payload_error_with_the_reason(body, why):
    with pytest.raises(WebhookPayloadError) as info:
        verify_webhook(body, signed(body), PUBLIC, now=NOW)
    assert info.value.reason == f"the body is not JSON we accept: {why}"


def test_p2_the_timestamp_is_part_of_what_is_signed():
    headers = signed()
    headers["telnyx-timestamp"] = str(NOW + 1)
    assert reason(BODY, headers) == "the signature does not match"


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("", "no Telnyx public key is configured"),
        ("   ", "no Telnyx public key is configured"),
        ("%%%not-base64", "the configured Telnyx public key is not valid base64"),
        (
            base64.b64encode(b"k" * 31).decode(),
            "the configured Telnyx public key must be 32 bytes, not 31",
        ),
    ],
)
def test_p4_a_missing_or_malformed_key_fails_closed(key, expected):
    assert reason(BODY, signed(), key=key) == expected


def test_p3_a_str_body_is_refused_so_callers_must_pass_raw_bytes():
    with pytest.raises(WebhookVerificationError):
        verify_webhook(BODY.decode(), signed(), PUBLIC, now=NOW)  # type: ignore[arg-type]


def test_a_validly_signed_body_that_is_not_a_json_object_is_refused():
    body = b"[1, 2]"
    assert reason(body, signed(body)) == "the body is not a JSON object"


@settings(max_examples=150, deadline=None)
@given(
    body=st.binary(max_size=64),
    ts_delta=st.integers(min_value=-1000, max_value=1000),
    sig=st.binary(min_size=0, max_size=80),
)
def test_p1_p48_any_other_body_timestamp_or_signature_is_refused_without_crashing(
    body, ts_delta, sig
):
    headers = {
        "telnyx-signature-ed25519": base64.b64encode(sig).decode(),
        "telnyx-timestamp": str(NOW + ts_delta),
    }
    original = signed()
    if headers == original and body == BODY:
        return
    with pytest.raises(WebhookVerificationError):
        verify_webhook(body, headers, PUBLIC, now=NOW)
