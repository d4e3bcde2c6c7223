"""Celery queues: which task goes where, in one place.

Each kind of work has its own queue so that one kind cannot starve another: a slow sync pass
(minutes against Telnyx's rate limit) never sits in front of an order being placed, a
requirement submission, a webhook event or an e-mail. A worker consumes the queues it is given
(``-Q``); without ``-Q`` it consumes all of them (``task_queues``), as ``make run`` does.

Queue names carry the instance's prefix (``CELERY_QUEUE_PREFIX``) so several portals can share
one Redis without taking each other's tasks. Tasks are routed by name pattern (fnmatch, first
match wins); a task no pattern knows goes to the ``default`` queue, so a task added later is
still consumed by every worker that follows the recipe.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from django.conf import settings

# The kinds of queue; their names are ``<CELERY_QUEUE_PREFIX>.<kind>`` (settings.CELERY_QUEUES).
KINDS = ("default", "placing", "submissions", "webhooks", "sync", "email")

ROUTES: tuple[tuple[str, str], ...] = (
    # Outbox relays only re-publish: quick, and what they publish is routed again by name.
    ("*relay*", "default"),
    ("*.process_webhook*", "webhooks"),
    ("*webhook*", "webhooks"),
    ("orders.tasks.place_*", "placing"),
    ("orders.tasks.*bulk_order*", "placing"),
    ("orders.*placing*", "placing"),
    ("compliance.*submission*", "submissions"),
    # Applying a requirement group is sending requirement values, like a submission.
    ("orders.tasks.attach_requirement_group", "submissions"),
    ("compliance.*submit*", "submissions"),
    ("*remind*", "email"),
    ("*mail*", "email"),
    ("*notify*", "email"),
    # The short-cadence sync must not wait behind a long pass on the sync queue.
    ("orders.tasks.sync_active_orders", "default"),
    # Long periodic passes: order sync, requirement catalogue and groups, document retention.
    ("*.sync_*", "sync"),
    ("*refresh_*", "sync"),
    ("*purge_*", "sync"),
)


def queue_kind(task_name: str) -> str:
    """The kind of queue a task name is routed to (``default`` when no pattern matches)."""
    for pattern, kind in ROUTES:
        if fnmatchcase(task_name, pattern):
            return kind
    return "default"


def route_task(
    name: str, args: Any, kwargs: Any, options: dict[str, Any], task: Any = None, **kw: Any
) -> dict[str, str]:
    """Celery router (``task_routes``): the instance's queue for this task's kind."""
    return {"queue": settings.CELERY_QUEUES[queue_kind(name)]}


def queue_names(*kinds: str) -> list[str]:
    """Full queue names of the given kinds (all kinds when none is given), for ``-Q``."""
    return [settings.CELERY_QUEUES[kind] for kind in (kinds or KINDS)]


if __name__ == "__main__":  # `python -m portal.queues [kind ...]`: the -Q argument of a worker
    import os
    import sys

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    django.setup()
    unknown = [kind for kind in sys.argv[1:] if kind not in KINDS]
    if unknown:
        sys.exit(f"unknown queue kind(s) {', '.join(unknown)}; known: {', '.join(KINDS)}")
    print(",".join(queue_names(*sys.argv[1:])))
