"""One exception hierarchy for everything Telnyx can answer.

Views show ``str(error)`` to staff (every ``errors[].detail`` Telnyx sent, with its pointer);
tasks branch on ``permanent``: a permanent error will fail the same way again, a transient one
(network, 408, 429, 5xx) may succeed later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from portal import bounded_json


@dataclass(frozen=True)
class ErrorDetail:
    """One item of the Telnyx ``errors`` envelope; ``code`` is a string (``"10015"``)."""

    code: str | None = None
    title: str | None = None
    detail: str | None = None
    pointer: str | None = None
    parameter: str | None = None

    def __str__(self) -> str:
        text = self.detail or self.title or "Telnyx error"
        if self.title and self.detail and self.title not in self.detail:
            text = f"{self.title}: {self.detail}"
        where = self.pointer or self.parameter
        if where:
            text = f"{text} ({where})"
        if self.code:
            text = f"{text} [code {self.code}]"
        return text


class TelnyxError(Exception):
    """Base class: an HTTP status (or ``None`` for network failures) plus Telnyx's details."""

    default_message = "Telnyx request failed"
    permanent = True

    def __init__(
        self,
        message: str | None = None,
        *,
        status: int | None = None,
        errors: list[ErrorDetail] | None = None,
        request_id: str | None = None,
        method: str | None = None,
        path: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.errors: list[ErrorDetail] = list(errors or [])
        self.request_id = request_id
        self.method = method
        self.path = path
        # Seconds Telnyx asked us to wait (Retry-After / x-ratelimit-reset), for task countdowns.
        self.retry_after = retry_after
        self.message = message or self.default_message
        super().__init__(str(self))

    @property
    def codes(self) -> list[str]:
        """The Telnyx error codes, e.g. ``["85000"]``, in the order Telnyx listed them."""
        return [e.code for e in self.errors if e.code]

    def __str__(self) -> str:
        if self.errors:
            return "; ".join(str(e) for e in self.errors)
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, codes={self.codes!r})"


class AuthenticationError(TelnyxError):
    """401: the API key is missing, wrong or revoked (code 10009)."""

    default_message = "Telnyx rejected the API key"


class PermissionDeniedError(TelnyxError):
    """403: the key is valid but not allowed to do this (code 10010)."""

    default_message = "Telnyx refused this operation for our account"


class NotFoundError(TelnyxError):
    """404: the record does not exist (or no longer does)."""

    default_message = "Telnyx has no such record"


class InvalidRequestError(TelnyxError):
    """400/422 (and other 4xx): Telnyx refused the values; the details say which and why."""

    default_message = "Telnyx refused the request"


class RateLimitedError(TelnyxError):
    """429 after the retry budget was spent (code 10011)."""

    default_message = "Telnyx rate limit reached"
    permanent = False


class ServerError(TelnyxError):
    """5xx or 408: Telnyx failed; trying later may work."""

    default_message = "Telnyx had a server error"
    permanent = False


class NetworkError(TelnyxError):
    """No HTTP answer at all: connection refused or reset, DNS, TLS or a timeout."""

    default_message = "Could not reach Telnyx"
    permanent = False

    def __init__(self, message: str | None = None, *, sent: bool = True, **kw: Any) -> None:
        # ``sent`` is False only when the request certainly never left (connect failure); a
        # creating POST may be re-sent then without a reconcile lookup.
        self.sent = sent
        super().__init__(message, **kw)


class UnexpectedResponseError(TelnyxError):
    """Telnyx answered 2xx with a body our models cannot read (shape changed, not JSON)."""

    default_message = "Telnyx answered in a form the portal does not understand"


class AmbiguousCreateError(TelnyxError):
    """A creating POST failed in a way that may or may not have created the record, and the
    follow-up lookup could not settle which. Nothing must be re-sent until a lookup succeeds."""

    default_message = "Telnyx may or may not have created the record; it could not be confirmed"
    permanent = False

    def __init__(
        self, message: str | None = None, *, customer_reference: str | None = None, **kw: Any
    ) -> None:
        self.customer_reference = customer_reference
        super().__init__(message, **kw)


def parse_error_details(payload: Any) -> list[ErrorDetail]:
    """Read the ``{"errors": [...]}`` envelope; tolerate missing or odd shapes."""
    if not isinstance(payload, dict):
        return []
    raw = payload.get("errors")
    if not isinstance(raw, list):
        return []
    details: list[ErrorDetail] = []
    for item in raw:
        if not isinstance(item, dict):
            continue
        raw_source = item.get("source")
        source: dict[str, Any] = raw_source if isinstance(raw_source, dict) else {}
        code = item.get("code")
        details.append(
            ErrorDetail(
                code=str(code) if code is not None else None,
                title=_text(item.get("title")),
                detail=_text(item.get("detail")),
                pointer=_text(source.get("pointer")),
                parameter=_text(source.get("parameter")),
            )
        )
    return details


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


_BY_STATUS: dict[int, type[TelnyxError]] = {
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    408: ServerError,
    429: RateLimitedError,
}


def error_class_for_status(status: int) -> type[TelnyxError]:
    """Map an HTTP status to the exception class a caller should catch."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status >= 500:
        return ServerError
    return InvalidRequestError


def error_from_response(
    response: httpx.Response, *, retry_after: float | None = None
) -> TelnyxError:
    """Build the typed error for a non-2xx response (the body must already be read)."""
    try:
        payload = bounded_json.loads(response.content)
    except ValueError:
        payload = None
    cls = error_class_for_status(response.status_code)
    return cls(
        status=response.status_code,
        errors=parse_error_details(payload),
        request_id=request_id_of(response),
        method=response.request.method if response.request else None,
        path=response.request.url.path if response.request else None,
        retry_after=retry_after,
    )


def request_id_of(response: httpx.Response, headers: Mapping[str, str] | None = None) -> str | None:
    """Telnyx's request id for support tickets, under whichever header name is present.

    ``headers``: the response headers with lower-case names, when the caller has them."""
    source: Mapping[str, str] | httpx.Headers = response.headers if headers is None else headers
    for name in ("x-request-id", "request-id", "x-telnyx-request-id"):
        value = source.get(name)
        if value:
            return value
    return None
