"""Probes behind ``/healthz``: the database, Redis, and at least one Celery worker.

Each probe is bounded by ``HEALTH_CHECK_TIMEOUT`` so a load balancer gets an answer quickly even
when a dependency hangs; settings are read at call time so tests can point them elsewhere.
"""

from __future__ import annotations

import logging

import redis
from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)


def database_is_up() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # any driver error means "down"; details go to the log, not the body
        logger.warning("healthz: database probe failed", exc_info=True)
        return False


def redis_is_up() -> bool:
    timeout = settings.HEALTH_CHECK_TIMEOUT
    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        try:
            return bool(client.ping())
        finally:
            client.close()
    except redis.RedisError:
        logger.warning("healthz: Redis probe failed")
        return False


def celery_worker_answers() -> bool:
    """Whether at least one worker answers a broadcast ping within the timeout."""
    from portal.celery import app

    try:
        with app.connection_for_write(settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=1, timeout=settings.HEALTH_CHECK_TIMEOUT)
            # limit=1: answer as soon as one worker replies instead of waiting out the timeout.
            replies = app.control.ping(
                timeout=settings.HEALTH_CHECK_TIMEOUT, connection=conn, limit=1
            )
    except Exception:  # kombu raises several unrelated types for a broker that is down
        logger.warning("healthz: Celery ping failed")
        return False
    return bool(replies)


def check() -> dict[str, bool]:
    """Which dependencies are up. Celery is only pinged when Redis (its broker) answers."""
    results = {"database": database_is_up(), "redis": redis_is_up()}
    results["celery"] = results["redis"] and celery_worker_answers()
    return results
