"""Retention (P45): every copy of a personal value goes once its purpose has ended.

A sub order's purpose ends when it reaches a final status; ``DOCUMENT_RETENTION_DAYS`` after
that (or after an upload never used for any order) the purge removes every copy the portal
keeps of the values sent for it:

* documents: the encrypted file and preview leave the vault, the original file name is blanked,
  the row stays as a tombstone so the access log and audit trail still point at something;
* submissions: the values and the stored PATCH body are emptied (``purged_at`` is the
  tombstone; who submitted, decided and when, and which requirements changed, stay);
* drafts of the sub order are deleted, and so are its mirrored comments (reviewers quote values;
  a user's explicit refresh of that old order would fetch them again from Telnyx);
* saved addresses that belong to no profile and that no submission still holding values uses
  are deleted;
* webhook inbox rows are deleted once handled (they keep no values since P51, older rows did).

The mirrored numbers and sub orders hold no values at all (only ``has_value`` flags, P51), and
documents, addresses and values of a compliance profile live as long as the profile. Every
purged document and submission is audited.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from compliance.documents import vault
from compliance.models import (
    Document,
    RequirementDraft,
    RequirementGroupLink,
    SavedAddress,
    SearchToken,
    Submission,
)
from orders.models import SubOrderComment, WebhookEvent, WebhookEventState
from portal.audit import record

logger = logging.getLogger(__name__)

FINAL_STATUSES = ("success", "failure", "cancelled", "deleted")


def cutoff(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(days=settings.DOCUMENT_RETENTION_DAYS)


def _finished(prefix: str, before: datetime) -> Q:
    """The sub order at ``prefix`` reached a final status before ``before``."""
    return Q(**{f"{prefix}status__in": FINAL_STATUSES}) & (
        Q(**{f"{prefix}telnyx_updated_at__lt": before})
        | Q(**{f"{prefix}telnyx_updated_at__isnull": True, f"{prefix}updated_at__lt": before})
    )


def expired_documents(now: datetime | None = None) -> QuerySet[Document]:
    """Documents past retention: their sub order finished (or none) N days ago."""
    before = cutoff(now)
    unused = Q(sub_order__isnull=True, uploaded_at__lt=before)
    return Document.objects.filter(
        deleted_at__isnull=True, profile__isnull=True, requirement_group__isnull=True
    ).filter(_finished("sub_order__", before) | unused)


def expired_submissions(now: datetime | None = None) -> QuerySet[Submission]:
    """Submissions still holding values whose sub order finished N days ago."""
    return Submission.objects.filter(purged_at__isnull=True).filter(
        _finished("sub_order__", cutoff(now))
    )


def purge(document: Document, reason: str = "retention period over") -> None:
    """Delete the bytes and blank the personal metadata; keep a tombstone row."""
    vault.delete(document.storage_name)
    vault.delete(document.preview_name)
    Document.objects.filter(pk=document.pk).update(
        storage_name="",
        preview_name="",
        original_filename="",
        deleted_at=timezone.now(),
        deleted_reason=reason[:200],
    )
    record(None, "document.purged", document, reason=reason, sha256=document.sha256)


def purge_submission(submission: Submission) -> None:
    """Empty the values and the stored PATCH body; the row stays as the record of who did what."""
    Submission.objects.filter(pk=submission.pk).update(
        values={}, patch_payload=None, purged_at=timezone.now()
    )
    # The blind index's digests are derived from the values: they go with them.
    SearchToken.objects.filter(submission=submission).delete()
    record(None, "submission.purged", submission, requirements=len(submission.values))


def _addresses_in_use() -> set[str]:
    """Saved addresses a submission that still holds values, or a draft, refers to."""
    used: set[str] = set()
    for values in Submission.objects.filter(purged_at__isnull=True).values_list(
        "values", flat=True
    ):
        used.update(str(v.get("address")) for v in values.values() if v.get("type") == "address")
    for draft in RequirementDraft.objects.values_list("values", flat=True):
        used.update(str(v) for k, v in draft.items() if k.endswith("__saved"))
    # A requirement group's addresses live as long as the group.
    for values in RequirementGroupLink.objects.values_list("values", flat=True):
        used.update(str(v.get("address")) for v in values.values() if v.get("type") == "address")
    return used


def purge_expired(now: datetime | None = None) -> int:
    """Purge every expired copy of a personal value; return how many rows were purged."""
    before = cutoff(now)
    counts = {"documents": 0, "submissions": 0}
    for document in expired_documents(now).iterator():
        purge(document)
        counts["documents"] += 1
    for submission in expired_submissions(now).iterator():
        purge_submission(submission)
        counts["submissions"] += 1
    counts["drafts"], _ = RequirementDraft.objects.filter(_finished("sub_order__", before)).delete()
    counts["comments"], _ = SubOrderComment.objects.filter(
        _finished("sub_order__", before)
    ).delete()
    counts["addresses"], _ = (
        SavedAddress.objects.filter(profile__isnull=True, created_at__lt=before)
        .exclude(public_id__in=_addresses_in_use())
        .delete()
    )
    counts["webhook_events"], _ = (
        WebhookEvent.objects.filter(received_at__lt=before)
        .exclude(state=WebhookEventState.PENDING)
        .delete()
    )
    total = sum(counts.values())
    if total:
        logger.info(
            "retention purged %s", ", ".join(f"{n} {kind}" for kind, n in counts.items() if n)
        )
    return total


def orphans() -> set[str]:
    """Vault files no document row refers to (should always be empty)."""
    referenced = set(
        Document.objects.exclude(storage_name="").values_list("storage_name", flat=True)
    ) | set(Document.objects.exclude(preview_name="").values_list("preview_name", flat=True))
    return vault.names() - referenced
