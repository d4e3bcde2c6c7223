"""Requirement groups as first-class work: created before any order, approved by four eyes.

A group is made for one (country, number type) the requirements catalogue knows, from scratch
or pre-filled from a compliance profile, with values validated like a sub order's. Its life:

* ``draft``: values saved in the portal (encrypted), nothing sent;
* ``awaiting_approval``: with the four-eyes rule on (`compliance.policy`), a manager other than
  the person who asked must approve it, as for submissions (P15);
* ``sent``: an outbox job creates the group at Telnyx (or PATCHes corrected values), then submits
  it for Telnyx's approval (P49); from then on ``status`` mirrors Telnyx: pending-approval,
  approved, declined (with Telnyx's comments), expired, no-longer-eligible.

A declined or expired group is corrected (back to ``draft``) and goes through the same steps
again. The sync pass (beat) refreshes status, expiry and comments through the shared client,
whose Redis token bucket keeps it under the rate limit with every other caller (P13).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from compliance import catalogue, profiles
from compliance.models import (
    ComplianceProfile,
    Document,
    RequirementGroupComment,
    RequirementGroupLink,
    SubmissionPolicy,
)
from notifications.events import Event
from notifications.notify import notify
from portal import outbox
from portal.audit import record

logger = logging.getLogger(__name__)

APPROVE_PERM = "compliance.approve_submission"
Stage = RequirementGroupLink.Stage
# Telnyx statuses after which values may be corrected and sent again.
CORRECTABLE = ("declined", "expired", "unapproved")
NO_LONGER_ELIGIBLE = "no-longer-eligible"

STATUS_WORDS = {
    "unapproved": "Created at Telnyx, not yet submitted for approval",
    "pending-approval": "Under review at Telnyx",
    "approved": "Approved",
    "declined": "Declined by Telnyx: correct the values and send it again",
    "expired": "Expired: a value passed its validity; correct it and send it again",
    NO_LONGER_ELIGIBLE: "No longer eligible: the rules changed; build a new group",
}


class GroupError(Exception):
    """An action on a group that is not possible now; ``str()`` is shown and nothing changed."""


def expiry_warning() -> timedelta:
    return timedelta(days=int(settings.COMPLIANCE_GROUP_EXPIRY_WARNING_DAYS))


def expiring_soon_q(now: Any = None) -> Q:
    """Groups whose validity ends within the warning window (and has not ended)."""
    now = now or timezone.now()
    return Q(expires_at__isnull=False, expires_at__lte=now + expiry_warning()) & ~Q(
        status__in=("expired", NO_LONGER_ELIGIBLE)
    )


def describe(link: RequirementGroupLink) -> str:
    """The group's state in words, as every page shows it."""
    if link.stage == Stage.DRAFT:
        if link.decision_reason:
            return "Draft: returned by a manager"
        return "Draft: not sent to Telnyx"
    if link.stage == Stage.AWAITING_APPROVAL:
        return "Awaiting a manager's approval"
    if link.pending_job == RequirementGroupLink.Job.BUILD:
        return "Being sent to Telnyx"
    if link.pending_job == RequirementGroupLink.Job.SUBMIT:
        return "Being submitted for Telnyx's approval"
    if link.error and link.status in ("", "unapproved"):
        return "Not sent: Telnyx refused or did not answer"
    return STATUS_WORDS.get(link.status, link.status or "Not sent to Telnyx yet")


@dataclass(frozen=True)
class Flag:
    kind: str
    text: str


def flags(link: RequirementGroupLink, now: Any = None) -> list[Flag]:
    """What needs attention ahead of time: expiry soon, expired, no longer eligible."""
    now = now or timezone.now()
    found = []
    if link.status == NO_LONGER_ELIGIBLE:
        found.append(Flag("no-longer-eligible", "No longer eligible: build a new group"))
    elif link.status == "expired" or (link.expires_at and link.expires_at <= now):
        found.append(Flag("expired", "Expired"))
    elif link.expires_at and link.expires_at <= now + expiry_warning():
        days = max(0, (link.expires_at - now).days)
        found.append(Flag("expiring", f"Expires in {days} day(s), on {link.expires_at:%Y-%m-%d}"))
    if link.comments.filter(commenter_type="admin", read_at__isnull=True).exists():
        found.append(Flag("comment", "Telnyx commented"))
    return found


