"""A requests-per-second budget shared by every process that talks to Telnyx.

Ten Celery workers each pacing themselves would still send ten times the allowed rate, so the
bucket lives in Redis: one Lua script refills and takes a token atomically, using Redis' own
clock so workers with skewed clocks agree. A caller reserves its slot and sleeps until it comes
(no polling), which keeps the order roughly first come, first served.

When Telnyx answers 429 the client calls :meth:`RateLimiter.pause` so every process holds back
until the reset, not just the one that was told. If Redis is unreachable the limiter falls back
to a per-process bucket: slower to converge, but never a reason to stop talking to Telnyx.

Reserving one token per request costs one Redis round trip per request, which a sync running
eight threads feels even when the rate is never reached. So a process reserves a *batch* of up
to ``MAX_BATCH`` tokens per round trip, the ones whose slots fall within ``LEASE_SECONDS`` of
the first, and hands them to its own threads in slot order. A held token is dropped unused once
its slot is ``LEASE_SECONDS`` old. The global budget stays honest: any request sent in a window
[a, a + w] used a slot in [a - lease, a + w], and the bucket grants at most
capacity + rate * (w + lease) of those, so the shared bucket's burst capacity is lowered by
rate * lease to keep "capacity + rate * w" exact, whatever the number of processes. Batching is
used only when the rate allows two tokens per lease and the lowered capacity stays >= 1 (at the
default 20 req/s: batches of 2 and a burst of 18); slower budgets reserve one token at a time.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable

import redis

logger = logging.getLogger("portal.telnyx.ratelimit")

# How long a reserved-but-unused token may be held by a process, and how many it reserves at once.
LEASE_SECONDS = 0.1
MAX_BATCH = 64

# KEYS[1] bucket hash, KEYS[2] "paused until" key.
# ARGV[1] rate (tokens/s), ARGV[2] capacity, ARGV[3] max wait ms (-1 = no limit),
# ARGV[4] tokens wanted, ARGV[5] spread ms (extra tokens only while their slot is at most this
# much later than the first one's).
# Returns the ms to wait for each reserved token, or {-(ms)} when the first token's wait would
# exceed max wait (then nothing is reserved).
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = tonumber(ARGV[1])
local cap = tonumber(ARGV[2])
local max_wait = tonumber(ARGV[3])
local wanted = tonumber(ARGV[4])
local spread = tonumber(ARGV[5])
local paused = tonumber(redis.call('GET', KEYS[2]) or '0')
local data = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(data[1]) or cap
local ts = tonumber(data[2]) or now
local start = now
if paused > now then start = paused end
if start > ts then
  tokens = math.min(cap, tokens + (start - ts) * rate / 1000)
  ts = start
end
local out = {}
local first = 0
for i = 1, wanted do
  local wait = ts - now
  if tokens < 1 then wait = wait + math.ceil((1 - tokens) * 1000 / rate) end
  if i == 1 then
    if max_wait >= 0 and wait > max_wait then return {-wait} end
    first = wait
  elseif wait - first > spread then
    break
  end
  tokens = tokens - 1
  out[i] = wait
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(ts))
redis.call('PEXPIRE', KEYS[1], math.ceil(cap * 1000 / rate) + out[#out] + 60000)
return out
"""

