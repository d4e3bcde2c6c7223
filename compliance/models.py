"""Models of the compliance app: the audit trail, identity documents, the requirements catalogue,
drafts and submissions of requirement values, compliance profiles and deadline reminders.

Personal values (requirement values, addresses, original file names) are stored encrypted
(``EncryptedJSONField``/``EncryptedTextField``); the audit trail and the document access log are
append-only, in Python and by a database trigger (P43).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from compliance.encrypted_fields import EncryptedJSONField, EncryptedTextField


class AppendOnlyError(Exception):
    """Raised on any attempt to change or delete a row of an append-only table."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError(f"{self.model.__name__} rows cannot be changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(f"{self.model.__name__} rows cannot be deleted")

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> int:
        raise AppendOnlyError(f"{self.model.__name__} rows cannot be changed")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(f"{type(self).__name__} rows cannot be deleted")


class AuditEntry(AppendOnlyModel):
    """Who did what, when, from which page; never personal values (P43, P44)."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    # No database constraint: deleting a user must not need to touch (UPDATE) audit rows.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=200, blank=True)
    method = models.CharField(max_length=8, blank=True)
    path = models.CharField(max_length=300, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label or 'system'} {self.action}"


class Document(models.Model):
    """An identity or proof document; its bytes live encrypted in the vault (``storage_name``)."""

    class Scan(models.TextChoices):
        NOT_CONFIGURED = "not_configured", "No scanner configured"
        CLEAN = "clean", "Scanned, clean"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    storage_name = models.CharField(max_length=32, blank=True)
    preview_name = models.CharField(max_length=32, blank=True)
    original_filename = EncryptedTextField(blank=True)
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    scan_status = models.CharField(max_length=16, choices=Scan.choices, default=Scan.NOT_CONFIGURED)
    sub_order = models.ForeignKey(
        "orders.SubNumberOrder",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="compliance_documents",
    )
    profile = models.ForeignKey(
        "ComplianceProfile",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="documents",
    )
    # A value of a requirement group built without an order: kept as long as the group.
    requirement_group = models.ForeignKey(
        "RequirementGroupLink",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="documents",
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        state = " (deleted)" if self.deleted_at else ""
        return f"Document {str(self.public_id)[:8]} {self.content_type}{state}"

    @property
    def is_available(self) -> bool:
        return self.deleted_at is None and bool(self.storage_name)

    def get_download_url(self) -> str:
        return reverse("compliance:document-download", args=[self.public_id])

    def get_preview_url(self) -> str:
        return reverse("compliance:document-preview", args=[self.public_id])


class DocumentAccess(AppendOnlyModel):
    """Every read of a document's bytes or preview (P43)."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    document = models.ForeignKey(
        Document, on_delete=models.DO_NOTHING, db_constraint=False, related_name="accesses"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    user_label = models.CharField(max_length=150, blank=True)
    purpose = models.CharField(max_length=32)
    path = models.CharField(max_length=300, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "document accesses"
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.user_label or 'system'} {self.purpose}"


class RequirementType(models.Model):
    """A cached Telnyx requirement type: name, help text and acceptance criteria."""

    telnyx_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    example = models.TextField(blank=True)
    field_type = models.CharField(max_length=16, blank=True)
    acceptance_criteria = models.JSONField(default=dict, blank=True)
    applies_to = models.JSONField(default=list, blank=True)
    refreshed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SubmissionPolicy(models.Model):
    """Singleton managers change in admin: whether submissions need a manager's approval.

    Turning the rule off takes two managers (`compliance.policy`): the first one's request is
    recorded here and only a different manager's confirmation applies it."""

    four_eyes_required = models.BooleanField(
        default=True, help_text="Submissions wait for a manager's approval before Telnyx."
    )
    off_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    off_requested_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "submission policy"

    def __str__(self) -> str:
        return "Four-eyes approval " + ("on" if self.four_eyes_required else "off")

    @classmethod
    def current(cls) -> SubmissionPolicy:
        policy, _ = cls.objects.get_or_create(pk=1)
        return policy


