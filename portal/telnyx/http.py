"""The transport under every Telnyx call: one pooled ``httpx.Client``, pacing, retries, logging.

Retry policy (P13, P14):

* Idempotent requests (GET, value PATCHes, cancel, DELETE) are retried on connection errors,
  timeouts, 408, 429 and 5xx, with capped exponential backoff and jitter, or exactly as long as
  Telnyx asked (``Retry-After`` in seconds or as an HTTP date, ``retry-after-ms``,
  ``x-ratelimit-reset`` in seconds). They give up when the retry budget
  (``TELNYX_RETRY_BUDGET_SECONDS``) or the attempt cap is spent and raise the typed error.
* Creating POSTs (``retry=False``) are only re-sent when Telnyx certainly did not act on them:
  the connection could not be opened, or Telnyx answered 429 (refused before processing).
  Every other failure goes back to the caller, which reconciles before re-sending (P10).
* 4xx other than 408/429 are permanent and never retried.

Logging (P41, P44): one line per attempt on ``portal.telnyx`` with method, path (no query
string: filters may hold phone numbers), status, duration, attempt and the Telnyx request id.
Never headers, never bodies.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus

import httpx

from portal import bounded_json
from portal.backoff import backoff
from portal.telnyx.errors import (
    NetworkError,
    RateLimitedError,
    TelnyxError,
    UnexpectedResponseError,
    error_from_response,
    request_id_of,
)
from portal.telnyx.ratelimit import RateLimiter, RateLimitTimeout

logger = logging.getLogger("portal.telnyx")

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# Errors raised before any byte of the request could reach Telnyx.
NOT_SENT_ERRORS: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)
USER_AGENT = "numbers-compliance-portal/1 (+httpx)"


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. ``budget`` bounds the total time spent on one logical call."""

    budget: float = 60.0
    max_attempts: int = 8
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    max_honoured_wait: float = 120.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Capped exponential backoff with "equal jitter": the gaps grow, yet callers that
        failed together do not retry in lockstep."""
        return backoff(attempt, self.backoff_base, self.backoff_max, rng)


def header_map(response: httpx.Response) -> dict[str, str]:
    """The response headers as a plain dict with lower-case names, read in one pass.

    ``httpx.Headers.get`` scans and decodes every header on each call; a response is asked for
    half a dozen names (rate limit, retry, request id), which a sync of thousands of GETs
    feels. Repeated headers keep their last value.
    """
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in response.headers.raw}


def decode_json(response: httpx.Response, method: str, path: str) -> Any:
    """The JSON body. Telnyx answers in UTF-8 (``json.loads`` also detects UTF-16/32), so the
    charset parsing ``httpx.Response.json`` does on every call is skipped. A body that is not
    JSON (a gateway's error page with a 2xx status, say), or JSON we could not store (``NaN``,
    absurd depth or numbers: ``portal.bounded_json``), is an :class:`UnexpectedResponseError`
    naming the call."""
    try:
        return bounded_json.loads(response.content)
    except ValueError:
        raise UnexpectedResponseError(
            "Telnyx answered with a body that is not JSON",
            status=response.status_code,
            method=method,
            path=_path_only(path),
        ) from None


def retry_after_seconds(
    response: httpx.Response, now: float | None = None, headers: Mapping[str, str] | None = None
) -> float | None:
    """The wait Telnyx asked for, in seconds, or ``None`` if it did not say.

    ``headers``: :func:`header_map` of the response when the caller already has it."""
    if headers is None:
        headers = header_map(response)
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000.0)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if raw:
        raw = raw.strip()
        try:
            return max(0.0, float(raw))
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(raw)
            except (TypeError, ValueError, IndexError):
                when = None
            if when is not None:
                current = time.time() if now is None else now
                return max(0.0, when.timestamp() - current)
    # Telnyx: x-ratelimit-reset is seconds until the window resets, not an epoch.
    reset = headers.get("x-ratelimit-reset")
    if reset and (response.status_code == 429 or headers.get("x-ratelimit-remaining") == "0"):
        try:
            value = float(reset)
        except ValueError:
            return None
        if value > 1e9:  # someone sent an epoch after all
            current = time.time() if now is None else now
            value = value - current
        return max(0.0, value)
    return None


@lru_cache(maxsize=512)
def _quoted_name(name: str) -> str:
    """A parameter name, quoted once per process: ``filter[...]`` names repeat on every call
    of a sync pass and their brackets send ``quote_plus`` down its slow path."""
    return quote_plus(name)


def _encoded_query(params: Any) -> str | None:
    """``urlencode(params)`` for a list of ``(name, value)`` strings (the same bytes), or
    ``None`` for anything else."""
    if not isinstance(params, list):
        return None
    parts = []
    for pair in params:
        if not (
            isinstance(pair, tuple)
            and len(pair) == 2
            and isinstance(pair[0], str)
            and isinstance(pair[1], str)
        ):
            return None
        parts.append(f"{_quoted_name(pair[0])}={quote_plus(pair[1])}")
    return "&".join(parts)


class _NoCookies(httpx.Cookies):
    """A cookie jar that stays empty: answers put nothing in it and callers cannot either."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None

    def set(self, name: str, value: str, domain: str = "", path: str = "/") -> None:
        raise TypeError("the Telnyx client keeps no cookies")


