"""The comment thread of a sub order: Telnyx Number Ops (``admin``) and us (``user``).

Marking read works the same for a requirement group's comments (``mark_group_read``,
``mark_one_read`` with a ``RequirementGroupComment``): Telnyx first, then here, audited on
the record the comments belong to.

Telnyx sends no webhook for comments; the orders sync mirrors them into ``SubOrderComment``.
Here we reply, ask for a deadline extension (the only way to get one is a comment), and mark
admin comments read at Telnyx when someone says so (a POST; opening the thread changes nothing).
"""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone

from notifications.events import Event
from notifications.inbox import mark_read_about
from orders.models import SubOrderComment
from portal.audit import record

logger = logging.getLogger(__name__)

EXTENSION_TEMPLATE = (
    "Deadline extension request: please extend the requirements deadline of sub order "
    "{sub_order} by {days} day(s) for the number(s) {numbers}. Reason: {reason}. "
    "We will submit the missing information within that time. (Sent by {user} from the "
    "Numbers Compliance Portal.)"
)


def unread(sub_order: Any) -> list[SubOrderComment]:
    return list(
        sub_order.comments.filter(commenter_type="admin", read_at__isnull=True).order_by(
            "telnyx_created_at"
        )
    )


def _store(sub_order: Any, remote: Any, author: Any = None) -> SubOrderComment:
    comment, _ = SubOrderComment.objects.update_or_create(
        telnyx_id=str(remote.id),
        defaults={
            "sub_order": sub_order,
            "author": author,
            "body": remote.body or "",
            "commenter": getattr(remote, "commenter", "") or "",
            "commenter_type": getattr(remote, "commenter_type", "") or "user",
            "read_at": getattr(remote, "read_at", None),
            "telnyx_created_at": getattr(remote, "created_at", None) or timezone.now(),
        },
    )
    return comment


def mark_read(sub_order: Any, user: Any, request: Any = None) -> int:
    """Mark every unread admin comment read at Telnyx, then locally; return how many."""
    return _mark(sub_order, unread(sub_order), user, request)


def group_unread(link: Any) -> list[Any]:
    return list(
        link.comments.filter(commenter_type="admin", read_at__isnull=True).order_by(
            "telnyx_created_at"
        )
    )


def mark_group_read(link: Any, user: Any, request: Any = None) -> int:
    """Mark every unread admin comment on a requirement group read, Telnyx first."""
    return _mark(link, group_unread(link), user, request)


def mark_one_read(comment: Any, user: Any, request: Any = None) -> int:
    """Mark one admin comment (of a sub order or a requirement group) read at Telnyx, then
    locally (1), or say it was not needed (0)."""
    if not comment.is_unread:
        return 0
    record_of = comment.sub_order if isinstance(comment, SubOrderComment) else comment.group
    return _mark(record_of, [comment], user, request)


def _mark(target: Any, comments: list[Any], user: Any, request: Any = None) -> int:
    from portal.telnyx import get_client
    from portal.telnyx.errors import TelnyxError

    client = get_client()
    marked = []
    for comment in comments:
        try:
            remote = client.mark_comment_read(comment.telnyx_id)
        except TelnyxError:
            logger.warning("marking comment %s read failed", comment.telnyx_id, exc_info=True)
            continue
        read_at = getattr(remote, "read_at", None) or timezone.now()
        if (
            type(comment)
            .objects.filter(pk=comment.pk, read_at__isnull=True)
            .update(read_at=read_at)
        ):
            comment.read_at = read_at
            marked.append(comment.telnyx_id)
    if marked:
        record(
            user,
            "comments.marked_read",
            target,
            request=request,
            count=len(marked),
            comments=marked,
        )
        # The bell's "New comment from Telnyx" is about what she just read: not unread anymore.
        mark_read_about(user, Event.COMMENT, [f"comment:{telnyx_id}" for telnyx_id in marked])
    return len(marked)


def reply(sub_order: Any, user: Any, body: str, request: Any = None) -> SubOrderComment:
    """Post our comment on the sub order at Telnyx and mirror it."""
    from portal.telnyx import get_client

    remote = get_client().create_comment("sub_number_order", sub_order.telnyx_id, body)
    comment = _store(sub_order, remote, author=user if user.is_authenticated else None)
    record(user, "telnyx.comment_posted", sub_order, request=request, comment=comment.telnyx_id)
    return comment


def extension_body(sub_order: Any, user: Any, days: int, reason: str) -> str:
    numbers = ", ".join(
        sub_order.numbers.order_by("phone_number").values_list("phone_number", flat=True)
    )
    return EXTENSION_TEMPLATE.format(
        sub_order=sub_order.telnyx_id,
        days=days,
        numbers=numbers or "in this sub order",
        reason=" ".join(reason.split()),
        user=user.get_username(),
    )


def request_extension(
    sub_order: Any, user: Any, days: int, reason: str, request: Any = None
) -> SubOrderComment:
    comment = reply(sub_order, user, extension_body(sub_order, user, days, reason), request)
    record(user, "deadline.extension_requested", sub_order, request=request, days=days)
    return comment
