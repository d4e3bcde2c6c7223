"""Submissions in journeys: waiting for the real worker, and a first submission already declined.

The worker runs outside the browser, so a journey waits on the database for what it did, then
lets the person reload (or the live polling show it).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from compliance.models import Submission, SubmissionPolicy
from orders.models import OrderedNumber
from orders.sync import refresh_order
from tests.compliance.helpers import form_data, submit, upload
from tests.fixtures.people import signed_in_client

UNDER_REVIEW = "requirement-info-under-review"


def wait_for_worker(done: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    """Poll ``done`` until it returns something truthy (the worker's work is in the database)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = done()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def wait_until_sent(number: OrderedNumber) -> Submission:
    """The chain finished, and the worker re-read the vetting state Telnyx now reports."""

    def latest_finished() -> Submission | None:
        latest = Submission.objects.order_by("-created_at").first()
        running = {Submission.Status.QUEUED, Submission.Status.SUBMITTING}
        return latest if latest and latest.status not in running else None

    submission = wait_for_worker(latest_finished, "the submission chain")
    assert submission.status == Submission.Status.SUBMITTED, submission.error
    # The re-read runs just after the submission is marked sent; a reload in between would
    # still show the old vetting state, so wait for it too.
    wait_for_worker(
        lambda: OrderedNumber.objects.filter(
            pk=number.pk, requirements_status=UNDER_REVIEW
        ).exists(),
        "the refresh after the submission",
    )
    return submission


def declined_by_sandbox(sandbox: Any, order: Any, user: Any, vetting_seconds: int) -> Any:
    """``user`` sends the order's only sub order with a ``REJECT`` end user name through the
    portal's own views (no four-eyes: the policy is switched off for it, then restored); the
    worker sends it; the sandbox's Number Ops declines it after ``vetting_seconds`` (relative
    to its clock, which earlier tests may have moved) and writes an admin comment; the portal
    mirrors that. Returns the sub order. Needs a worker talking to ``sandbox``."""
    policy = SubmissionPolicy.current()
    four_eyes = policy.four_eyes_required
    SubmissionPolicy.objects.filter(pk=policy.pk).update(four_eyes_required=False)
    sub_order = order.sub_orders.get()
    number = sub_order.numbers.get()
    client = signed_in_client(user)
    document = upload(client, sub_order)
    submit(client, sub_order, form_data(sub_order, document, name="REJECT Widgets GmbH"))
    wait_until_sent(number)
    SubmissionPolicy.objects.filter(pk=policy.pk).update(four_eyes_required=four_eyes)
    sandbox.advance(vetting_seconds + 5)
    refresh_order(order)
    return sub_order
