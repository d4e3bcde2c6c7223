"""An unhealthy API on demand: rate limiting, random faults, latency and one-shot scripts.

Rate limiting is a one-second fixed window on real time; every response carries
``x-ratelimit-limit``, ``x-ratelimit-remaining`` and ``x-ratelimit-reset`` (seconds until the
window resets, as Telnyx documents it) and the 429 carries ``Retry-After``.
Scripts (``POST /_sandbox/script``) fire on the next matching requests; ``path`` may use
shell wildcards (``/v2/number_orders/*``). ``status`` answers an error before doing anything;
``status_after_commit`` does the work, then answers the error instead (a 5xx that bought).
"""

from __future__ import annotations

import fnmatch
import math
import time
from typing import Any

NOMINAL_LIMIT = 1000
ACTIONS = (
    "status",
    "status_after_commit",
    "delay_after_commit",
    "drop_before_commit",
    "drop_after_commit",
    "hold",
)


class RateLimiter:
    def __init__(self) -> None:
        self.window = 0
        self.count = 0

    def hit(self, rate: float) -> tuple[bool, dict[str, str]]:
        """Count one request; returns (allowed, headers)."""
        now = time.time()
        window = int(now)
        if window != self.window:
            self.window = window
            self.count = 0
        self.count += 1
        limit = max(1, math.ceil(rate)) if rate > 0 else NOMINAL_LIMIT
        allowed = rate <= 0 or self.count <= limit
        reset = max(1, math.ceil(window + 1 - now))
        headers = {
            "x-ratelimit-limit": str(limit),
            "x-ratelimit-remaining": str(max(0, limit - self.count)),
            "x-ratelimit-reset": str(reset),
        }
        if not allowed:
            headers["retry-after"] = str(reset)
        return allowed, headers


def validate_script(data: dict[str, Any]) -> str | None:
    """What is wrong with a script definition, or ``None``."""
    if data.get("action") not in ACTIONS:
        return f"action must be one of {', '.join(ACTIONS)}"
    if not isinstance(data.get("path"), str) or not data["path"].startswith("/"):
        return "path must be a request path such as /v2/number_orders"
    if data["action"] in ("status", "status_after_commit") and not isinstance(
        data.get("status"), int
    ):
        return "status needs an integer status"
    return None


def take_script(scripts: list[dict[str, Any]], method: str, path: str) -> dict[str, Any] | None:
    """The first script matching this request, consuming one of its ``times``."""
    for script in scripts:
        if script.get("method", "*").upper() not in ("*", method):
            continue
        if not fnmatch.fnmatchcase(path, script["path"]):
            continue
        script["times"] = int(script.get("times", 1)) - 1
        if script["times"] <= 0:
            scripts.remove(script)
        return script
    return None