class SavedAddress(models.Model):
    """An address kept for reuse; created at Telnyx only when a submission needs it."""

    FIELDS = (
        "first_name",
        "last_name",
        "business_name",
        "street_address",
        "extended_address",
        "locality",
        "administrative_area",
        "postal_code",
        "country_code",
    )

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # A business name or a person's name as often as "Sub order 1a2b3c4d": encrypted (P51).
    label = EncryptedTextField()
    fields = EncryptedJSONField(default=dict)
    profile = models.ForeignKey(
        "ComplianceProfile",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="addresses",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "saved addresses"

    def __str__(self) -> str:
        return self.label


class RequirementDraft(models.Model):
    """Values being filled for a sub order (or one number of it), saved without submitting."""

    sub_order = models.ForeignKey(
        "orders.SubNumberOrder", on_delete=models.CASCADE, related_name="compliance_drafts"
    )
    number = models.ForeignKey(
        "orders.OrderedNumber",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="compliance_drafts",
    )
    values = EncryptedJSONField(default=dict)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["sub_order", "number"],
                name="compliance_one_draft_per_target",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"Draft for {self.sub_order_id}/{self.number_id or 'all'}"


class Submission(models.Model):
    """One submission of requirement values for a sub order (or a single number)."""

    class Status(models.TextChoices):
        AWAITING_APPROVAL = "awaiting_approval", "Awaiting manager approval"
        REJECTED = "rejected", "Rejected by a manager"
        QUEUED = "queued", "Queued"
        SUBMITTING = "submitting", "Submitting to Telnyx"
        SUBMITTED = "submitted", "Submitted to Telnyx"
        FAILED = "failed", "Failed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sub_order = models.ForeignKey(
        "orders.SubNumberOrder", on_delete=models.CASCADE, related_name="compliance_submissions"
    )
    number = models.ForeignKey(
        "orders.OrderedNumber",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="compliance_submissions",
    )
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    values = EncryptedJSONField(default=dict)
    diff = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=24, choices=Status.choices, default=Status.AWAITING_APPROVAL, db_index=True
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    error_codes = models.JSONField(default=list, blank=True)
    patch_payload = EncryptedJSONField(null=True, blank=True, default=None)
    telnyx_response = models.JSONField(default=dict, blank=True)
    # Set when retention emptied ``values`` and ``patch_payload`` (P45); the row stays.
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("approve_submission", "Can approve or reject submissions")]

    def __str__(self) -> str:
        target = "one number" if self.number_id else "sub order"
        return f"Submission {str(self.public_id)[:8]} ({target}) {self.get_status_display()}"


class SubmissionItem(models.Model):
    """A Telnyx object (document or address) created for one requirement of a submission.

    The row is the idempotency record: once ``telnyx_id`` is set the object is never created
    again, and ``customer_reference`` lets an ambiguous create be reconciled (P10, P16).
    """

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="items")
    requirement_id = models.CharField(max_length=64)
    kind = models.CharField(max_length=16)
    customer_reference = models.CharField(max_length=128, unique=True)
    telnyx_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "requirement_id"], name="compliance_one_item_per_requirement"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.requirement_id}"


class ComplianceProfile(models.Model):
    """A reusable identity (person or business) whose values prefill requirement forms."""

    class Kind(models.TextChoices):
        BUSINESS = "business", "Business"
        PERSON = "person", "Person"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Often the customer's own name: encrypted like the values (P51), so lists sort in Python.
    name = EncryptedTextField()
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.BUSINESS)
    values = EncryptedJSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        # Not the name: this text lands in the audit trail and the admin's log (P51).
        return f"{self.get_kind_display()} profile {str(self.public_id)[:8]}"


