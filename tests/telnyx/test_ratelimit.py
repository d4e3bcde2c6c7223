"""The Redis-shared request budget: several processes together stay under TELNYX_RATE_LIMIT."""

from __future__ import annotations

import itertools
import subprocess
import sys
import textwrap
import uuid

import pytest
import redis
from django.conf import settings

from portal.telnyx.ratelimit import RateLimiter, RateLimitTimeout

pytestmark = pytest.mark.integration


@pytest.fixture
def bucket_name():
    return f"test-{uuid.uuid4().hex}"


def make(rate, name, **kw):
    limiter = RateLimiter(rate, settings.REDIS_URL, name=name, **kw)
    limiter.reset()
    return limiter


def test_a_burst_beyond_capacity_is_paced_at_the_configured_rate(bucket_name):
    limiter = make(10, bucket_name)
    waits = [limiter.reserve() for _ in range(20)]
    assert waits[:10] == [0.0] * 10  # the one-second burst
    # The 11th..20th slots are spaced 0.1 s apart.
    assert waits[10] == pytest.approx(0.1, abs=0.03)
    assert waits[19] == pytest.approx(1.0, abs=0.05)
    assert all(b >= a for a, b in itertools.pairwise(waits[10:]))


def test_two_limiters_with_the_same_name_share_one_budget(bucket_name):
    first = make(5, bucket_name)
    second = RateLimiter(5, settings.REDIS_URL, name=bucket_name)
    for _ in range(5):
        assert first.reserve() == 0.0
    assert second.reserve() > 0.1


def test_a_wait_longer_than_max_wait_reserves_nothing(bucket_name):
    limiter = make(2, bucket_name)
    limiter.reserve()
    limiter.reserve()
    with pytest.raises(RateLimitTimeout) as info:
        limiter.reserve(max_wait=0.1)
    assert info.value.wait == pytest.approx(0.5, abs=0.05)
    # Nothing was taken: the next caller still gets the slot 0.5 s away, not 1.0 s.
    assert limiter.reserve() == pytest.approx(0.5, abs=0.05)


def test_p13_a_pause_holds_back_every_process_until_the_reset(bucket_name):
    limiter = make(100, bucket_name)
    other = RateLimiter(100, settings.REDIS_URL, name=bucket_name)
    limiter.pause(2.0)
    assert other.reserve() == pytest.approx(2.0, abs=0.05)


def test_a_zero_rate_switches_the_limiter_off(bucket_name):
    limiter = make(0, bucket_name)
    assert not limiter.enabled
    assert [limiter.reserve() for _ in range(50)] == [0.0] * 50


def test_it_keeps_pacing_this_process_when_redis_is_unreachable(bucket_name, caplog):
    limiter = RateLimiter(4, "redis://127.0.0.1:1/0", name=bucket_name)
    waits = [limiter.reserve() for _ in range(6)]
    assert waits[:4] == [0.0] * 4
    assert waits[4] == pytest.approx(0.25, abs=0.05)
    assert "Redis unavailable" in caplog.text


def test_workers_in_separate_processes_together_stay_under_the_rate(bucket_name):
    """Three processes each take 10 slots at 10/s: the 30 slots must span about 2 s, not 1."""
    script = textwrap.dedent(
        f"""
        import time
        from portal.telnyx.ratelimit import RateLimiter
        limiter = RateLimiter(10, {settings.REDIS_URL!r}, name={bucket_name!r})
        for _ in range(10):
            limiter.acquire()
            print(time.time(), flush=True)
        """
    )
    make(10, bucket_name)
    procs = [
        subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    stamps = []
    for proc in procs:
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0
        stamps += [float(line) for line in out.split()]
    stamps.sort()
    assert len(stamps) == 30
    # 10 burst + 20 paced at 0.1 s => the last slot at least ~1.9 s after the first.
    assert stamps[-1] - stamps[0] >= 1.8
    # No one-second window holds more than burst + rate slots.
    for i, start in enumerate(stamps):
        in_window = [s for s in stamps[i:] if s < start + 1.0]
        assert len(in_window) <= 21


def test_the_bucket_key_carries_no_secret(bucket_name):
    limiter = make(10, "http://sandbox/v2?key=SECRET")
    limiter.reserve()
    keys = redis.Redis.from_url(settings.REDIS_URL).keys("telnyx:ratelimit:*")
    assert keys
    assert all(b"SECRET" not in k for k in keys)


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _count_round_trips(limiter, monkeypatch) -> list[int]:
    trips: list[int] = []
    script = limiter._acquire

    def counted(*args, **kwargs):
        trips.append(1)
        return script(*args, **kwargs)

    monkeypatch.setattr(limiter, "_acquire", counted)
    return trips


def test_a_fast_budget_is_reserved_in_batches_of_one_round_trip(bucket_name, monkeypatch):
    limiter = make(1000, bucket_name)
    trips = _count_round_trips(limiter, monkeypatch)
    assert limiter.batch == 64
    assert [limiter.reserve() for _ in range(128)] == [0.0] * 128
    assert len(trips) == 2


def test_batching_lowers_the_shared_burst_so_the_global_budget_stays_exact(bucket_name):
    """Held tokens may be spent up to one lease late, so the shared bucket bursts rate * lease
    less: at 100 req/s the first 90 slots are free, the next ones are paced."""
    limiter = make(100, bucket_name)
    assert (limiter.batch, limiter.shared_capacity) == (10, 90.0)
    waits = [limiter.reserve() for _ in range(100)]
    assert waits[:90] == [0.0] * 90
    assert waits[90] == pytest.approx(0.01, abs=0.005)
    assert waits[99] == pytest.approx(0.1, abs=0.02)


def test_a_held_token_older_than_its_lease_is_dropped_not_spent(bucket_name, monkeypatch):
    clock = _Clock()
    limiter = make(100, bucket_name, clock=clock)
    trips = _count_round_trips(limiter, monkeypatch)
    limiter.reserve()
    limiter.reserve()
    assert len(trips) == 1  # the second came from the batch
    clock.now += limiter.lease + 0.01
    limiter.reserve()
    assert len(trips) == 2  # the 8 left over were too old: a fresh round trip


def test_p13_a_pause_also_drops_what_this_process_held(bucket_name):
    limiter = make(100, bucket_name)
    limiter.reserve()  # holds 9 more
    limiter.pause(1.0)
    assert limiter.reserve() == pytest.approx(1.0, abs=0.05)


def test_slow_budgets_are_still_reserved_one_token_at_a_time(bucket_name):
    limiter = make(10, bucket_name)
    assert (limiter.batch, limiter.shared_capacity) == (1, 10.0)


def test_batching_processes_together_stay_under_the_rate(bucket_name):
    """Three processes each take 40 slots at 40/s in batches of 4: no one-second window may
    hold more than burst (40) + rate (40) requests, and 120 requests span at least 2 s."""
    script = textwrap.dedent(
        f"""
        import time
        from portal.telnyx.ratelimit import RateLimiter
        limiter = RateLimiter(40, {settings.REDIS_URL!r}, name={bucket_name!r})
        assert limiter.batch == 4
        for _ in range(40):
            limiter.acquire()
            print(time.time(), flush=True)
        """
    )
    make(40, bucket_name)
    procs = [
        subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    stamps = []
    for proc in procs:
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0
        stamps += [float(line) for line in out.split()]
    stamps.sort()
    assert len(stamps) == 120
    assert stamps[-1] - stamps[0] >= 1.9
    for i, start in enumerate(stamps):
        assert len([s for s in stamps[i:] if s < start + 1.0]) <= 80