def scope_choices() -> list[tuple[str, str]]:
    """``("CH:local", "Switzerland (CH), local")`` for every scope the catalogue knows."""
    from django_countries import countries

    return [
        (f"{country}:{ntype}", f"{countries.name(country) or country} ({country}), {ntype}")
        for country, ntype in catalogue.known_scopes()
    ]


def parse_scope(value: str) -> tuple[str, str] | None:
    """A scope picked from ``scope_choices``; ``None`` for anything else (never typed ids)."""
    country, _, ntype = (value or "").partition(":")
    if (country, ntype) in catalogue.known_scopes():
        return country, ntype
    return None


def editable(link: RequirementGroupLink) -> bool:
    """Values may change: a draft, or a sent group Telnyx declined, expired or refused."""
    if link.pending_job:
        return False
    if link.stage == Stage.DRAFT:
        return True
    if link.stage != Stage.SENT or link.status == NO_LONGER_ELIGIBLE:
        return False
    return link.status in CORRECTABLE and (link.status != "unapproved" or bool(link.error))


def _claim_documents(link: RequirementGroupLink, values: dict[str, Any]) -> None:
    """Documents used as values live as long as the group (retention leaves them alone)."""
    ids = [v["document"] for v in values.values() if v.get("type") == "document"]
    Document.objects.filter(
        public_id__in=ids, requirement_group__isnull=True, profile__isnull=True
    ).update(requirement_group=link)


def create(
    user: Any,
    country_code: str,
    phone_number_type: str,
    values: dict[str, Any],
    profile: ComplianceProfile | None = None,
    request: Any = None,
) -> RequirementGroupLink:
    """A draft group for a scope the catalogue knows, holding ``values`` (encrypted)."""
    requirements = catalogue.requirements_in(country_code, phone_number_type)
    if not requirements:
        raise GroupError("The requirements catalogue lists nothing for this country and type.")
    with transaction.atomic():
        link = RequirementGroupLink.objects.create(
            profile=profile,
            country_code=country_code.upper(),
            phone_number_type=phone_number_type,
            requirement_ids=[r["requirement_id"] for r in requirements],
            values=dict(values),
            stage=Stage.DRAFT,
            created_by=user,
        )
        _claim_documents(link, values)
        record(
            user,
            "requirement_group.created",
            link,
            request=request,
            country=link.country_code,
            from_profile=profile is not None,
        )
    return link


def update_values(
    link: RequirementGroupLink, user: Any, values: dict[str, Any], request: Any = None
) -> None:
    """New values (a draft edited, or a correction after a decline): back to draft."""
    if not editable(link):
        raise GroupError("This group cannot be changed now.")
    changes: dict[str, Any] = {"values": dict(values), "stage": Stage.DRAFT, "error": ""}
    if not link.telnyx_id:
        # Not at Telnyx yet: it asks for what the catalogue asks for now.
        current = catalogue.requirements_in(link.country_code, link.phone_number_type)
        changes["requirement_ids"] = [r["requirement_id"] for r in current]
    with transaction.atomic():
        updated = RequirementGroupLink.objects.filter(
            pk=link.pk, stage=link.stage, pending_job=""
        ).update(**changes)
        if not updated:
            raise GroupError("Someone changed this group a moment ago. Reload and try again.")
        _claim_documents(link, values)
        record(user, "requirement_group.values_changed", link, request=request)
    link.refresh_from_db()


def missing_requirements(link: RequirementGroupLink) -> list[str]:
    types = catalogue.cached(link.requirement_ids)
    return [
        rid
        for rid in link.requirement_ids
        if rid not in link.values and (types[rid].field_type if rid in types else "") != "action"
    ]


