"""Applying an approved requirement group to a pending sub order, or to one of its numbers.

``POST /sub_number_orders/{id}/requirement_group`` or
``POST /number_order_phone_numbers/{id}/requirement_group``, sent by an outbox job (P49): the
request is a `GroupAttachment` row committed with its job, the worker sends it, records
Telnyx's answer, audits it and mirrors the sub order again so the page shows the new state.
Re-applying the same group is harmless at Telnyx, so a retried job may send it twice.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from compliance.models import RequirementGroupLink
from orders import group_needs
from orders.intents import RetryLater
from orders.models import ChangeSource, GroupAttachment, OrderedNumber, SubNumberOrder
from portal import audit, outbox
from portal.locks import advisory_lock
from portal.telnyx import get_client
from portal.telnyx.errors import TelnyxError

log = logging.getLogger(__name__)

JOB = outbox.Kind("orders.group_attach", ("orders.tasks.attach_requirement_group",))
MAX_ATTEMPTS = 5


class AttachRefused(Exception):
    """The attachment cannot be requested; ``str()`` is shown to the user."""


def fitting_for(sub: SubNumberOrder) -> list[RequirementGroupLink]:
    return list(group_needs.fitting_groups(sub.country_code, sub.phone_number_type))


def request_attach(
    user: Any,
    sub: SubNumberOrder,
    link: RequirementGroupLink,
    number: OrderedNumber | None = None,
    request: Any = None,
) -> GroupAttachment:
    """Record the attachment and its outbox job in one transaction (raises `AttachRefused`)."""
    if sub.status != "pending":
        raise AttachRefused(
            f"Only a pending sub order can take a requirement group (this one is {sub.status})."
        )
    if number is not None and (number.sub_order_id != sub.pk or number.status != "pending"):
        raise AttachRefused("Only a pending number of this sub order can take a group.")
    if link.pk not in {g.pk for g in fitting_for(sub)}:
        raise AttachRefused("That requirement group does not fit this sub order any more.")
    try:
        with transaction.atomic():
            row = GroupAttachment.objects.create(
                group=link,
                group_telnyx_id=str(link.telnyx_id),
                sub_order=sub,
                number=number,
                requested_by=user,
            )
            audit.record(
                user,
                "orders.group_attach_requested",
                target=sub,
                request=request,
                group=str(link.public_id),
                number=str(number.public_id) if number else "",
            )
            outbox.enqueue(JOB, row.pk)
    except IntegrityError:
        raise AttachRefused(
            "A requirement group is already on its way to Telnyx for this; wait for it."
        ) from None
    return row


def run(pk: int) -> str:
    """One attempt of the job; raises `RetryLater` for transient failures."""
    with advisory_lock(JOB.name, pk) as acquired:
        if not acquired:
            return "busy"
        row = GroupAttachment.objects.select_related("sub_order", "number", "group").get(pk=pk)
        if row.state != GroupAttachment.State.QUEUED:
            return row.state
        attempts = row.attempts + 1
        GroupAttachment.objects.filter(pk=pk).update(attempts=attempts)
        if attempts > MAX_ATTEMPTS:
            return _finish(row, GroupAttachment.State.FAILED, "Stopped after too many attempts.")
        client = get_client()
        try:
            if row.number is not None:
                client.attach_requirement_group_to_number(
                    str(row.number.telnyx_id), row.group_telnyx_id
                )
            else:
                client.attach_requirement_group_to_sub_number_order(
                    str(row.sub_order.telnyx_id), row.group_telnyx_id
                )
        except TelnyxError as exc:
            if exc.permanent:
                return _finish(row, GroupAttachment.State.FAILED, f"Telnyx refused: {exc}")
            raise RetryLater(str(exc), countdown=exc.retry_after) from exc
        return _finish(row, GroupAttachment.State.DONE, "")


def _finish(row: GroupAttachment, state: str, error: str) -> str:
    GroupAttachment.objects.filter(pk=row.pk, state=GroupAttachment.State.QUEUED).update(
        state=state, error=error[:2000], finished_at=timezone.now()
    )
    target = str((row.number or row.sub_order).public_id)
    if state == GroupAttachment.State.DONE:
        link = row.group
        if target not in link.attached_to:
            RequirementGroupLink.objects.filter(pk=link.pk).update(
                attached_to=[*link.attached_to, target]
            )
    audit.record(
        row.requested_by,
        "orders.group_attached" if state == GroupAttachment.State.DONE else "orders.group_refused",
        target=row.sub_order,
        group=str(row.group.public_id),
        attached_to=target,
        error=error[:200],
    )
    _mirror(row.sub_order)
    return state


def _mirror(sub: SubNumberOrder) -> None:
    from orders.sync import refresh_sub_order

    try:
        refresh_sub_order(sub, source=ChangeSource.USER)
    except TelnyxError:
        # Applied at Telnyx; the periodic sync mirrors the new state later.
        log.warning("sub order %s: group applied but not re-read yet", sub.pk)