class _ApiClient(httpx.Client):
    """An ``httpx.Client`` that neither stores nor sends cookies.

    Telnyx authenticates every call by its API key; nothing it could set in a cookie is needed.
    One client serves every thread of a process, so a stored cookie would ride along on other
    callers' requests, and reading ``Set-Cookie`` cost ~35 us of CPU per response (wrapping
    each exchange for ``http.cookiejar``): a sync pass of 1,025 GETs felt it.
    """

    _no_cookies = _NoCookies()

    @property  # type: ignore[override]
    def cookies(self) -> httpx.Cookies:
        return self._no_cookies

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        raise TypeError("the Telnyx client keeps no cookies")


class Transport:
    """Sends one logical request, possibly as several attempts, and returns a 2xx response."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        policy: RetryPolicy | None = None,
        rate_limiter: RateLimiter | None = None,
        event_hooks: Mapping[str, list[Callable[..., Any]]] | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        max_connections: int = 20,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._prefix = self.base_url + "/"
        self.policy = policy or RetryPolicy()
        self.rate_limiter = rate_limiter
        self.sleep = sleep
        self.clock = clock
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not security
        self.timeout = httpx.Timeout(
            connect=connect_timeout, read=read_timeout, write=read_timeout, pool=connect_timeout
        )
        self.client = _ApiClient(
            base_url=self.base_url + "/",
            headers={
                "Authorization": f"Bearer {api_key}",
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
            },
            timeout=self.timeout,
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            event_hooks=dict(event_hooks or {}),
            transport=transport,
            follow_redirects=False,
        )

    def close(self) -> None:
        self.client.close()
        if self.rate_limiter is not None:
            self.rate_limiter.close()

    def url(self, path: str) -> str:
        return path.lstrip("/")

    def target(self, path: str, params: Any) -> tuple[str, Any]:
        """The absolute URL to send, with the query already encoded when ``params`` is the
        usual list of ``(name, value)`` strings (encoded exactly as httpx would, with
        ``urlencode``): httpx then parses the URL once instead of three times (base URL merge,
        then query merge). Anything else goes to httpx as ``params``."""
        url = self._prefix + self.url(path)
        if params is None:
            return url, None
        query = _encoded_query(params)
        if query is None:
            return url, params
        return (f"{url}?{query}" if query else url), None

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        json: Any = None,
        files: Any = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        retry: bool = True,
        timeout: httpx.Timeout | float | None = None,
        before_attempt: Callable[[int], None] | None = None,
    ) -> httpx.Response:
        """Send ``method path`` and return the successful response (body read).

        ``retry=False`` marks a creating POST: only definitely-unsent attempts are repeated.
        ``before_attempt(n)`` runs before each attempt (e.g. to rewind an upload stream).
        """
        policy = self.policy
        started = self.clock()
        deadline = started + policy.budget
        attempt = 0
        while True:
            attempt += 1
            if before_attempt is not None:
                before_attempt(attempt)
            self._pace(deadline, method, path)
            t0 = self.clock()
            url, query = self.target(path, params)
            try:
                response = self.client.request(
                    method,
                    url,
                    params=query,
                    json=json,
                    files=files,
                    data=data,
                    headers=dict(headers) if headers else None,
                    timeout=timeout if timeout is not None else self.timeout,
                )
                response.read()
            except httpx.TransportError as exc:
                elapsed = self.clock() - t0
                sent = not isinstance(exc, NOT_SENT_ERRORS)
                self._log(method, path, None, elapsed, attempt, None, error=type(exc).__name__)
                network_error = NetworkError(
                    _network_message(exc), sent=sent, method=method, path=_path_only(path)
                )
                can_retry = retry or not sent
                if can_retry and self._wait_before_retry(attempt, deadline, None):
                    continue
                raise network_error from exc
            elapsed = self.clock() - t0
            answer_headers = header_map(response)
            request_id = request_id_of(response, answer_headers)
            self._log(method, path, response.status_code, elapsed, attempt, request_id)
            wanted = retry_after_seconds(response, headers=answer_headers)
            if response.is_success:
                if wanted and self.rate_limiter is not None:
                    # Telnyx says this window is used up: hold every process back until reset.
                    self.rate_limiter.pause(min(wanted, policy.max_honoured_wait))
                return response
            status = response.status_code
            if status == 404 and method == "DELETE" and attempt > 1:
                # An earlier attempt whose answer we lost did the deleting: that is success.
                return response
            if status == 429 and self.rate_limiter is not None:
                self.rate_limiter.pause(min(wanted or 1.0, policy.max_honoured_wait))
            error = error_from_response(response, retry_after=wanted)
            can_retry = status in RETRYABLE_STATUSES and (retry or status == 429)
            if can_retry and self._wait_before_retry(attempt, deadline, wanted):
                continue
            raise error

    # -- helpers --------------------------------------------------------------------------

    def _pace(self, deadline: float, method: str, path: str) -> None:
        if self.rate_limiter is None or not self.rate_limiter.enabled:
            return
        remaining = max(0.0, deadline - self.clock())
        try:
            wait = self.rate_limiter.reserve(max_wait=remaining)
        except RateLimitTimeout as exc:
            raise RateLimitedError(
                "The portal's own Telnyx request budget is used up; try again shortly",
                method=method,
                path=_path_only(path),
                retry_after=exc.wait,
            ) from exc
        if wait > 0:
            self.sleep(wait)

    def _wait_before_retry(self, attempt: int, deadline: float, wanted: float | None) -> bool:
        """Sleep before the next attempt; False when the attempt cap or budget is spent."""
        policy = self.policy
        if attempt >= policy.max_attempts:
            return False
        if wanted is not None:
            if wanted > policy.max_honoured_wait:
                return False
            # Honour the server's wait, plus a little jitter so waiters do not stampede.
            delay = wanted + self.rng.uniform(0, min(0.25, policy.backoff_base))
        else:
            delay = policy.backoff(attempt, self.rng)
        if self.clock() + delay > deadline:
            return False
        self.sleep(delay)
        return True

    def _log(
        self,
        method: str,
        path: str,
        status: int | None,
        elapsed: float,
        attempt: int,
        request_id: str | None,
        *,
        error: str | None = None,
    ) -> None:
        level = logging.INFO if status is not None and status < 400 else logging.WARNING
        if not logger.isEnabledFor(level):
            return
        clean_path = _path_only(path)
        duration_ms = round(elapsed * 1000, 1)
        logger.log(
            level,
            "telnyx_request method=%s path=%s status=%s duration_ms=%s attempt=%s request_id=%s%s",
            method,
            clean_path,
            status if status is not None else "-",
            duration_ms,
            attempt,
            _safe(request_id) or "-",
            f" error={error}" if error else "",
            extra={
                "telnyx_method": method,
                "telnyx_path": clean_path,
                "telnyx_status": status,
                "telnyx_duration_ms": duration_ms,
                "telnyx_attempt": attempt,
                "telnyx_request_id": request_id,
            },
        )


def _path_only(path: str) -> str:
    """The path without query string, with control characters escaped (P44)."""
    return _safe("/" + path.split("?", 1)[0].lstrip("/")) or "/"


def _safe(value: str | None) -> str | None:
    if value is None:
        return None
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in value)[:300]


def _network_message(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "Telnyx did not answer in time"
    if isinstance(exc, NOT_SENT_ERRORS):
        return "Could not connect to Telnyx"
    return "The connection to Telnyx failed"


__all__ = [
    "RETRYABLE_STATUSES",
    "RetryPolicy",
    "TelnyxError",
    "Transport",
    "decode_json",
    "header_map",
    "retry_after_seconds",
]