def request_approval(link: RequirementGroupLink, user: Any, request: Any = None) -> bool:
    """Ask for the draft to be sent; returns True when it waits for a manager (four eyes)."""
    if link.stage != Stage.DRAFT:
        raise GroupError("Only a draft can be sent for approval.")
    if missing_requirements(link):
        raise GroupError("Every requirement needs a value first: edit the group.")
    four_eyes = SubmissionPolicy.current().four_eyes_required
    with transaction.atomic():
        updated = RequirementGroupLink.objects.filter(
            pk=link.pk, stage=Stage.DRAFT, pending_job=""
        ).update(
            stage=Stage.AWAITING_APPROVAL,
            requested_by=user,
            requested_at=timezone.now(),
            decided_by=None,
            decided_at=None,
            decision_reason="",
        )
        if not updated:
            raise GroupError("Someone changed this group a moment ago. Reload and try again.")
        record(
            user,
            "requirement_group.approval_requested",
            link,
            request=request,
            awaiting_approval=four_eyes,
        )
        if four_eyes:
            notify(
                Event.APPROVAL, link, f"group-approval:{link.pk}:{link.revision}", requester=user
            )
        else:
            _send(link, Stage.AWAITING_APPROVAL)
    link.refresh_from_db()
    return four_eyes


def approve(link: RequirementGroupLink, manager: Any, request: Any = None) -> None:
    """A manager other than the one who asked approves: the group goes to Telnyx (P15)."""
    if not manager.has_perm(APPROVE_PERM):
        raise GroupError("Only a compliance manager can approve requirement groups.")
    if link.requested_by_id == manager.pk:
        raise GroupError("You cannot approve a group you sent for approval; ask another manager.")
    with transaction.atomic():
        if not RequirementGroupLink.objects.filter(
            pk=link.pk, stage=Stage.AWAITING_APPROVAL
        ).update(decided_by=manager, decided_at=timezone.now()):
            raise GroupError("This group is not waiting for approval.")
        record(manager, "requirement_group.approved", link, request=request)
        _send(link, Stage.AWAITING_APPROVAL)
    link.refresh_from_db()


def reject(link: RequirementGroupLink, manager: Any, reason: str, request: Any = None) -> None:
    """A manager sends it back to draft with a reason (shown on the group's page)."""
    if not manager.has_perm(APPROVE_PERM):
        raise GroupError("Only a compliance manager can return requirement groups.")
    reason = (reason or "").strip()
    if not reason:
        raise GroupError("Say why, so the author knows what to correct.")
    updated = RequirementGroupLink.objects.filter(pk=link.pk, stage=Stage.AWAITING_APPROVAL).update(
        stage=Stage.DRAFT,
        decided_by=manager,
        decided_at=timezone.now(),
        decision_reason=reason[:2000],
    )
    if not updated:
        raise GroupError("This group is not waiting for approval.")
    record(manager, "requirement_group.returned", link, request=request)
    link.refresh_from_db()


def _send(link: RequirementGroupLink, from_stage: str) -> None:
    """Within the caller's transaction: mark it sent and queue the build-and-submit job."""
    updated = RequirementGroupLink.objects.filter(
        pk=link.pk, stage=from_stage, pending_job=""
    ).update(
        stage=Stage.SENT,
        pending_job=RequirementGroupLink.Job.BUILD,
        submit_after_build=True,
        revision=F("revision") + 1,
        error="",
    )
    if not updated:
        raise GroupError("Something is already on its way to Telnyx for this group.")
    outbox.enqueue(profiles.BUILD_JOB, link.pk)


# --- usage ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Use:
    label: str
    url: str


def usage(link: RequirementGroupLink) -> list[Use]:
    """The orders placed with the group, and the sub orders and numbers it was attached to
    (the attach records, and attachments made from the order pages)."""
    from orders.models import GroupAttachment, NumberOrder, OrderedNumber, SubNumberOrder

    uses = []
    if link.telnyx_id:
        placed = NumberOrder.objects.filter(
            requested_numbers__contains=[{"requirement_group_id": link.telnyx_id}]
        ).order_by("-pk")
        for order in placed[:50]:
            uses.append(Use(f"Ordered with it: order {order.reference}", order.get_absolute_url()))
    ids = [str(i) for i in link.attached_to or []]
    for target in (link.attach_sub_order, link.attach_number):
        if target is not None and str(target.public_id) not in ids:
            ids.append(str(target.public_id))
    done = GroupAttachment.objects.filter(group=link, state=GroupAttachment.State.DONE)
    for attachment in done.select_related("sub_order", "number"):
        target = attachment.number or attachment.sub_order
        if str(target.public_id) not in ids:
            ids.append(str(target.public_id))
    if not ids:
        return uses
    for sub in SubNumberOrder.objects.filter(public_id__in=ids).select_related("number_order"):
        uses.append(
            Use(
                f"Sub order {sub.country_code} {sub.phone_number_type} of order "
                f"{sub.number_order.reference}",
                reverse("compliance:sub-order", args=[sub.public_id]),
            )
        )
    for number in OrderedNumber.objects.filter(public_id__in=ids).select_related("sub_order"):
        if number.sub_order is None:
            continue
        uses.append(
            Use(
                f"Number {number.phone_number}",
                reverse("compliance:sub-order", args=[number.sub_order.public_id]),
            )
        )
    return uses


