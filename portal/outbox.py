"""The outbox: every job the portal must run against Telnyx is a row committed with its intent.

Orders, bulk orders, requirement submissions and requirement-group builds all go through here
(P17, P18, P49):

1. The domain calls `enqueue` inside the transaction that records the intent (a new order, an
   approval, a retry). The row commits or rolls back with it: nothing is published for an
   intent that was rolled back (P17).
2. After commit the message is published once, best effort. When the broker is down the
   returned `Publication` says so (the screen answers "saved, will be sent when the queue is
   back", not a 500) and the row is due for the relay at once.
3. The worker calls `begin` when a delivery starts, `end` when it stops short of the end (the
   next step published, a retry scheduled) and `done` once the job reached a final state. A
   delivery that began and never ended died with its worker: `begin` counts those, so the
   domain can stop a crash loop (P22).
4. `relay` (beat, every few seconds) publishes again every row not done by its
   ``next_attempt_at``: never taken (broker down at commit, message lost when Redis restarted
   without its data), or taken by a worker that went quiet (killed, or the next step of its
   chain lost) for longer than the task time limit. Consumers are idempotent, so a message
   published twice does its work once.

Domain modules name their tasks here by name, so they never import a ``tasks`` module (which
imports them).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from portal.models import OutboxMessage

log = logging.getLogger(__name__)

State = OutboxMessage.State


@dataclass(frozen=True)
class Kind:
    """A kind of job: its name and the Celery tasks run, as a chain, with ``(object_id,)``."""

    name: str
    tasks: tuple[str, ...]


@dataclass
class Publication:
    """What became of the message: ``published`` is None until the transaction commits, then
    True, or False when the broker refused it (the relay will publish it later)."""

    message_id: int
    published: bool | None = None
    error: str = field(default="", repr=False)

    @property
    def deferred(self) -> bool:
        return self.published is False


def relay_after() -> timedelta:
    return timedelta(seconds=int(settings.OUTBOX_RELAY_AFTER_SECONDS))


def lease() -> timedelta:
    """How long a taken job may stay quiet before the relay publishes it again."""
    return timedelta(seconds=int(settings.CELERY_TASK_TIME_LIMIT)) + relay_after()


def enqueue(kind: Kind, object_id: int) -> Publication:
    """Record the job in the current transaction; publish it after commit (P17, P18).

    A job enqueued again (a retry after a failure) reuses its row, made pending afresh.
    """
    now = timezone.now()
    message, _ = OutboxMessage.objects.update_or_create(
        kind=kind.name,
        object_id=object_id,
        defaults={
            "tasks": list(kind.tasks),
            "state": State.PENDING,
            "attempts": 0,
            "crashes": 0,
            "running": False,
            "next_attempt_at": now + relay_after(),
            "last_error": "",
            "taken_at": None,
            "done_at": None,
        },
    )
    publication = Publication(message.pk)

    def after_commit() -> None:
        publication.published = publish(message)

    transaction.on_commit(after_commit)
    return publication


_tasks_loaded = False


def _load_tasks(app: Any) -> None:
    """Import the task modules once (Celery's autodiscovery is lazy outside a worker), so
    signatures carry their tasks' options and eager mode applies in tests."""
    global _tasks_loaded
    if not _tasks_loaded:
        app.autodiscover_tasks(force=True)
        _tasks_loaded = True


def signature(tasks: list[str] | tuple[str, ...], object_id: int) -> Any:
    """The Celery signature of a job: one task, or a chain of immutable steps."""
    from celery import chain, current_app

    _load_tasks(current_app)
    steps = [current_app.signature(name, args=(object_id,), immutable=True) for name in tasks]
    return steps[0] if len(steps) == 1 else chain(*steps)


def publish(message: OutboxMessage) -> bool:
    """Hand the job to the broker; on failure make it due for the relay at once."""
    try:
        signature(message.tasks, message.object_id).apply_async()
    except Exception as exc:  # the broker is down or refused: the relay publishes it later
        log.warning(
            "outbox: could not publish %s #%s (%s); the relay will retry",
            message.kind,
            message.object_id,
            type(exc).__name__,
        )
        OutboxMessage.objects.filter(pk=message.pk).exclude(state=State.DONE).update(
            next_attempt_at=timezone.now(), last_error=f"publish failed: {exc}"[:2000]
        )
        return False
    OutboxMessage.objects.filter(pk=message.pk).update(publishes=F("publishes") + 1)
    return True


def send_task(name: str, *args: Any) -> bool:
    """Publish one task by name, outside the outbox (the webhook inbox is its own outbox).
    Returns False when the broker is down."""
    from celery import current_app

    try:
        current_app.send_task(name, args=args)
    except Exception as exc:
        log.warning("could not publish %s (%s); the relay will retry", name, type(exc).__name__)
        return False
    return True


def begin(kind: Kind, object_id: int) -> int:
    """A worker starts a delivery: count it, hold the job for the task time limit, and return
    how many earlier deliveries died without reporting back (the crash-loop count, P22)."""
    now = timezone.now()
    rows = OutboxMessage.objects.filter(kind=kind.name, object_id=object_id).exclude(
        state=State.DONE
    )
    # A delivery still marked running never reached `end` or `done`: its worker died.
    rows.filter(running=True).update(crashes=F("crashes") + 1)
    rows.update(
        state=State.TAKEN,
        attempts=F("attempts") + 1,
        running=True,
        taken_at=now,
        next_attempt_at=now + lease(),
    )
    return int(
        OutboxMessage.objects.filter(kind=kind.name, object_id=object_id)
        .values_list("crashes", flat=True)
        .first()
        or 0
    )


def end(kind: Kind, object_id: int, retry_in: float | None = None, error: str = "") -> None:
    """The delivery ended without finishing the job: the next step was published, or a retry
    was scheduled in ``retry_in`` seconds (do not relay before it is due)."""
    now = timezone.now()
    OutboxMessage.objects.filter(kind=kind.name, object_id=object_id).exclude(
        state=State.DONE
    ).update(
        running=False,
        next_attempt_at=now + timedelta(seconds=retry_in or 0) + lease(),
        last_error=error[:2000],
    )


def done(kind: Kind, object_id: int) -> None:
    """The job reached a final state (success or a failure shown to the user)."""
    OutboxMessage.objects.filter(kind=kind.name, object_id=object_id).exclude(
        state=State.DONE
    ).update(state=State.DONE, running=False, done_at=timezone.now())


def relay(limit: int = 200) -> int:
    """Publish again every job not done by its time; returns how many were published."""
    now = timezone.now()
    due = list(
        OutboxMessage.objects.filter(
            state__in=[State.PENDING, State.TAKEN], next_attempt_at__lte=now
        ).order_by("next_attempt_at")[:limit]
    )
    published = 0
    for message in due:
        # Claim by compare-and-set, so two relay runs never both publish the same row.
        claimed = OutboxMessage.objects.filter(
            pk=message.pk, state=message.state, next_attempt_at=message.next_attempt_at
        ).update(state=State.PENDING, next_attempt_at=now + relay_after())
        if claimed and publish(message):
            published += 1
    return published


def state_of(kind: Kind, object_id: int) -> OutboxMessage | None:
    return OutboxMessage.objects.filter(kind=kind.name, object_id=object_id).first()


def deferred(kind: Kind, object_id: int) -> bool:
    """True when the job is saved but has not reached the broker yet (it was down)."""
    return (
        OutboxMessage.objects.filter(
            kind=kind.name,
            object_id=object_id,
            publishes=0,
            last_error__startswith="publish failed",
        )
        .exclude(state=State.DONE)
        .exists()
    )
