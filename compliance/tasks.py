"""Celery tasks of the compliance app: thin wrappers that take ids and call domain functions.

The submission chain is three tasks (documents, addresses, PATCH); each reloads its submission,
does nothing unless it is ``submitting``, and is safe to run twice (P16, P19). Transient Telnyx
errors retry with backoff and jitter up to a bound; permanent ones are recorded for the user.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from celery import chain, shared_task
from django.conf import settings

from compliance import submission as submissions
from compliance.models import Submission
from orders.placing import advisory_lock

logger = logging.getLogger(__name__)


def submission_chain(submission_id: int) -> Any:
    """The signature of the whole submission chain for one submission."""
    return chain(
        upload_submission_documents.si(submission_id),
        create_submission_addresses.si(submission_id),
        patch_submission_requirements.si(submission_id),
    )


@contextmanager
def step_lock(submission_id: int) -> Iterator[bool]:
    """One worker at a time per submission (a PostgreSQL advisory lock; no-op elsewhere)."""
    with advisory_lock("compliance.submission", submission_id) as acquired:
        yield acquired


def _run_step(
    task: Any, submission_id: int, step: Callable[[Submission], None], first: bool = False
) -> str:
    if first:
        submission = submissions.start(submission_id)
    else:
        submission = Submission.objects.filter(
            pk=submission_id, status=Submission.Status.SUBMITTING
        ).first()
    if submission is None:
        return "skipped"
    with step_lock(submission_id) as acquired:
        if not acquired:
            # A duplicate delivery while another worker runs a step: come back later; the
            # state tells the next attempt what is left to do.
            raise task.retry(countdown=5 + random.uniform(0, 2))  # noqa: S311
        # Re-read under the lock: a run that held it may have finished the work meanwhile.
        submission.refresh_from_db()
        if submission.status != Submission.Status.SUBMITTING:
            return "skipped"
        return _guarded(task, submission_id, submission, step)


def _guarded(task: Any, submission_id: int, submission: Submission, step: Any) -> str:
    from portal.telnyx.errors import TelnyxError

    try:
        step(submission)
    except submissions.SubmissionError as exc:
        submissions.fail(submission_id, str(exc))
        return "failed"
    except TelnyxError as exc:
        if exc.permanent:
            submissions.fail(submission_id, str(exc), list(exc.codes))
            return "failed"
        if task.request.retries >= settings.COMPLIANCE_SUBMISSION_MAX_RETRIES:
            submissions.fail(
                submission_id, f"Telnyx did not answer after several attempts: {exc}", exc.codes
            )
            return "failed"
        countdown = min(60, 2 ** (task.request.retries + 1)) + random.uniform(0, 1)  # noqa: S311
        raise task.retry(exc=exc, countdown=countdown) from exc
    return "done"


@shared_task(bind=True, acks_late=True, max_retries=None)
def upload_submission_documents(self: Any, submission_id: int) -> str:
    return _run_step(self, submission_id, submissions.upload_documents, first=True)


@shared_task(bind=True, acks_late=True, max_retries=None)
def create_submission_addresses(self: Any, submission_id: int) -> str:
    return _run_step(self, submission_id, submissions.create_addresses)


@shared_task(bind=True, acks_late=True, max_retries=None)
def patch_submission_requirements(self: Any, submission_id: int) -> str:
    return _run_step(self, submission_id, submissions.complete_and_patch)


@shared_task
def refresh_requirements_catalogue() -> int:
    from compliance import catalogue

    return catalogue.refresh()


@shared_task
def send_deadline_reminders() -> int:
    from compliance import deadlines

    return deadlines.send_reminders()


@shared_task
def purge_expired_documents() -> int:
    from compliance import retention

    return retention.purge_expired()


@shared_task
def sync_requirement_groups() -> int:
    from compliance import profiles

    return profiles.sync_groups()


@shared_task
def warm_dashboard() -> str:
    """Recompute the dashboard's default range into the cache before it expires."""
    from compliance import dashboard

    date_range = dashboard.DateRange.default()
    dashboard.cached_picture(date_range, refresh=True)
    return f"{date_range.start}..{date_range.end}"
