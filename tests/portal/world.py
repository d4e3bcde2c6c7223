"""Real objects of every kind that has a per-object URL, for the URL-walk tests (P34, P53).

``build_world(owner, other)`` gives ``owner`` (staff A) an order placed at the sandbox with its
sub order and number, a bulk order, a reservation, a document (uploaded through the real intake),
a failed submission, a profile with a requirement group, a comment, a webhook event and a sync
run; ``other`` (staff B) gets an order of their own so parent/child mismatches can be asked for.
``ids_for`` fills a URL pattern's kwargs from those objects, so a walk requests ids that exist.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Model
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from compliance.documents.intake import ingest
from compliance.models import (
    AuditEntry,
    ComplianceProfile,
    Document,
    RequirementGroupComment,
    RequirementGroupLink,
    Submission,
)
from notifications.models import Notification
from orders.models import (
    BulkOrder,
    NumberOrder,
    NumberReservation,
    OrderedNumber,
    PlacingState,
    SubNumberOrder,
    SubOrderComment,
    SyncRun,
    WebhookEvent,
)
from tests.compliance import samples
from tests.compliance.conftest import place_sandbox_order
from tests.orders.factories import OrderedNumberFactory


@dataclass
class World:
    order: NumberOrder
    sub_order: SubNumberOrder
    number: OrderedNumber
    bulk: BulkOrder
    reservation: NumberReservation
    document: Document
    submission: Submission
    profile: ComplianceProfile
    group: RequirementGroupLink
    comment: SubOrderComment
    event: WebhookEvent
    notification: Notification
    # Staff B's objects, for "A's parent with B's child" requests.
    other_order: NumberOrder
    other_sub_order: SubNumberOrder
    other_number: OrderedNumber
    extra: dict[str, Model] = field(default_factory=dict)
    # An admin comment on staff B's sub order (A's sub order with B's comment: out of scope).
    other_comment: SubOrderComment | None = None
    # A Telnyx reviewer's comment on A's requirement group, and one on B's group (A's group
    # with B's group's comment: out of scope).
    group_comment: RequirementGroupComment | None = None
    other_group_comment: RequirementGroupComment | None = None

    def objects(self) -> list[Model]:
        """Every object of A's, for the admin's per-object pages."""
        return [
            self.order,
            self.sub_order,
            self.number,
            self.bulk,
            self.reservation,
            self.document,
            self.submission,
            self.profile,
            self.group,
            self.comment,
            self.event,
            *([self.group_comment] if self.group_comment else []),
            *self.extra.values(),
        ]


def build_world(sandbox: Any, owner: Any, other: Any) -> World:
    order = place_sandbox_order(sandbox, owner)
    NumberOrder.objects.filter(pk=order.pk).update(placing_state=PlacingState.AWAITING_APPROVAL)
    order.refresh_from_db()
    sub_order = order.sub_orders.get()
    number = sub_order.numbers.get()
    other_number = OrderedNumberFactory(number_order__placed_by=other)
    bulk = BulkOrder.objects.create(
        customer_reference=f"bulk-{uuid.uuid4()}",
        placing_state=PlacingState.AWAITING_APPROVAL,
        requested_groups=[{"country_iso": "US", "phone_number_type": "local", "count": 2}],
        placed_by=owner,
    )
    reservation = NumberReservation.objects.create(
        telnyx_id=str(uuid.uuid4()),
        status="success",
        phone_numbers=[{"phone_number": number.phone_number, "status": "success"}],
        expires_at=timezone.now() + timedelta(minutes=30),
        created_by=owner,
    )
    document = ingest(
        SimpleUploadedFile("id-card.png", samples.png(), "image/png"),
        uploaded_by=owner,
        sub_order=sub_order,
    )
    submission = Submission.objects.create(
        sub_order=sub_order,
        number=number,
        values={
            r["requirement_id"]: {"type": "textual", "value": "Acme Widgets GmbH"}
            for r in sub_order.regulatory_requirements
            if r["field_type"] == "textual"
        },
        status=Submission.Status.FAILED,
        submitted_by=owner,
        error="sandbox said no",
    )
    profile = ComplianceProfile.objects.create(
        name="Acme Widgets GmbH", values={"business_name": "Acme"}, created_by=owner
    )
    group = RequirementGroupLink.objects.create(
        profile=profile,
        telnyx_id=str(uuid.uuid4()),
        country_code="DE",
        phone_number_type="local",
        status="unapproved",
        created_by=owner,
    )
    group_comment = RequirementGroupComment.objects.create(
        telnyx_id=str(uuid.uuid4()),
        group=group,
        body="The registry extract is too old.",
        commenter="Telnyx",
        commenter_type="admin",
    )
    other_group = RequirementGroupLink.objects.create(
        telnyx_id=str(uuid.uuid4()),
        country_code="FR",
        phone_number_type="local",
        status="declined",
        created_by=other,
    )
    other_group_comment = RequirementGroupComment.objects.create(
        telnyx_id=str(uuid.uuid4()),
        group=other_group,
        body="Wrong address.",
        commenter="Telnyx",
        commenter_type="admin",
    )
    comment = SubOrderComment.objects.create(
        telnyx_id=str(uuid.uuid4()),
        sub_order=sub_order,
        body="Please send a utility bill.",
        commenter="Telnyx",
        commenter_type="admin",
    )
    other_comment = SubOrderComment.objects.create(
        telnyx_id=str(uuid.uuid4()),
        sub_order=other_number.sub_order,
        body="Please send the ID card.",
        commenter="Telnyx",
        commenter_type="admin",
    )
    event = WebhookEvent.objects.create(
        event_id=str(uuid.uuid4()),
        event_type="number_order.complete",
        record_id=order.telnyx_id or "",
        payload={"data": {"id": "evt", "payload": {"id": order.telnyx_id}}},
    )
    notification = Notification.objects.create(
        recipient=owner,
        event="rejected",
        dedupe_key="world",
        title="Rejected, fix needed: A's sub order",
        url=f"/compliance/sub-orders/{sub_order.public_id}/",
    )
    extra: dict[str, Model] = {
        "sync_run": SyncRun.objects.create(),
        "device": TOTPDevice.objects.get(user=owner, confirmed=True),
    }
    audit = AuditEntry.objects.order_by("-pk").first()
    if audit is not None:
        extra["audit"] = audit
    return World(
        order=order,
        sub_order=sub_order,
        number=number,
        bulk=bulk,
        reservation=reservation,
        document=document,
        submission=submission,
        profile=profile,
        group=group,
        comment=comment,
        event=event,
        notification=notification,
        other_order=other_number.number_order,
        other_sub_order=other_number.sub_order,
        other_number=other_number,
        extra=extra,
        other_comment=other_comment,
        group_comment=group_comment,
        other_group_comment=other_group_comment,
    )


def url_kwargs(world: World) -> dict[str, dict[str, str]]:
    """URL name -> kwargs naming A's objects, for every app URL that takes an id."""
    w = world
    return {
        "orders:reservation-extend": {"public_id": str(w.reservation.public_id)},
        "orders:bulk-detail": {"public_id": str(w.bulk.public_id)},
        "orders:bulk-approve": {"public_id": str(w.bulk.public_id)},
        "orders:detail": {"public_id": str(w.order.public_id)},
        "orders:refresh": {"public_id": str(w.order.public_id)},
        "orders:approve": {"public_id": str(w.order.public_id)},
        "orders:reselect": {"public_id": str(w.order.public_id)},
        "orders:sub-order-cancel": {
            "public_id": str(w.order.public_id),
            "sub_id": str(w.sub_order.public_id),
        },
        "compliance:sub-order": {"public_id": str(w.sub_order.public_id)},
        "compliance:requirement-form": {"public_id": str(w.sub_order.public_id)},
        "compliance:comments": {"public_id": str(w.sub_order.public_id)},
        "compliance:request-extension": {"public_id": str(w.sub_order.public_id)},
        "compliance:inbox-comment-read": {
            "public_id": str(w.sub_order.public_id),
            "comment_id": w.comment.telnyx_id,
        },
        "compliance:inbox-sub-order-read": {"public_id": str(w.sub_order.public_id)},
        "compliance:submission-retry": {"public_id": str(w.submission.public_id)},
        "compliance:document-download": {"public_id": str(w.document.public_id)},
        "compliance:document-preview": {"public_id": str(w.document.public_id)},
        "compliance:profile": {"public_id": str(w.profile.public_id)},
        "compliance:profile-group": {"public_id": str(w.profile.public_id)},
        "compliance:group-submit": {"public_id": str(w.group.public_id)},
        "notifications:read": {"public_id": str(w.notification.public_id)},
        "compliance:group": {"public_id": str(w.group.public_id)},
        "compliance:group-edit": {"public_id": str(w.group.public_id)},
        "compliance:group-request-approval": {"public_id": str(w.group.public_id)},
        "compliance:group-approve": {"public_id": str(w.group.public_id)},
        "compliance:group-reject": {"public_id": str(w.group.public_id)},
        "compliance:group-owner": {"public_id": str(w.group.public_id)},
        "compliance:group-comments": {"public_id": str(w.group.public_id)},
        "compliance:group-comments-read": {"public_id": str(w.group.public_id)},
        "compliance:group-comment-read": {
            "public_id": str(w.group.public_id),
            "comment_id": str(w.group_comment.telnyx_id if w.group_comment else ""),
        },
        "compliance:inbox-group-comment-read": {
            "public_id": str(w.group.public_id),
            "comment_id": str(w.group_comment.telnyx_id if w.group_comment else ""),
        },
        "compliance:inbox-group-read": {"public_id": str(w.group.public_id)},
    }


def admin_object_ids(world: World) -> dict[str, str]:
    """Admin URL-name prefix (``admin:app_model``) -> the pk of A's object of that model, for
    the models the admin shows."""
    ids: dict[str, str] = {}
    for obj in world.objects():
        if not admin.site.is_registered(type(obj)):
            continue
        meta = obj._meta
        ids.setdefault(f"admin:{meta.app_label}_{meta.model_name}", str(obj.pk))
    return ids
