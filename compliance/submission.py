"""Submitting requirement values to Telnyx: the record, the four-eyes gate, the Celery chain.

A ``Submission`` keeps who submitted what, when, and how it differs from the previous one. With
the four-eyes policy on (the default) it waits for a manager who is not the submitter; then
three idempotent steps run as a Celery chain: upload the documents, create the addresses, PATCH
the sub order (or one number) with the full desired state (P15, P16, P19):

* every Telnyx object is created from a ``SubmissionItem`` row written before the POST, carrying
  a unique ``customer_reference``; a retried step first looks the object up by that reference,
  so a duplicated or redelivered task never creates a second document or address;
* the PATCH body is computed once, stored, and re-sent byte-for-byte on any retry;
* status moves are conditional UPDATEs, so two workers never both run a step;
* a permanent Telnyx error is stored verbatim on the submission for the user, who may retry;
* the chain is an outbox job (`portal.outbox`) written with the approval (or the submission),
  so it is published after commit, relayed when its message is lost, and a crash loop ends as
  ``failed`` with Retry (P17, P22, P49).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from compliance import catalogue
from compliance.audit import log_document_access
from compliance.documents import vault
from compliance.models import (
    Document,
    SavedAddress,
    Submission,
    SubmissionItem,
    SubmissionPolicy,
)
from notifications.events import Event
from notifications.notify import notify
from portal import outbox
from portal.audit import record

logger = logging.getLogger(__name__)

ACTIVE = (
    Submission.Status.AWAITING_APPROVAL,
    Submission.Status.QUEUED,
    Submission.Status.SUBMITTING,
)


# The chain: upload documents, create addresses, PATCH; each step takes the submission id.
JOB = outbox.Kind(
    "compliance.submission",
    (
        "compliance.tasks.upload_submission_documents",
        "compliance.tasks.create_submission_addresses",
        "compliance.tasks.patch_submission_requirements",
    ),
)


SAVED_NOT_SENT = (
    "Saved. The task queue is not reachable right now; the submission will be sent to Telnyx "
    "as soon as it is back. Nothing else to do."
)


class SubmissionError(Exception):
    """A submission action that is not allowed now; ``str()`` is shown to the user."""


def _target_filter(sub_order: Any, number: Any) -> Q:
    return Q(sub_order=sub_order, number=number)


def previous_submission(sub_order: Any, number: Any = None) -> Submission | None:
    """The latest submission that went to Telnyx for this sub order (or number)."""
    return (
        Submission.objects.filter(_target_filter(sub_order, number))
        .filter(status=Submission.Status.SUBMITTED)
        .order_by("-created_at")
        .first()
    )


def compute_diff(values: dict[str, Any], previous: dict[str, Any] | None) -> list[dict[str, str]]:
    """Which requirements were added, changed, removed or kept (no values: it is not PII)."""
    previous = previous or {}
    diff = []
    for requirement_id in sorted(set(values) | set(previous)):
        if requirement_id not in previous:
            change = "added"
        elif requirement_id not in values:
            change = "removed"
        elif values[requirement_id] != previous[requirement_id]:
            change = "changed"
        else:
            change = "unchanged"
        diff.append({"requirement_id": requirement_id, "change": change})
    return diff


def display_value(value: dict[str, Any] | None) -> str:
    """A manager-facing rendering of one stored value."""
    if not value:
        return ""
    kind = value.get("type")
    if kind == "document":
        document = Document.objects.filter(public_id=str(value.get("document"))).first()
        return f"document {document.original_filename}" if document else "document (deleted)"
    if kind == "address":
        address = SavedAddress.objects.filter(public_id=str(value.get("address"))).first()
        if address is None:
            return "address (deleted)"
        parts = [address.fields.get(k, "") for k in SavedAddress.FIELDS]
        return ", ".join(p for p in parts if p)
    return str(value.get("value", ""))


def describe_diff(submission: Submission) -> str:
    """An HTML table of the diff with old and new values, for managers in admin."""
    old = submission.previous.values if submission.previous else {}
    rows = []
    for entry in submission.diff:
        rid = entry["requirement_id"]
        rows.append(
            (
                catalogue.label_for(rid),
                entry["change"],
                display_value(old.get(rid)),
                display_value(submission.values.get(rid)),
            )
        )
    body = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows)
    return format_html(
        "<table><thead><tr><th>Requirement</th><th>Change</th><th>Before</th><th>Now</th>"
        "</tr></thead><tbody>{}</tbody></table>",
        body,
    )


def create_submission(
    sub_order: Any,
    values: dict[str, Any],
    user: Any,
    number: Any = None,
    request: Any = None,
) -> Submission:
    """Record a submission; queue it now or leave it for a manager under the four-eyes policy."""
    if not values:
        raise SubmissionError("There is nothing to submit.")
    with transaction.atomic():
        current = type(sub_order).objects.select_for_update().get(pk=sub_order.pk)
        if current.status != "pending":
            raise SubmissionError(
                f"This sub order is {current.status or 'not pending'}; Telnyx no longer takes "
                "requirement values for it."
            )
        if Submission.objects.filter(_target_filter(sub_order, number), status__in=ACTIVE).exists():
            raise SubmissionError(
                "A submission for these numbers is already waiting or in progress."
            )
        previous = previous_submission(sub_order, number)
        four_eyes = SubmissionPolicy.current().four_eyes_required
        submission = Submission.objects.create(
            sub_order=sub_order,
            number=number,
            previous=previous,
            values=values,
            diff=compute_diff(values, previous.values if previous else None),
            submitted_by=user,
            status=(Submission.Status.AWAITING_APPROVAL if four_eyes else Submission.Status.QUEUED),
            queued_at=None if four_eyes else timezone.now(),
        )
        record(
            user,
            "submission.created",
            submission,
            request=request,
            sub_order=str(sub_order.public_id),
            single_number=number is not None,
            requirements=len(values),
            awaiting_approval=four_eyes,
        )
        if not four_eyes:
            enqueue(submission)
        else:
            notify(Event.APPROVAL, submission, f"submission:{submission.pk}", requester=user)
    return submission


def enqueue(submission: Submission) -> outbox.Publication:
    """Write the chain's outbox job in the current transaction; it is published after commit
    and relayed until a worker finishes it (P17, P18, P49)."""
    return outbox.enqueue(JOB, submission.pk)


def waiting_for_broker(submission: Submission) -> bool:
    """True when the submission is saved but could not be handed to the queue yet."""
    return outbox.deferred(JOB, submission.pk)


def approve(submission: Submission, manager: Any, reason: str, request: Any = None) -> None:
    """A manager other than the submitter approves: the chain is queued (P15)."""
    if not manager.has_perm("compliance.approve_submission"):
        raise SubmissionError("Only a compliance manager can approve submissions.")
    if submission.submitted_by_id == manager.pk:
        raise SubmissionError("You cannot approve your own submission; ask another manager.")
    now = timezone.now()
    with transaction.atomic():
        moved = Submission.objects.filter(
            pk=submission.pk, status=Submission.Status.AWAITING_APPROVAL
        ).update(
            status=Submission.Status.QUEUED,
            decided_by=manager,
            decided_at=now,
            decision_reason=reason,
            queued_at=now,
        )
        if not moved:
            raise SubmissionError("This submission was already decided.")
        record(manager, "submission.approved", submission, request=request)
        enqueue(submission)


def reject(submission: Submission, manager: Any, reason: str, request: Any = None) -> None:
    """A manager rejects a submission with a reason; nothing is sent to Telnyx."""
    if not manager.has_perm("compliance.approve_submission"):
        raise SubmissionError("Only a compliance manager can reject submissions.")
    moved = Submission.objects.filter(
        pk=submission.pk, status=Submission.Status.AWAITING_APPROVAL
    ).update(
        status=Submission.Status.REJECTED,
        decided_by=manager,
        decided_at=timezone.now(),
        decision_reason=reason,
    )
    if not moved:
        raise SubmissionError("This submission was already decided.")
    record(manager, "submission.rejected", submission, request=request)


def retry(submission: Submission, user: Any, request: Any = None) -> None:
    """Queue a failed submission again (its items and stored PATCH body are reused)."""
    with transaction.atomic():
        moved = Submission.objects.filter(pk=submission.pk, status=Submission.Status.FAILED).update(
            status=Submission.Status.QUEUED,
            error="",
            error_codes=[],
            queued_at=timezone.now(),
            attempts=0,
        )
        if not moved:
            raise SubmissionError("Only a failed submission can be retried.")
        record(user, "submission.retried", submission, request=request)
        enqueue(submission)


# --- the chain steps (called by the tasks) ------------------------------------------------------


def start(submission_id: int) -> Submission | None:
    """Move QUEUED -> SUBMITTING; return the submission if this run may work on it.

    A submission already ``submitting`` is taken up again: its message was lost or its worker
    died, and the relay published the chain again (P49); every step is idempotent."""
    Submission.objects.filter(pk=submission_id, status=Submission.Status.QUEUED).update(
        status=Submission.Status.SUBMITTING
    )
    submission = Submission.objects.filter(pk=submission_id).first()
    if submission is None or submission.status != Submission.Status.SUBMITTING:
        return None
    Submission.objects.filter(pk=submission_id).update(attempts=submission.attempts + 1)
    return submission


def _item(submission: Submission, requirement_id: str, kind: str) -> SubmissionItem:
    item, _ = SubmissionItem.objects.get_or_create(
        submission=submission,
        requirement_id=requirement_id,
        defaults={"kind": kind, "customer_reference": f"portal-{kind}-{uuid.uuid4().hex}"},
    )
    return item


def _reusable_id(submission: Submission, requirement_id: str, value: dict[str, Any]) -> str:
    """The Telnyx id already created for the same value by an earlier submission, if any."""
    previous = submission.previous
    while previous is not None:
        if previous.values.get(requirement_id) == value:
            item = (
                previous.items.filter(requirement_id=requirement_id).exclude(telnyx_id="").first()
            )
            if item is not None:
                return item.telnyx_id
        previous = previous.previous
    return ""


def upload_documents(submission: Submission) -> None:
    """Step 1: upload each document once (reconciled by customer reference on a retry)."""
    from portal.telnyx import get_client

    client = get_client()
    for requirement_id, value in submission.values.items():
        if value.get("type") != "document":
            continue
        item = _item(submission, requirement_id, "document")
        if item.telnyx_id:
            continue
        reused = _reusable_id(submission, requirement_id, value)
        if not reused:
            reused = find_document(client, item.customer_reference)
        if not reused:
            document = Document.objects.get(public_id=value["document"])
            if not document.is_available:
                raise SubmissionError("A document of this submission has been deleted.")
            # Decrypted a segment at a time while it is sent (P52).
            with vault.open_plain(document.storage_name) as plain:
                remote = client.upload_document(
                    plain,
                    filename=document.original_filename or f"{document.public_id}",
                    customer_reference=item.customer_reference,
                    content_type=document.content_type,
                )
            reused = str(remote.id)
            record(
                submission.submitted_by,
                "telnyx.document_uploaded",
                document,
                submission=str(submission.public_id),
                telnyx_id=reused,
            )
            log_document_access(document, None, "sent_to_telnyx")
        SubmissionItem.objects.filter(pk=item.pk, telnyx_id="").update(telnyx_id=reused)


def find_document(client: Any, customer_reference: str) -> str:
    for remote in client.iter_documents(customer_reference__eq=customer_reference):
        if getattr(remote, "customer_reference", None) == customer_reference:
            return str(remote.id)
    return ""


def find_address(client: Any, customer_reference: str) -> str:
    for remote in client.iter_addresses(customer_reference__eq=customer_reference):
        if getattr(remote, "customer_reference", None) == customer_reference:
            return str(remote.id)
    return ""


def create_addresses(submission: Submission) -> None:
    """Step 2: create each address once at Telnyx (reconciled by customer reference)."""
    from portal.telnyx import get_client

    client = get_client()
    for requirement_id, value in submission.values.items():
        if value.get("type") != "address":
            continue
        item = _item(submission, requirement_id, "address")
        if item.telnyx_id:
            continue
        reused = _reusable_id(submission, requirement_id, value)
        if not reused:
            reused = find_address(client, item.customer_reference)
        if not reused:
            address = SavedAddress.objects.get(public_id=value["address"])
            fields = {k: v for k, v in address.fields.items() if v}
            remote = client.create_address(customer_reference=item.customer_reference, **fields)
            reused = str(remote.id)
            record(
                submission.submitted_by,
                "telnyx.address_created",
                submission,
                telnyx_id=reused,
            )
        SubmissionItem.objects.filter(pk=item.pk, telnyx_id="").update(telnyx_id=reused)


def build_payload(submission: Submission) -> list[dict[str, str]]:
    """The full desired state: one value per requirement, documents/addresses by Telnyx id."""
    items = {i.requirement_id: i.telnyx_id for i in submission.items.all()}
    payload = []
    for requirement_id in sorted(submission.values):
        value = submission.values[requirement_id]
        if value.get("type") in {"document", "address"}:
            field_value = items.get(requirement_id, "")
            if not field_value:
                raise SubmissionError("A document or address was not created at Telnyx.")
        else:
            field_value = str(value.get("value", ""))
        payload.append({"requirement_id": requirement_id, "field_value": field_value})
    return payload


def patch_requirements(submission: Submission) -> None:
    """Step 3: PATCH the stored payload (the same bytes on every retry) and record the answer."""
    from portal.telnyx import get_client

    if submission.patch_payload is None:
        Submission.objects.filter(pk=submission.pk, patch_payload__isnull=True).update(
            patch_payload=build_payload(submission)
        )
        submission.refresh_from_db(fields=["patch_payload"])
    payload: list[dict[str, str]] = submission.patch_payload or []
    client = get_client()
    remote: Any
    if submission.number is not None:
        remote = client.update_number_order_phone_number_requirements(
            submission.number.telnyx_id, payload
        )
        summary = {
            "record": "number_order_phone_number",
            "requirements_status": getattr(remote, "requirements_status", None),
            "requirements_met": getattr(remote, "requirements_met", None),
        }
    else:
        remote = client.update_sub_number_order_requirements(
            submission.sub_order.telnyx_id, payload
        )
        summary = {
            "record": "sub_number_order",
            "status": getattr(remote, "status", None),
            "requirements_met": getattr(remote, "requirements_met", None),
        }
    moved = Submission.objects.filter(pk=submission.pk, status=Submission.Status.SUBMITTING).update(
        status=Submission.Status.SUBMITTED, sent_at=timezone.now(), telnyx_response=summary
    )
    if moved:
        record(
            submission.submitted_by,
            "telnyx.requirements_patched",
            submission,
            sub_order=str(submission.sub_order.public_id),
            single_number=bool(submission.number_id),
        )
        refresh_after_submit(submission)


def complete_and_patch(submission: Submission) -> None:
    """Step 3 made self-sufficient: finish any document or address an earlier step left
    undone (each is a no-op when done), then PATCH."""
    upload_documents(submission)
    create_addresses(submission)
    patch_requirements(submission)


def refresh_after_submit(submission: Submission) -> None:
    """Pull the new statuses (best effort: the periodic sync converges anyway)."""
    try:
        from orders.sync import refresh_sub_order
    except ImportError:
        return
    try:
        refresh_sub_order(submission.sub_order)
    except Exception:
        logger.warning("refresh after submission %s failed", submission.public_id, exc_info=True)


def stop_crash_loop(submission_id: int, crashes: int) -> None:
    """The worker died ``crashes`` times while sending this submission: stop, visibly (P22)."""
    fail(
        submission_id,
        f"Stopped after the worker failed {crashes} times while sending this submission. "
        "Nothing more will be tried until someone presses Retry.",
    )


def fail(submission_id: int, message: str, codes: list[str] | None = None) -> None:
    """Record a permanent failure for the user to read and retry."""
    moved = Submission.objects.filter(
        pk=submission_id, status__in=[Submission.Status.SUBMITTING, Submission.Status.QUEUED]
    ).update(status=Submission.Status.FAILED, error=message[:4000], error_codes=codes or [])
    if moved:
        submission = Submission.objects.select_related(
            "sub_order__assignee", "sub_order__number_order__placed_by"
        ).get(pk=submission_id)
        # Once per failure: a Retry queues it again with a new queued_at.
        queued = submission.queued_at or submission.created_at
        notify(
            Event.SUBMISSION_FAILED,
            submission,
            f"submission:{submission.pk}:{queued.isoformat()}",
            details=["Telnyx refused it or it could not be sent; the sub order page says why."],
        )
        record(
            submission.submitted_by,
            "telnyx.requirements_failed",
            submission,
            codes=codes or [],
        )