class RequirementGroupLink(models.Model):
    """A Telnyx requirement group: its values, its life in the portal, its status at Telnyx.

    Built from a compliance profile or from scratch (``values``, encrypted), before any order
    exists. ``stage`` is the portal's side (draft, waiting for a second manager, sent);
    ``status`` mirrors Telnyx (unapproved, pending-approval, approved, declined, expired,
    no-longer-eligible). Building and submitting are outbox jobs (`compliance.profiles`):
    ``pending_job`` says which one is on its way."""

    class Job(models.TextChoices):
        NONE = "", "None"
        BUILD = "build", "Being created at Telnyx"
        SUBMIT = "submit", "Being submitted for approval"

    class Stage(models.TextChoices):
        DRAFT = "draft", "Draft"
        AWAITING_APPROVAL = "awaiting_approval", "Awaiting manager approval"
        SENT = "sent", "Sent to Telnyx"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    profile = models.ForeignKey(
        ComplianceProfile,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="requirement_groups",
    )
    telnyx_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    country_code = models.CharField(max_length=2)
    phone_number_type = models.CharField(max_length=32)
    action = models.CharField(max_length=16, default="ordering")
    status = models.CharField(max_length=32, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    attached_to = models.JSONField(default=list, blank=True)
    requirement_ids = models.JSONField(default=list, blank=True)
    # The group's own value descriptors (same shape as a submission's); empty on groups built
    # straight from a profile before groups had values of their own.
    values = EncryptedJSONField(default=dict, blank=True)
    stage = models.CharField(
        max_length=24, choices=Stage.choices, default=Stage.SENT, db_index=True
    )
    # Bumped at every send, so a corrected document or address is created afresh at Telnyx
    # instead of being found again by the previous send's customer reference.
    revision = models.PositiveIntegerField(default=0)
    submit_after_build = models.BooleanField(default=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    attach_sub_order = models.ForeignKey(
        "orders.SubNumberOrder", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    attach_number = models.ForeignKey(
        "orders.OrderedNumber", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    pending_job = models.CharField(max_length=8, choices=Job.choices, blank=True, default="")
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    # When the sync saw ``status`` change (a decline's age: the inbox's SLA clock).
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # Who works on it: claimed, assigned by a colleague, or released (audited).
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_requirement_groups",
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.country_code} {self.phone_number_type} group ({self.status or 'new'})"

    def get_absolute_url(self) -> str:
        return reverse("compliance:group", args=[self.public_id])

    @property
    def label(self) -> str:
        """The group as people name it: country, type and (once sent) its short id."""
        suffix = f" {self.telnyx_id[:8]}" if self.telnyx_id else ""
        return f"{self.country_code} {self.phone_number_type} group{suffix}"


class RequirementGroupComment(models.Model):
    """A Telnyx comment on a requirement group (why it was declined), mirrored by the sync."""

    telnyx_id = models.CharField(max_length=64, unique=True)
    group = models.ForeignKey(
        RequirementGroupLink, on_delete=models.CASCADE, related_name="comments"
    )
    # Reviewers quote values back: encrypted like the values (P51).
    body = EncryptedTextField()
    commenter = models.CharField(max_length=255, blank=True)
    commenter_type = models.CharField(max_length=16, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    telnyx_created_at = models.DateTimeField(null=True, blank=True)
    # Set when the comment was written in the portal (``user`` comments of ours).
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["telnyx_created_at", "id"]

    def __str__(self) -> str:
        return f"Group comment {self.telnyx_id} by {self.commenter_type}"

    @property
    def is_unread(self) -> bool:
        return self.commenter_type == "admin" and self.read_at is None

    @property
    def written_by(self) -> str:
        """Who the group page and the inbox name as its writer (like a sub order's comment;
        load ``author`` with the row)."""
        if self.author_id is not None and self.author is not None:
            return f"{self.author.get_username()} (via portal)"
        if self.commenter_type == "admin":
            return "Telnyx reviewer"
        return self.commenter or "Us"


class DeadlineReminder(models.Model):
    """One reminder email sent for a number's deadline; unique so none is sent twice."""

    number = models.ForeignKey(
        "orders.OrderedNumber", on_delete=models.CASCADE, related_name="compliance_reminders"
    )
    kind = models.CharField(max_length=16)
    deadline = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(default=timezone.now)
    recipients = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["number", "kind", "deadline"],
                name="compliance_one_reminder_per_deadline",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} reminder for {self.number_id}"


class SearchToken(models.Model):
    """One word of a personal value as its keyed digest (the blind index, see
    ``compliance/blind_index.py``), pointing at the submission, draft or profile holding it."""

    digest = models.CharField(max_length=64)
    submission = models.ForeignKey(
        Submission, null=True, blank=True, on_delete=models.CASCADE, related_name="search_tokens"
    )
    draft = models.ForeignKey(
        RequirementDraft,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="search_tokens",
    )
    profile = models.ForeignKey(
        ComplianceProfile,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="search_tokens",
    )

    class Meta:
        indexes = [models.Index(fields=["digest"], name="compliance_search_digest")]
        default_permissions = ()

    def __str__(self) -> str:
        return f"Search token {self.digest[:8]}"
