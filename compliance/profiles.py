"""Compliance profiles: reusable identities that prefill forms and become requirement groups.

A profile keeps value descriptors keyed by requirement id (the same shape as a submission), so
it prefills any sub order asking for those requirements. Turned into a Telnyx requirement group
for one country, number type and action, it can be submitted for pre-approval and attached to
pending sub orders or numbers (mandatory when ordering in CH, DK, IT, NO, PT and SE). Documents
and addresses are created at Telnyx only when a group is built, each with a customer reference
so a lost answer is found again instead of creating a duplicate. Building a group and
submitting it are outbox jobs run by a worker, like every other write to Telnyx (P49).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from compliance.audit import log_document_access
from compliance.documents import vault
from compliance.models import ComplianceProfile, Document, RequirementGroupLink, SavedAddress
from notifications.events import Event
from notifications.notify import notify
from portal import outbox
from portal.audit import record

logger = logging.getLogger(__name__)

BUILD_JOB = outbox.Kind("compliance.group_build", ("compliance.tasks.build_requirement_group",))
SUBMIT_JOB = outbox.Kind("compliance.group_submit", ("compliance.tasks.submit_requirement_group",))


class ProfileError(Exception):
    """A profile action that cannot be done; ``str()`` is shown to the user."""


def profile_from_submission(
    name: str, kind: str, values: dict[str, Any], user: Any
) -> ComplianceProfile:
    profile = ComplianceProfile.objects.create(
        name=name, kind=kind, values=dict(values), created_by=user
    )
    # The profile's documents live as long as the profile (not the order they came from) and
    # may be reused on any sub order.
    document_ids = [v["document"] for v in values.values() if v.get("type") == "document"]
    Document.objects.filter(public_id__in=document_ids, profile__isnull=True).update(
        profile=profile
    )
    record(user, "profile.created", profile, requirements=len(values))
    return profile


def _telnyx_value(client: Any, link: RequirementGroupLink, rid: str, value: dict[str, Any]) -> str:
    """The group's field value; a document or address is created once, found again by its
    customer reference when a retried build had created it already."""
    from compliance.submission import find_address, find_document

    reference = f"grp-{link.public_id.hex[:16]}-{rid[:8]}"
    if link.revision:
        reference += f"-r{link.revision}"
    kind = value.get("type")
    if kind == "document":
        found = find_document(client, reference)
        if found:
            return found
        document = Document.objects.get(public_id=value["document"], deleted_at__isnull=True)
        with vault.open_plain(document.storage_name) as plain:  # streamed (P52)
            remote = client.upload_document(
                plain,
                filename=document.original_filename or str(document.public_id),
                customer_reference=reference,
                content_type=document.content_type,
            )
        log_document_access(document, None, "sent_to_telnyx")
        return str(remote.id)
    if kind == "address":
        found = find_address(client, reference)
        if found:
            return found
        address = SavedAddress.objects.get(public_id=value["address"])
        fields = {k: v for k, v in address.fields.items() if v}
        return str(client.create_address(customer_reference=reference, **fields).id)
    return str(value.get("value", ""))


def _expiry(group: Any) -> datetime | None:
    dates = [
        getattr(v, "expires_at", None)
        for v in (getattr(group, "regulatory_requirements", None) or [])
    ]
    present: list[datetime] = [d for d in dates if d is not None]
    return min(present) if present else None


def _apply(link: RequirementGroupLink, group: Any) -> None:
    link.telnyx_id = str(group.id)
    link.status = getattr(group, "status", "") or ""
    link.expires_at = _expiry(group)
    link.last_synced_at = timezone.now()
    link.error = ""
    link.save()


def create_group(
    profile: ComplianceProfile,
    country_code: str,
    phone_number_type: str,
    requirement_ids: list[str],
    user: Any,
    action: str = "ordering",
    sub_order: Any = None,
    number: Any = None,
) -> RequirementGroupLink:
    """Record a requirement group to build from the profile's values for ``requirement_ids``
    (and to attach to ``sub_order`` or ``number``); a worker builds it at Telnyx (P49)."""
    missing = [rid for rid in requirement_ids if rid not in profile.values]
    if missing:
        raise ProfileError(f"The profile has no value for {len(missing)} of the requirements.")
    if sub_order is not None and number is None and sub_order.status != "pending":
        raise ProfileError("Only a pending sub order can take a requirement group.")
    with transaction.atomic():
        link = RequirementGroupLink.objects.create(
            profile=profile,
            country_code=country_code.upper(),
            phone_number_type=phone_number_type,
            action=action,
            created_by=user,
            requirement_ids=list(requirement_ids),
            attach_sub_order=sub_order if number is None else None,
            attach_number=number,
            pending_job=RequirementGroupLink.Job.BUILD,
        )
        record(user, "profile.group_requested", link, country=link.country_code)
        outbox.enqueue(BUILD_JOB, link.pk)
    return link


def group_values(link: RequirementGroupLink) -> dict[str, Any]:
    """The value descriptors to send: the group's own, else its profile's (older groups)."""
    if link.values:
        return dict(link.values)
    return dict(link.profile.values) if link.profile is not None else {}


def build_group(link: RequirementGroupLink) -> None:
    """The build job: documents, addresses, the group (or, for a group Telnyx has already, a
    PATCH of its corrected values), then the attachment or the submission for approval. Each
    step finds what an earlier, interrupted run created instead of creating it twice."""
    from portal.telnyx import get_client

    client = get_client()
    values = group_values(link)
    reference = f"profile-{link.public_id.hex}"
    group = None
    if not link.telnyx_id:
        found = [
            g
            for g in client.list_requirement_groups(customer_reference=reference)
            if g.customer_reference == reference
        ]
        group = found[0] if found else None

    def payload() -> list[dict[str, str]]:
        return [
            {"requirement_id": rid, "field_value": _telnyx_value(client, link, rid, values[rid])}
            for rid in link.requirement_ids
            if rid in values
        ]

    if group is None and not link.telnyx_id:
        group = client.create_requirement_group(
            country_code=link.country_code,
            phone_number_type=link.phone_number_type,
            action=link.action,
            customer_reference=reference,
            regulatory_requirements=payload(),
        )
        record(link.created_by, "telnyx.requirement_group_created", link, country=link.country_code)
    elif group is None and link.submit_after_build:
        # A corrected group: PATCH the full desired state (a repeat sends the same values).
        group = client.update_requirement_group(
            str(link.telnyx_id), regulatory_requirements=payload()
        )
        record(link.created_by, "telnyx.requirement_group_updated", link)
    if group is not None:
        _apply(link, group)
        if link.status in ("", "unapproved") and not link.submit_after_build:
            # Built the old way (from a sub order): it now waits for a manager to submit it.
            notify(Event.APPROVAL, link, f"group:{link.pk}", requester=link.created_by)
    if link.attach_number is not None:
        attach_group(link, link.created_by, number=link.attach_number)
    elif link.attach_sub_order is not None:
        attach_group(link, link.created_by, sub_order=link.attach_sub_order)
    if link.submit_after_build:
        with transaction.atomic():
            RequirementGroupLink.objects.filter(pk=link.pk).update(
                pending_job=RequirementGroupLink.Job.SUBMIT, error=""
            )
            outbox.enqueue(SUBMIT_JOB, link.pk)
        return
    finish_job(link.pk, "")


def submit_group(link: RequirementGroupLink, user: Any) -> None:
    """Ask for the group to be submitted for approval; a worker sends it (P49)."""
    if not link.telnyx_id:
        raise ProfileError("The group is not created at Telnyx yet.")
    with transaction.atomic():
        moved = RequirementGroupLink.objects.filter(pk=link.pk, pending_job="").update(
            pending_job=RequirementGroupLink.Job.SUBMIT, error=""
        )
        if not moved:
            raise ProfileError("Something is already on its way to Telnyx for this group.")
        record(user, "profile.group_submit_requested", link)
        outbox.enqueue(SUBMIT_JOB, link.pk)


def send_group_for_approval(link: RequirementGroupLink) -> None:
    """The submit job."""
    from portal.telnyx import get_client

    _apply(link, get_client().submit_requirement_group(str(link.telnyx_id)))
    record(link.created_by, "telnyx.requirement_group_submitted", link)
    RequirementGroupLink.objects.filter(pk=link.pk).update(submit_after_build=False)
    finish_job(link.pk, "")


def finish_job(link_id: int, error: str) -> None:
    """The job ended (``error`` empty on success): the page shows the outcome."""
    RequirementGroupLink.objects.filter(pk=link_id).update(pending_job="", error=error[:2000])


def attach_group(
    link: RequirementGroupLink, user: Any, sub_order: Any = None, number: Any = None
) -> None:
    """Attach the group to a pending sub order, or to one number of it."""
    from portal.telnyx import get_client

    client = get_client()
    if number is not None:
        client.attach_requirement_group_to_number(number.telnyx_id, str(link.telnyx_id))
        target = str(number.public_id)
    elif sub_order is not None:
        if sub_order.status != "pending":
            raise ProfileError("Only a pending sub order can take a requirement group.")
        client.attach_requirement_group_to_sub_number_order(
            sub_order.telnyx_id, str(link.telnyx_id)
        )
        target = str(sub_order.public_id)
    else:
        raise ProfileError("Choose a sub order or a number.")
    if target not in link.attached_to:
        RequirementGroupLink.objects.filter(pk=link.pk).update(
            attached_to=[*link.attached_to, target]
        )
    record(user, "telnyx.requirement_group_attached", link, attached_to=target)


def sync_groups() -> int:
    """Refresh status, expiry and comments of every group (beat; `compliance.groups.sync`)."""
    from compliance import groups

    return groups.sync()


def usage(profile_list: list[ComplianceProfile]) -> dict[int | None, list[Any]]:
    """Per profile id, the sub orders its requirement groups were applied to (whole sub orders
    or some of their numbers), from the group's own record and from attachments made from the
    orders pages."""
    from orders.models import GroupAttachment, OrderedNumber, SubNumberOrder

    links = list(RequirementGroupLink.objects.filter(profile__in=profile_list))
    targets = {str(t) for link in links for t in link.attached_to}
    subs = {str(s.public_id): s for s in SubNumberOrder.objects.filter(public_id__in=targets)}
    for number in OrderedNumber.objects.filter(public_id__in=targets).select_related("sub_order"):
        if number.sub_order is not None:
            subs[str(number.public_id)] = number.sub_order
    done = GroupAttachment.objects.filter(group__in=links, state=GroupAttachment.State.DONE)
    out: dict[int | None, dict[int, Any]] = {}
    for link in links:
        found = out.setdefault(link.profile_id, {})
        for target in link.attached_to:
            sub = subs.get(str(target))
            if sub is not None:
                found[sub.pk] = sub
    for attachment in done.select_related("sub_order", "group"):
        out.setdefault(attachment.group.profile_id, {})[attachment.sub_order.pk] = (
            attachment.sub_order
        )
    return {pid: list(found.values()) for pid, found in out.items()}
