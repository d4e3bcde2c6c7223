"""Celery tasks of the compliance app: thin wrappers that take ids and call domain functions.

The submission chain is three tasks (documents, addresses, PATCH); each reloads its submission,
does nothing unless it is ``submitting``, and is safe to run twice (P16, P19). Transient Telnyx
errors retry with backoff and jitter up to a bound; permanent ones are recorded for the user.
Each delivery reports to the submission's outbox job (begin, end, done), which relays a lost
chain and counts deliveries that died with their worker (P22, P49). Requirement-group builds
and submissions are outbox jobs run the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from celery import shared_task
from django.conf import settings

from compliance import profiles
from compliance import submission as submissions
from compliance.models import RequirementGroupLink, Submission
from portal import outbox
from portal.backoff import task_countdown
from portal.locks import advisory_lock
from portal.telnyx.errors import TelnyxError

logger = logging.getLogger(__name__)


def submission_chain(submission_id: int) -> Any:
    """The signature of the whole submission chain for one submission."""
    return outbox.signature(submissions.JOB.tasks, submission_id)


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
        return _report(submission_id, "skipped")
    with step_lock(submission_id) as acquired:
        if not acquired:
            # A duplicate delivery while another worker runs a step: come back later; the
            # state tells the next attempt what is left to do.
            raise task.retry(countdown=task_countdown(0, 5))
        # Counted under the lock, so a duplicate that backed off above never counts; a
        # delivery that died holding the lock released it with its connection.
        crashes = outbox.begin(submissions.JOB, submission_id)
        if crashes >= int(settings.COMPLIANCE_SUBMISSION_MAX_ATTEMPTS):
            submissions.stop_crash_loop(submission_id, crashes)
            return _report(submission_id, "stopped")
        # Re-read under the lock: a run that held it may have finished the work meanwhile.
        submission.refresh_from_db()
        if submission.status != Submission.Status.SUBMITTING:
            return _report(submission_id, "skipped")
        return _report(submission_id, _guarded(task, submission_id, submission, step))


def _report(submission_id: int, result: str) -> str:
    """Tell the outbox how the delivery ended: the job is done once the submission no longer
    waits to be sent (submitted, failed, or gone)."""
    status = Submission.objects.filter(pk=submission_id).values_list("status", flat=True).first()
    if status in (Submission.Status.QUEUED, Submission.Status.SUBMITTING):
        outbox.end(submissions.JOB, submission_id)
    else:
        outbox.done(submissions.JOB, submission_id)
    return result


def _guarded(task: Any, submission_id: int, submission: Submission, step: Any) -> str:
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
        countdown = task_countdown(task.request.retries, exc.retry_after)
        outbox.end(submissions.JOB, submission_id, retry_in=countdown, error=str(exc))
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


def _run_group_job(
    task: Any, job: outbox.Kind, link_id: int, work: Callable[[Any], None], pending: str
) -> str:
    """One delivery of a requirement-group job: run it, retry transient errors, record the
    rest on the group for the profile page."""
    link = RequirementGroupLink.objects.filter(pk=link_id, pending_job=pending).first()
    if link is None:
        outbox.done(job, link_id)
        return "skipped"
    with advisory_lock(job.name, link_id) as acquired:
        if not acquired:
            raise task.retry(countdown=task_countdown(0, 5))
        crashes = outbox.begin(job, link_id)
        if crashes >= int(settings.COMPLIANCE_SUBMISSION_MAX_ATTEMPTS):
            profiles.finish_job(link_id, f"Stopped after the worker failed {crashes} times.")
            outbox.done(job, link_id)
            return "stopped"
        try:
            work(link)
        except profiles.ProfileError as exc:
            profiles.finish_job(link_id, str(exc))
        except TelnyxError as exc:
            if exc.permanent:
                profiles.finish_job(link_id, f"Telnyx refused: {exc}")
            elif task.request.retries >= settings.COMPLIANCE_SUBMISSION_MAX_RETRIES:
                profiles.finish_job(link_id, f"Telnyx did not answer after several attempts: {exc}")
            else:
                countdown = task_countdown(task.request.retries, exc.retry_after)
                outbox.end(job, link_id, retry_in=countdown, error=str(exc))
                raise task.retry(countdown=countdown) from exc
        outbox.done(job, link_id)
    return "done"


@shared_task(bind=True, acks_late=True, max_retries=None)
def build_requirement_group(self: Any, link_id: int) -> str:
    """Create a requirement group at Telnyx from a profile (and attach it)."""
    return _run_group_job(self, profiles.BUILD_JOB, link_id, profiles.build_group, "build")


@shared_task(bind=True, acks_late=True, max_retries=None)
def submit_requirement_group(self: Any, link_id: int) -> str:
    """Submit a requirement group for Telnyx's approval."""
    return _run_group_job(
        self, profiles.SUBMIT_JOB, link_id, profiles.send_group_for_approval, "submit"
    )


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
    """Status, expiry and comments of every requirement group (beat)."""
    from compliance import groups

    return groups.sync()


@shared_task
def warm_dashboard() -> str:
    """Recompute the dashboard's default range into the cache before it expires."""
    from compliance import dashboard

    date_range = dashboard.DateRange.default()
    dashboard.cached_picture(date_range, refresh=True)
    return f"{date_range.start}..{date_range.end}"
