"""``TelnyxClient``: every Telnyx operation the portal uses, as Python methods.

One instance per process (:func:`get_client`) holds one pooled ``httpx.Client`` and the shared
rate limiter. Views and tasks call methods and get typed models or typed errors; they never
build URLs, headers or query strings.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from portal.telnyx.addresses import AddressesMixin
from portal.telnyx.blocks import BlocksMixin
from portal.telnyx.bulk import BulkMixin
from portal.telnyx.comments import CommentsMixin
from portal.telnyx.documents import DocumentsMixin
from portal.telnyx.groups import GroupsMixin
from portal.telnyx.http import RetryPolicy, Transport
from portal.telnyx.numbers import NumbersMixin
from portal.telnyx.orders import OrdersMixin
from portal.telnyx.ratelimit import RateLimiter
from portal.telnyx.reports import ReportsMixin
from portal.telnyx.requirements import RequirementsMixin
from portal.telnyx.reservations import ReservationsMixin
from portal.telnyx.sub_orders import SubOrdersMixin


class TelnyxClient(
    NumbersMixin,
    OrdersMixin,
    SubOrdersMixin,
    CommentsMixin,
    DocumentsMixin,
    AddressesMixin,
    RequirementsMixin,
    GroupsMixin,
    BulkMixin,
    BlocksMixin,
    ReservationsMixin,
    ReportsMixin,
):
    """The one Telnyx client. Safe to share between threads."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        retry_budget: float = 60.0,
        rate_limit: float = 0.0,
        redis_url: str | None = None,
        rate_limit_name: str | None = None,
        policy: RetryPolicy | None = None,
        event_hooks: Mapping[str, list[Callable[..., Any]]] | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        settle_seconds: float = 1.0,
        rng: random.Random | None = None,
    ) -> None:
        if not api_key:
            raise ValueError("a Telnyx API key is required (TELNYX_API_KEY)")
        limiter = None
        if rate_limit and rate_limit > 0 and redis_url:
            # One budget per Telnyx account and API base, shared by every process.
            limiter = RateLimiter(
                rate_limit, redis_url, name=rate_limit_name or base_url, sleep=sleep
            )
        self.base_url = base_url.rstrip("/")
        self.settle_seconds = settle_seconds
        self._transport = Transport(
            base_url,
            api_key,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            policy=policy or RetryPolicy(budget=retry_budget),
            rate_limiter=limiter,
            event_hooks=event_hooks,
            transport=transport,
            sleep=sleep,
            rng=rng,
        )

    @property
    def rate_limiter(self) -> RateLimiter | None:
        return self._transport.rate_limiter

    @property
    def transport(self) -> Transport:
        return self._transport

    @classmethod
    def from_settings(cls, **overrides: Any) -> TelnyxClient:
        """Build a client from Django settings (``overrides`` win)."""
        options = _options_from_settings()
        options.update(overrides)
        return cls(**options)

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> TelnyxClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _options_from_settings() -> dict[str, Any]:
    from django.conf import settings

    policy = RetryPolicy(
        budget=float(settings.TELNYX_RETRY_BUDGET_SECONDS),
        max_attempts=int(getattr(settings, "TELNYX_MAX_ATTEMPTS", 8)),
        backoff_base=float(getattr(settings, "TELNYX_BACKOFF_BASE_SECONDS", 0.5)),
        backoff_max=float(getattr(settings, "TELNYX_BACKOFF_MAX_SECONDS", 8.0)),
    )
    return {
        "base_url": settings.TELNYX_API_BASE,
        "api_key": settings.TELNYX_API_KEY,
        "connect_timeout": float(settings.TELNYX_CONNECT_TIMEOUT),
        "read_timeout": float(settings.TELNYX_READ_TIMEOUT),
        "retry_budget": policy.budget,
        "rate_limit": float(settings.TELNYX_RATE_LIMIT),
        "redis_url": settings.REDIS_URL,
        "policy": policy,
        "settle_seconds": float(getattr(settings, "TELNYX_RECONCILE_SETTLE_SECONDS", 1.0)),
    }


_lock = threading.Lock()
_client: TelnyxClient | None = None
_client_key: tuple[Any, ...] | None = None


def _settings_key(options: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(sorted((k, repr(v)) for k, v in options.items()))


def get_client() -> TelnyxClient:
    """The process-wide client, built from settings at first use.

    If the Telnyx settings changed since (tests pointing at a new sandbox), the old client is
    closed and a new one built, so nobody talks to a stale base URL or key; a forked child
    builds its own instead of reusing the parent's connections.
    """
    global _client, _client_key
    options = _options_from_settings()
    # A pooled connection must never be shared across a fork (Celery prefork children).
    key = (os.getpid(), *_settings_key(options))
    with _lock:
        if _client is None or _client_key != key:
            if _client is not None and _client_key and _client_key[0] == os.getpid():
                _client.close()
            _client = TelnyxClient(**options)
            _client_key = key
        return _client


def reset_client() -> None:
    """Close and forget the process-wide client (after a fork, in tests, on settings change)."""
    global _client, _client_key
    with _lock:
        if _client is not None:
            _client.close()
        _client = None
        _client_key = None
