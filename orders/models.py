"""Models of the orders app: our mirror of Telnyx number orders and what we add to them.

Telnyx is the source of truth for statuses; these rows mirror the fields the screens need
(stored as open strings, because Telnyx's enums drift) plus our own bookkeeping: who placed an
order and when, the placing state machine of an order intent (P9/P10), when we last synced,
and a history of every status or deadline change of a number.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from portal.encryption import EncryptedTextField

FINAL_ORDER_STATUSES = ("success", "failure", "cancelled", "deleted")


class PlacingState(models.TextChoices):
    """Where an order intent is on its way to Telnyx (our state, not Telnyx's)."""

    AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
    QUEUED = "queued", "Queued"
    PLACING = "placing", "Placing"
    UNKNOWN = "unknown", "Outcome unknown, reconciling"
    PLACED = "placed", "Placed"
    FAILED = "failed", "Failed"
    FAILED_EXHAUSTED = "failed_exhausted", "Failed after retries"
    DEAD = "dead", "Stopped (crash loop)"


PLACING_ACTIVE_STATES = (PlacingState.QUEUED, PlacingState.PLACING, PlacingState.UNKNOWN)
PLACING_FINAL_STATES = (
    PlacingState.PLACED,
    PlacingState.FAILED,
    PlacingState.FAILED_EXHAUSTED,
    PlacingState.DEAD,
)


class ChangeSource(models.TextChoices):
    SYNC = "sync", "Periodic sync"
    WEBHOOK = "webhook", "Webhook"
    USER = "user", "User"
    PLACING = "placing", "Placing"


class BulkOrder(models.Model):
    """A US/CA bulk order, placed at Telnyx as one inexplicit number order."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    telnyx_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    customer_reference = models.CharField(max_length=255, unique=True)
    placing_state = models.CharField(
        max_length=32, choices=PlacingState.choices, default=PlacingState.QUEUED
    )
    placing_attempts = models.PositiveSmallIntegerField(default=0)
    placing_error = models.TextField(blank=True)
    placing_touched_at = models.DateTimeField(null=True, blank=True)
    # What we asked for (our form's groups, in Telnyx's request shape).
    requested_groups = models.JSONField(default=list)
    # Telnyx's ordering_groups as last fetched (count_allocated, status, orders, error_reason).
    ordering_groups = models.JSONField(default=list, blank=True)
    connection_id = models.CharField(max_length=64, blank=True)
    messaging_profile_id = models.CharField(max_length=64, blank=True)
    billing_group_id = models.CharField(max_length=64, blank=True)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="approved_bulk_orders",
    )
    created_at = models.DateTimeField(default=timezone.now)
    placed_at = models.DateTimeField(null=True, blank=True)
    placing_finished_at = models.DateTimeField(null=True, blank=True)
    telnyx_created_at = models.DateTimeField(null=True, blank=True)
    telnyx_updated_at = models.DateTimeField(null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Bulk order {self.telnyx_id or self.customer_reference}"

    def get_absolute_url(self) -> str:
        return reverse("orders:bulk-detail", args=[self.public_id])

    @property
    def reference(self) -> str:
        """Short human reference shown in titles and lists (``BULK-0007``)."""
        return f"BULK-{self.pk or 0:04d}"

    @property
    def count_requested(self) -> int:
        return sum(int(g.get("count_requested") or 0) for g in self.requested_groups)


class NumberOrder(models.Model):
    """A Telnyx number order, and before that our order intent (customer_reference = intent)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    telnyx_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    # The order-intent UUID minted in the review form: unique here and sent to Telnyx, so a
    # double click or a retry finds this row and an ambiguous POST can be reconciled (P9/P10).
    customer_reference = models.CharField(max_length=255, unique=True)
    status = models.CharField(max_length=32, blank=True, db_index=True)
    requirements_met = models.BooleanField(null=True, blank=True)
    phone_numbers_count = models.PositiveIntegerField(default=0)
    connection_id = models.CharField(max_length=64, blank=True)
    messaging_profile_id = models.CharField(max_length=64, blank=True)
    billing_group_id = models.CharField(max_length=64, blank=True)
    bulk_order = models.ForeignKey(
        BulkOrder, null=True, blank=True, on_delete=models.SET_NULL, related_name="number_orders"
    )

    # Placing state (ours).
    placing_state = models.CharField(
        max_length=32, choices=PlacingState.choices, default=PlacingState.QUEUED, db_index=True
    )
    placing_attempts = models.PositiveSmallIntegerField(default=0)
    placing_error = models.TextField(blank=True)
    # When a placing attempt last started; the outbox relay only re-publishes quiet intents.
    placing_touched_at = models.DateTimeField(null=True, blank=True)
    # Per-number errors from Telnyx: [{"phone_number", "code", "title", "detail"}].
    placing_errors = models.JSONField(default=list, blank=True)
    # The selection as reviewed: [{"phone_number", "country_code", "phone_number_type",
    # "locality", "upfront_cost", "monthly_cost", "currency"}]; placing sends exactly these.
    requested_numbers = models.JSONField(default=list, blank=True)
    upfront_cost = models.DecimalField(max_digits=12, decimal_places=4, default=Decimal(0))
    monthly_cost = models.DecimalField(max_digits=12, decimal_places=4, default=Decimal(0))
    currency = models.CharField(max_length=3, blank=True)
    reservation = models.ForeignKey(
        "NumberReservation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="placed_number_orders",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="approved_number_orders",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    placed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    placing_finished_at = models.DateTimeField(null=True, blank=True)

    # Telnyx timestamps and our sync bookkeeping.
    telnyx_created_at = models.DateTimeField(null=True, blank=True)
    telnyx_updated_at = models.DateTimeField(null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    last_event_at = models.DateTimeField(null=True, blank=True)
    # Denormalised from the numbers by sync so the list can filter and sort without joins.
    next_deadline = models.DateTimeField(null=True, blank=True, db_index=True)
    needs_action = models.BooleanField(default=False, db_index=True)
    # Bumped on every synced change; writers compare-and-set on it (P23).
    version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        permissions = [
            ("place_numberorder", "Can place number orders at Telnyx"),
            ("approve_numberorder", "Can approve large number orders"),
            ("cancel_subnumberorder", "Can cancel pending sub number orders"),
            ("cancel_own_subnumberorder", "Can cancel pending sub orders of orders they placed"),
            ("refresh_numberorder", "Can refresh an order from Telnyx"),
        ]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="orders_no_status_created"),
            # The orders list counts every order per state: from this index alone, not the rows.
            models.Index(
                fields=["status", "placing_state", "needs_action"], name="orders_no_states"
            ),
        ]

    def __str__(self) -> str:
        return f"Number order {self.telnyx_id or self.customer_reference}"

    def get_absolute_url(self) -> str:
        return reverse("orders:detail", args=[self.public_id])

    @property
    def reference(self) -> str:
        """Short human reference shown in titles and lists (``ORD-0042``)."""
        return f"ORD-{self.pk or 0:04d}"

    @property
    def countries(self) -> list[str]:
        found = {str(n.get("country_code") or "") for n in self.requested_numbers or []}
        return sorted(c for c in found if c)

    @property
    def summary(self) -> str:
        """Countries and number count, e.g. ``DE, FR · 3 numbers``."""
        count = self.phone_numbers_count or len(self.requested_numbers or [])
        noun = "number" if count == 1 else "numbers"
        countries = ", ".join(self.countries)
        return f"{countries} · {count} {noun}" if countries else f"{count} {noun}"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_ORDER_STATUSES

    @property
    def shown_status(self) -> str:
        """The status to show: Telnyx's, rolled up truthfully over cancelled sub orders.

        Telnyx leaves an order ``success`` after one of its sub orders was cancelled; a page
        saying "Success" then is wrong. Uses ``sub_orders.all()`` (prefetched by the lists).
        """
        if not self.telnyx_id:
            return str(self.placing_state)
        statuses = [sub.status for sub in self.sub_orders.all()]
        cancelled = statuses.count("cancelled")
        if statuses and cancelled == len(statuses):
            return "cancelled"
        if cancelled:
            return "partly_cancelled"
        return self.status

    @property
    def is_placing(self) -> bool:
        return self.placing_state in PLACING_ACTIVE_STATES


class SubNumberOrder(models.Model):
    """One (country, phone_number_type) part of a number order; vetted and cancelled alone."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    telnyx_id = models.CharField(max_length=64, unique=True)
    number_order = models.ForeignKey(
        NumberOrder, on_delete=models.CASCADE, related_name="sub_orders"
    )
    country_code = models.CharField(max_length=2)
    phone_number_type = models.CharField(max_length=32)
    status = models.CharField(max_length=32, blank=True, db_index=True)
    requirements_met = models.BooleanField(null=True, blank=True)
    # Requirements to fulfil, never their values (P51): orders.mirror.requirement_states.
    regulatory_requirements = models.JSONField(default=list, blank=True)
    phone_numbers_count = models.PositiveIntegerField(default=0)
    is_block_sub_number_order = models.BooleanField(default=False)
    customer_reference = models.CharField(max_length=255, blank=True)
    telnyx_created_at = models.DateTimeField(null=True, blank=True)
    telnyx_updated_at = models.DateTimeField(null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    next_deadline = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Who works on it: claimed, assigned by a colleague, or released (audited).
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_sub_orders",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["country_code", "phone_number_type", "id"]
        indexes = [
            # The periodic sync picks the stalest non-final sub orders first.
            models.Index(
                fields=["last_synced_at"],
                name="orders_sub_stale_pending",
                condition=~Q(status__in=FINAL_ORDER_STATUSES),
            ),
        ]

    def __str__(self) -> str:
        return f"Sub order {self.telnyx_id} ({self.country_code} {self.phone_number_type})"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_ORDER_STATUSES

    @property
    def can_cancel(self) -> bool:
        return self.status == "pending"


class OrderedNumber(models.Model):
    """A Telnyx number_order_phone_number: the per-number vetting state and deadline."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    telnyx_id = models.CharField(max_length=64, unique=True)
    # Telnyx's order response lists numbers without their sub order; sync fills it in.
    sub_order = models.ForeignKey(
        SubNumberOrder, null=True, blank=True, on_delete=models.CASCADE, related_name="numbers"
    )
    number_order = models.ForeignKey(NumberOrder, on_delete=models.CASCADE, related_name="numbers")
    phone_number = models.CharField(max_length=32, db_index=True)
    country_code = models.CharField(max_length=2, blank=True)
    phone_number_type = models.CharField(max_length=32, blank=True)
    locality = models.CharField(max_length=128, blank=True)
    status = models.CharField(max_length=32, blank=True)
    requirements_status = models.CharField(max_length=64, blank=True)  # indexes: see Meta
    requirements_met = models.BooleanField(null=True, blank=True)
    deadline = models.DateTimeField(null=True, blank=True, db_index=True)
    # [{"requirement_id", "field_type", "status", "has_value"}]: whether a value is at Telnyx,
    # never the value itself (P51; it stays encrypted in the submission that sent it).
    regulatory_requirements = models.JSONField(default=list, blank=True)
    is_block_number = models.BooleanField(default=False)
    bundle_id = models.CharField(max_length=64, blank=True)
    upfront_cost = models.DecimalField(max_digits=10, decimal_places=4, null=True, blank=True)
    monthly_cost = models.DecimalField(max_digits=10, decimal_places=4, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Since when ``requirements_status`` holds its value: its newest history row, or when the
    # number was first mirrored. The work queue shows the newest rejections and reviews first
    # from this column's index instead of reading the history row by row.
    requirements_status_changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["phone_number"]
        indexes = [
            # The dashboard looks up numbers' vetting state by id (submissions approved first
            # time): from this narrow index alone, not the wide rows (requirement values,
            # costs).
            models.Index(
                fields=["id"],
                include=["number_order", "country_code", "requirements_status"],
                name="orders_number_dashboard",
            ),
            # The dashboard's deadlines of the next 14 days: pending numbers only, answered
            # from the index alone.
            models.Index(
                fields=["deadline"],
                include=["sub_order"],
                condition=Q(status="pending"),
                name="orders_number_pending_deadline",
            ),
            models.Index(
                fields=["requirements_status", "-requirements_status_changed_at", "-id"],
                name="orders_number_vetting_changed",
            ),
            # The work queue counts the numbers in each vetting state of pending sub orders:
            # read from this index alone, not from the (wide) rows.
            models.Index(
                fields=["requirements_status", "sub_order", "id"], name="orders_number_vetting_sub"
            ),
            # The deadline board counts the numbers due in each window, and the work queue those
            # due soon, from this index alone.
            models.Index(
                fields=["deadline", "sub_order", "requirements_status"],
                name="orders_number_due",
                condition=Q(deadline__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.phone_number


class NumberStatusChange(models.Model):
    """One change of a number's status, requirements status or deadline (the timeline)."""

    number = models.ForeignKey(OrderedNumber, on_delete=models.CASCADE, related_name="history")
    field = models.CharField(max_length=32)
    old_value = models.CharField(max_length=64, blank=True)
    new_value = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=16, choices=ChangeSource.choices)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["number", "-at"], name="orders_history_number_at"),
            # The dashboard's order-to-activation times read only these rows.
            models.Index(
                fields=["number", "at"],
                name="orders_history_activations",
                condition=Q(field="status", new_value="success"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.field}: {self.old_value or '-'} -> {self.new_value or '-'}"


class SubOrderComment(models.Model):
    """A Telnyx comment on a sub order (rejection reasons arrive this way, from admins)."""

    telnyx_id = models.CharField(max_length=64, unique=True)
    sub_order = models.ForeignKey(SubNumberOrder, on_delete=models.CASCADE, related_name="comments")
    # Telnyx's reviewers quote values back ("the name ... does not match"), and our replies may
    # carry them too: encrypted like the values themselves (P51).
    body = EncryptedTextField()
    commenter = models.CharField(max_length=255, blank=True)
    commenter_type = models.CharField(max_length=16, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    telnyx_created_at = models.DateTimeField(null=True, blank=True)
    telnyx_updated_at = models.DateTimeField(null=True, blank=True)
    # The portal user who wrote it (our replies and extension requests): Telnyx only knows the
    # API account. Empty for comments written anywhere else; the sync never touches it.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["telnyx_created_at", "id"]

    def __str__(self) -> str:
        return f"Comment {self.telnyx_id} by {self.commenter_type}"

    @property
    def is_unread(self) -> bool:
        return self.commenter_type == "admin" and self.read_at is None

    @property
    def written_by(self) -> str:
        """Who the thread and the inbox name as its writer (load ``author`` with the row)."""
        if self.author_id is not None and self.author is not None:
            return f"{self.author.get_username()} (via portal)"
        if self.commenter_type == "admin":
            return "Telnyx Number Ops"
        return self.commenter or "Us"


class CommentRejection(models.Model):
    """One ``(requirement, reason)`` pair listed in a comment, parsed when it was mirrored
    (``orders.rejections``): the dashboard counts reasons without decrypting comments."""

    comment = models.ForeignKey(
        SubOrderComment, on_delete=models.CASCADE, related_name="rejections"
    )
    position = models.PositiveSmallIntegerField()  # the line's place among the comment's pairs
    # Parsed from free text that may quote a value: encrypted like the body (P51).
    requirement = EncryptedTextField(blank=True)
    reason = EncryptedTextField()
    # HMAC of the pair (orders.rejections.reason_digest): what the dashboard groups by.
    digest = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["comment", "position"], name="orders_commentrejection_once"
            )
        ]

    def __str__(self) -> str:
        return f"Rejection {self.position} of comment {self.comment_id}"


class NumberTally(models.Model):
    """A ledger line of the dashboard's counts of numbers, written by PostgreSQL triggers when a
    number changes (``orders.tallies``): ``-1`` under its old values, ``+1`` under its new ones.

    A number's own line has ``requirement_id`` NULL and counts in ``numbers``; each of its
    decided requirement values has a line with ``decided`` (and ``declined``) instead.
    """

    day = models.DateField()  # the UTC day its order was created
    country_code = models.CharField(max_length=2)
    status = models.CharField(max_length=32)
    requirements_status = models.CharField(max_length=64)
    # NULL marks a number's own line ("" is a requirement value without an id).
    requirement_id = models.CharField(max_length=64, null=True)  # noqa: DJ001
    numbers = models.IntegerField()
    decided = models.IntegerField()
    declined = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["day"], name="orders_numbertally_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.country_code} {self.status} {self.requirement_id or ''}"


class Activation(models.Model):
    """A number becoming active (a ``status`` change to ``success`` in its history) with what the
    dashboard's activation times need from its number and order, copied by PostgreSQL
    triggers (``orders.tallies``) so the chart reads one narrow table instead of joining
    three. Never written by Python."""

    change_id = models.BigIntegerField(primary_key=True)  # the NumberStatusChange
    number_id = models.BigIntegerField()
    country_code = models.CharField(max_length=2)
    ordered_at = models.DateTimeField()  # the order's created_at: what the range filters on
    started = models.DateTimeField()  # the order's placed_at, or created_at before placing
    at = models.DateTimeField()  # when the number became active

    class Meta:
        indexes = [models.Index(fields=["ordered_at"], name="orders_activation_ordered")]

    def __str__(self) -> str:
        return f"Number {self.number_id} active at {self.at:%Y-%m-%d %H:%M}"


class NumberReservation(models.Model):
    """A 30-minute Telnyx hold on the numbers of a selection, taken from the review page."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    telnyx_id = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=32, blank=True)
    # [{"phone_number", "status", "expired_at"}]
    phone_numbers = models.JSONField(default=list, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Reservation {self.telnyx_id}"


class WebhookEventState(models.TextChoices):
    PENDING = "pending", "Pending"
    PROCESSED = "processed", "Processed"
    IGNORED = "ignored", "Ignored (stale or unknown)"
    FAILED = "failed", "Failed"


class WebhookEvent(models.Model):
    """The webhook inbox: one row per Telnyx event id, written before anything else (P5/P6)."""

    event_id = models.CharField(max_length=64, unique=True)
    event_type = models.CharField(max_length=64, blank=True)
    occurred_at = models.DateTimeField(null=True, blank=True)
    record_id = models.CharField(max_length=64, blank=True, db_index=True)
    payload = models.JSONField(default=dict)
    state = models.CharField(
        max_length=16,
        choices=WebhookEventState.choices,
        default=WebhookEventState.PENDING,
        db_index=True,
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class SyncRun(models.Model):
    """One pass of the periodic sync: progress, figures, and where to resume after a failure."""

    class State(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    state = models.CharField(max_length=16, choices=State.choices, default=State.RUNNING)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Primary key of the last sub order fully processed; a failed pass resumes after it.
    cursor = models.BigIntegerField(default=0)
    resumed_from = models.BigIntegerField(default=0)
    checked = models.PositiveIntegerField(default=0)
    changed_rows = models.PositiveIntegerField(default=0)
    history = models.PositiveIntegerField(default=0)
    api_calls = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"Sync {self.started_at:%Y-%m-%d %H:%M} ({self.state})"


class SubOrdersReport(models.Model):
    """A Telnyx sub number orders CSV report requested from the portal, and its file.

    The row is written before any task is published (the job row), so progress comes from here;
    the CSV is kept encrypted in the private root (``orders/reports.py``) until ``expires_at``.
    """

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        GENERATING = "generating", "Telnyx is preparing it"
        READY = "ready", "Ready to download"
        FAILED = "failed", "Failed"
        EXPIRED = "expired", "Deleted after the retention period"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    telnyx_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    state = models.CharField(
        max_length=16, choices=State.choices, default=State.QUEUED, db_index=True
    )
    # Telnyx's report filters as sent (country, status, created_at_gt/lt); no personal data.
    filters = models.JSONField(default=dict, blank=True)
    telnyx_status = models.CharField(max_length=32, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    # When a task last worked on it (or was published); a quiet unfinished row is re-published.
    touched_at = models.DateTimeField(default=timezone.now)
    checks = models.PositiveIntegerField(default=0)
    ready_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    file_name = models.CharField(max_length=32, blank=True)
    file_size = models.PositiveIntegerField(default=0)
    row_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        default_permissions = ("add", "view")
        permissions = [("download_subordersreport", "Can download sub order reports")]

    def __str__(self) -> str:
        return f"Sub orders report {str(self.public_id)[:8]} ({self.state})"

    def get_absolute_url(self) -> str:
        return reverse("orders:report", args=[self.public_id])

    @property
    def is_open(self) -> bool:
        return self.state in (self.State.QUEUED, self.State.GENERATING)


class GroupNeed(models.Model):
    """A (country, number type) Telnyx refused to order without a requirement group (10015).

    Learnt at placing, so the next review warns even where the configured list is silent."""

    country_code = models.CharField(max_length=2)
    phone_number_type = models.CharField(max_length=32)
    learnt_at = models.DateTimeField(default=timezone.now)

    class Meta:
        default_permissions = ("view",)
        constraints = [
            models.UniqueConstraint(
                fields=["country_code", "phone_number_type"], name="orders_one_group_need"
            )
        ]

    def __str__(self) -> str:
        return f"{self.country_code} {self.phone_number_type} needs a requirement group"


class GroupAttachment(models.Model):
    """A request to apply an approved requirement group to a pending sub order or one number.

    Sent by the outbox job ``orders.group_attach`` (P49); the row says what was asked, by
    whom, and how Telnyx answered."""

    class State(models.TextChoices):
        QUEUED = "queued", "Waiting to be sent"
        DONE = "done", "Applied at Telnyx"
        FAILED = "failed", "Refused"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    group = models.ForeignKey(
        "compliance.RequirementGroupLink", on_delete=models.PROTECT, related_name="attachments"
    )
    # The Telnyx id at the time of the request, so a retry sends exactly the same thing.
    group_telnyx_id = models.CharField(max_length=64)
    sub_order = models.ForeignKey(
        SubNumberOrder, on_delete=models.CASCADE, related_name="group_attachments"
    )
    number = models.ForeignKey(
        OrderedNumber,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="group_attachments",
    )
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        default_permissions = ("view",)
        constraints = [
            # One attachment on its way per target at a time (a double click adds nothing).
            models.UniqueConstraint(
                fields=["sub_order", "number"],
                condition=models.Q(state="queued"),
                name="orders_one_queued_group_attachment",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        target = "number" if self.number_id else "sub order"
        return f"Requirement group for a {target} ({self.state})"