# --- sync ----------------------------------------------------------------------------------


def synced_groups() -> QuerySet[RequirementGroupLink]:
    return RequirementGroupLink.objects.exclude(telnyx_id__isnull=True).exclude(telnyx_id="")


def store_comment(
    link: RequirementGroupLink, remote: Any, author: Any = None
) -> RequirementGroupComment:
    """Mirror one Telnyx comment on the group (``author``: the portal user who wrote it here).

    A reviewer's (``admin``) comment seen for the first time notifies the group's owner, once
    (the dedupe key is the comment's id); its text stays out of the notification (P51)."""
    defaults = {
        "group": link,
        "body": getattr(remote, "body", "") or "",
        "commenter": getattr(remote, "commenter", "") or "",
        "commenter_type": getattr(remote, "commenter_type", "") or "user",
        "read_at": getattr(remote, "read_at", None),
        "telnyx_created_at": getattr(remote, "created_at", None) or timezone.now(),
    }
    if author is not None:  # the sync never knows who wrote it: it keeps what we recorded
        defaults["author"] = author
    with transaction.atomic():
        comment, created = RequirementGroupComment.objects.update_or_create(
            telnyx_id=str(remote.id), defaults=defaults
        )
        if created and comment.commenter_type == "admin":
            notify(Event.COMMENT, link, f"group-comment:{comment.telnyx_id}")
    return comment


def reply(
    link: RequirementGroupLink, user: Any, body: str, request: Any = None
) -> RequirementGroupComment:
    """Post our comment on the group at Telnyx and mirror it, naming its portal author."""
    from portal.telnyx import get_client

    if not link.telnyx_id:
        raise GroupError("This group is not at Telnyx yet: there is nobody to answer.")
    remote = get_client().create_comment("requirement_group", str(link.telnyx_id), body)
    author = user if user.is_authenticated else None
    comment = store_comment(link, remote, author=author)
    record(user, "telnyx.comment_posted", link, request=request, comment=comment.telnyx_id)
    return comment


def sync_one(link: RequirementGroupLink, client: Any = None) -> None:
    """Refresh one group's status, expiry and comments from Telnyx. A decline notifies the
    group's owner once per send (the revision is in the dedupe key)."""
    from portal.telnyx import get_client

    client = client or get_client()
    remote = client.get_requirement_group(str(link.telnyx_id))
    previous = link.status
    profiles._apply(link, remote)
    for comment in client.list_comments("requirement_group", str(link.telnyx_id)):
        store_comment(link, comment)
    if link.status != previous:
        link.status_changed_at = timezone.now()
        RequirementGroupLink.objects.filter(pk=link.pk).update(
            status_changed_at=link.status_changed_at
        )
        record(None, "requirement_group.status_changed", link, status=link.status, was=previous)
        if link.status == "declined":
            notify(Event.REJECTED, link, f"group-declined:{link.pk}:{link.revision}")


def sync() -> int:
    """The beat pass over every group Telnyx has; a failing group is noted, the rest go on."""
    from portal.telnyx import get_client
    from portal.telnyx.errors import TelnyxError

    client = get_client()
    count = 0
    for link in synced_groups():
        try:
            sync_one(link, client)
        except TelnyxError as exc:
            RequirementGroupLink.objects.filter(pk=link.pk).update(error=str(exc)[:2000])
            continue
        count += 1
    return count
