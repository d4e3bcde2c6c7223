"""The one backoff formula: capped exponential with "equal jitter" (P13, P14, P21).

The gaps grow, callers that failed together do not retry in lockstep, and a wait the server
asked for (``Retry-After``/``x-ratelimit-reset``) is always honoured, up to the cap.
"""

from __future__ import annotations

import random

from django.conf import settings


def backoff(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds to wait before attempt ``attempt + 1`` (``attempt`` counts from 1)."""
    ceiling = min(cap, base * (2 ** max(0, attempt - 1)))
    return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)


def task_countdown(retries: int, asked: float | None = None) -> int:
    """Countdown for a Celery retry: backoff from 1 s doubling to 60 s, at least what Telnyx
    asked, never past ``CELERY_MAX_COUNTDOWN`` (P21)."""
    wait = max(backoff(retries + 1, 1.0, 60.0), asked or 0.0)
    return int(min(wait, float(settings.CELERY_MAX_COUNTDOWN)))