# KEYS[1] "paused until" key; ARGV[1] pause ms. Only ever moves the pause later.
_PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local untl = now + tonumber(ARGV[1])
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if untl > cur then redis.call('SET', KEYS[1], tostring(untl), 'PX', tonumber(ARGV[1]) + 1000) end
return untl
"""


class RateLimitTimeout(Exception):
    """The next free slot is later than the caller is willing to wait."""

    def __init__(self, wait: float) -> None:
        self.wait = wait
        super().__init__(f"next Telnyx request slot is {wait:.2f}s away")


class _LocalBucket:
    """Same algorithm as the Lua script, for one process, used while Redis is down."""

    def __init__(self, rate: float, capacity: float, clock: Callable[[], float]) -> None:
        self.rate = rate
        self.capacity = capacity
        self.clock = clock
        self.tokens = capacity
        self.ts = clock()
        self.paused_until = 0.0
        self.lock = threading.Lock()

    def reserve(self, max_wait: float | None) -> float:
        with self.lock:
            now = self.clock()
            start = max(now, self.paused_until)
            if start > self.ts:
                self.tokens = min(self.capacity, self.tokens + (start - self.ts) * self.rate)
                self.ts = start
            wait = self.ts - now
            if self.tokens < 1:
                wait += (1 - self.tokens) / self.rate
            if max_wait is not None and wait > max_wait:
                return -wait
            self.tokens -= 1
            return max(wait, 0.0)

    def pause(self, seconds: float) -> None:
        with self.lock:
            self.paused_until = max(self.paused_until, self.clock() + seconds)


class RateLimiter:
    """Token bucket of ``rate`` requests per second (burst ``capacity``) shared through Redis.

    ``rate <= 0`` switches the limiter off. ``batch`` caps the tokens reserved per Redis round
    trip (see the module docstring; 1 = one at a time).
    """

    def __init__(
        self,
        rate: float,
        redis_url: str,
        *,
        name: str = "default",
        capacity: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        batch: int = MAX_BATCH,
        lease: float = LEASE_SECONDS,
    ) -> None:
        self.rate = float(rate)
        self.capacity = float(capacity if capacity is not None else max(1.0, self.rate))
        self.sleep = sleep
        self.clock = clock
        # Tokens per round trip: no more than fit in one lease at the full rate.
        fits = int(self.rate * lease) if self.rate > 0 else 1
        self.batch = max(1, min(batch, fits))
        if self.batch > 1 and self.capacity - self.rate * lease >= 1:
            self.lease = lease
            self.shared_capacity = self.capacity - self.rate * lease
        else:
            self.batch, self.lease, self.shared_capacity = 1, 0.0, self.capacity
        # Reserved tokens not handed out yet: (usable from, dropped after), local clock.
        self._held: deque[tuple[float, float]] = deque()
        self._held_lock = threading.Lock()
        digest = hashlib.sha256(name.encode()).hexdigest()[:16]
        self.bucket_key = f"telnyx:ratelimit:{digest}:bucket"
        self.pause_key = f"telnyx:ratelimit:{digest}:paused"
        self._redis = redis.Redis.from_url(
            redis_url, socket_timeout=0.5, socket_connect_timeout=0.5
        )
        self._acquire = self._redis.register_script(_ACQUIRE)
        self._pause = self._redis.register_script(_PAUSE)
        self._local = _LocalBucket(self.rate, self.capacity, clock) if self.rate > 0 else None
        self._last_warning = 0.0

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def reserve(self, max_wait: float | None = None) -> float:
        """Take the next slot and return how many seconds until it may be used.

        Raises :class:`RateLimitTimeout` (reserving nothing) if that is more than ``max_wait``.
        """
        if not self.enabled:
            return 0.0
        if self.batch == 1:
            return self._reserve_shared(max_wait)
        with self._held_lock:
            wait = self._take_held(max_wait)
            if wait is None:
                wait = self._reserve_shared(max_wait)
        return wait

    def _take_held(self, max_wait: float | None) -> float | None:
        """The wait for the next held token, or None when none is left (lock held)."""
        now = self.clock()
        while self._held and self._held[0][1] < now:
            self._held.popleft()  # its slot is more than a lease old: dropped unused
        if not self._held:
            return None
        wait = max(0.0, self._held[0][0] - now)
        if max_wait is not None and wait > max_wait:
            raise RateLimitTimeout(wait)
        self._held.popleft()
        return wait

    def _reserve_shared(self, max_wait: float | None) -> float:
        """One round trip to the shared bucket for up to ``batch`` tokens; returns the first's
        wait and holds the rest (batch > 1 only, lock held)."""
        max_ms = -1 if max_wait is None else int(max_wait * 1000)
        before = self.clock()
        try:
            result = self._acquire(
                keys=[self.bucket_key, self.pause_key],
                args=[
                    repr(self.rate),
                    repr(self.shared_capacity),
                    max_ms,
                    self.batch,
                    int(self.lease * 1000),
                ],
            )
            waits = [int(ms) / 1000.0 for ms in result]
        except redis.RedisError as exc:
            self._warn(exc)
            assert self._local is not None
            waits = [self._local.reserve(max_wait)]
        if waits[0] < 0:
            raise RateLimitTimeout(-waits[0])
        after = self.clock()
        for wait in waits[1:]:
            self._held.append((after + wait, before + wait + self.lease))
        return waits[0]

    def acquire(self, max_wait: float | None = None) -> float:
        """Wait for a slot; return the seconds spent waiting."""
        wait = self.reserve(max_wait)
        if wait > 0:
            self.sleep(wait)
        return wait

    def pause(self, seconds: float) -> None:
        """Hold every process back for ``seconds`` (Telnyx said 429 or 0 remaining)."""
        if not self.enabled or seconds <= 0:
            return
        with self._held_lock:
            self._held.clear()  # tokens reserved before the pause must not be spent in it
        try:
            self._pause(keys=[self.pause_key], args=[int(seconds * 1000)])
        except redis.RedisError as exc:
            self._warn(exc)
        if self._local is not None:
            self._local.pause(seconds)

    def reset(self) -> None:
        """Forget the shared state (tests and operator use)."""
        with self._held_lock:
            self._held.clear()
        try:
            self._redis.delete(self.bucket_key, self.pause_key)
        except redis.RedisError as exc:
            self._warn(exc)

    def close(self) -> None:
        self._redis.close()

    def _warn(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._last_warning > 60:
            self._last_warning = now
            logger.warning(
                "telnyx rate limiter: Redis unavailable, pacing this process only (%s)",
                type(exc).__name__,
            )
