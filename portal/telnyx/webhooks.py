"""Telnyx webhook signatures: Ed25519 over ``"{telnyx-timestamp}|{raw body}"``.

The verifier works on the raw bytes exactly as received (P3): JSON that was parsed and
re-serialised will not verify. It fails closed (P4): no key, a key that is not 32 bytes of
base64, a missing header or bad base64 are all refusals with a reason, never a pass and never an
unexpected exception (P48). The timestamp window is symmetric (P2): an old *or* future timestamp
beyond ``tolerance`` seconds is refused, which also catches clock skew. A genuinely signed body
is read with ``portal.bounded_json`` (no ``NaN``, no absurd depth or numbers): a refusal there is
:class:`WebhookPayloadError`, so the endpoint can say 400 rather than "bad signature" (P53).

This is deliberately not the Telnyx SDK's ``client.webhooks.unwrap()``: that one is HMAC-based
(Standard Webhooks) and rejects real Telnyx events.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from portal import bounded_json

SIGNATURE_HEADER = "telnyx-signature-ed25519"
TIMESTAMP_HEADER = "telnyx-timestamp"
TOLERANCE_SECONDS = 300
# Unix seconds have 10 digits until the year 2286.
MAX_TIMESTAMP_DIGITS = 12


class WebhookVerificationError(Exception):
    """The request is not a genuine, fresh Telnyx webhook; ``reason`` says why (safe to log)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class WebhookPayloadError(WebhookVerificationError):
    """Genuinely signed, but the body is not a JSON object we accept (deep, ``NaN``, ...)."""


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive lookup that also accepts Django's ``HTTP_TELNYX_...`` META names."""
    wanted = {name.lower(), "http_" + name.lower().replace("-", "_")}
    for key, value in headers.items():
        if isinstance(key, str) and key.lower() in wanted:
            return value
    return None


def _b64decode(value: str, what: str) -> bytes:
    try:
        return base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise WebhookVerificationError(f"{what} is not valid base64") from exc


def load_public_key(public_key_b64: str | None) -> Ed25519PublicKey:
    """Parse the account public key (base64 of the raw 32-byte key), failing closed."""
    if not public_key_b64 or not public_key_b64.strip():
        raise WebhookVerificationError("no Telnyx public key is configured")
    raw = _b64decode(public_key_b64, "the configured Telnyx public key")
    if len(raw) != 32:
        raise WebhookVerificationError(
            f"the configured Telnyx public key must be 32 bytes, not {len(raw)}"
        )
    return Ed25519PublicKey.from_public_bytes(raw)


def verify_webhook(
    raw_body: bytes,
    headers: Mapping[str, str],
    public_key_b64: str,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> dict[str, Any]:
    """Check signature and freshness, then return the parsed event envelope.

    Raises :class:`WebhookVerificationError` with a human-readable reason on any failure.
    """
    key = load_public_key(public_key_b64)
    if isinstance(raw_body, str):
        raise WebhookVerificationError("the body must be the raw bytes as received")
    signature_b64 = _header(headers, SIGNATURE_HEADER)
    if not signature_b64:
        raise WebhookVerificationError(f"missing {SIGNATURE_HEADER} header")
    timestamp = _header(headers, TIMESTAMP_HEADER)
    if not timestamp:
        raise WebhookVerificationError(f"missing {TIMESTAMP_HEADER} header")
    timestamp = timestamp.strip()
    # Bounded before int(): a 309-digit value overflows the float comparison below (P53).
    if not timestamp.isdigit() or not timestamp.isascii() or len(timestamp) > MAX_TIMESTAMP_DIGITS:
        raise WebhookVerificationError("the timestamp is not whole Unix seconds")
    signature = _b64decode(signature_b64, "the signature")
    if len(signature) != 64:
        raise WebhookVerificationError(f"the signature must be 64 bytes, not {len(signature)}")
    current = time.time() if now is None else now
    skew = int(timestamp) - current
    if abs(skew) > tolerance:
        direction = "in the future" if skew > 0 else "too old"
        raise WebhookVerificationError(f"the timestamp is {direction} ({abs(int(skew))}s)")
    try:
        key.verify(signature, timestamp.encode("ascii") + b"|" + bytes(raw_body))
    except InvalidSignature as exc:
        raise WebhookVerificationError("the signature does not match") from exc
    try:
        event = bounded_json.loads(raw_body)
    except bounded_json.JSONRefused as exc:
        raise WebhookPayloadError(f"the body is not JSON we accept: {exc.reason}") from None
    if not isinstance(event, dict):
        raise WebhookPayloadError("the body is not a JSON object")
    return event


def sign_webhook(raw_body: bytes, private_seed_b64: str, timestamp: int | str) -> dict[str, str]:
    """Headers Telnyx would send for ``raw_body`` (for the sandbox and tests)."""
    seed = base64.b64decode(private_seed_b64)
    key = Ed25519PrivateKey.from_private_bytes(seed)
    ts = str(int(timestamp))
    signature = key.sign(ts.encode("ascii") + b"|" + raw_body)
    return {SIGNATURE_HEADER: base64.b64encode(signature).decode(), TIMESTAMP_HEADER: ts}


def public_key_for_seed(private_seed_b64: str) -> str:
    """The base64 public key matching a base64 32-byte private seed."""
    from cryptography.hazmat.primitives import serialization

    key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(private_seed_b64))
    raw = key.public_key().public_bytes(
        encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw
    )
    return base64.b64encode(raw).decode()
