"""Retention of identity documents (P45): delete the bytes once their purpose has ended.

A document whose sub order reached a final status (or that was never used for any) is purged
``DOCUMENT_RETENTION_DAYS`` after that: the encrypted file and preview are removed from the
vault, the personal metadata (original file name) is blanked, and the row stays as a tombstone
so the access log and audit trail still point at something. Documents of a compliance profile
live as long as the profile. Every purge is audited.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from compliance.documents import vault
from compliance.models import Document
from portal.audit import record

logger = logging.getLogger(__name__)

FINAL_STATUSES = ("success", "failure", "cancelled", "deleted")


def expired_documents(now: datetime | None = None) -> QuerySet[Document]:
    """Documents past retention: their sub order finished (or none) N days ago."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.DOCUMENT_RETENTION_DAYS)
    finished = Q(sub_order__status__in=FINAL_STATUSES) & (
        Q(sub_order__telnyx_updated_at__lt=cutoff)
        | Q(sub_order__telnyx_updated_at__isnull=True, sub_order__updated_at__lt=cutoff)
    )
    unused = Q(sub_order__isnull=True, uploaded_at__lt=cutoff)
    return Document.objects.filter(deleted_at__isnull=True, profile__isnull=True).filter(
        finished | unused
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


def purge_expired(now: datetime | None = None) -> int:
    """Purge every expired document; return how many."""
    count = 0
    for document in expired_documents(now).iterator():
        purge(document)
        count += 1
    if count:
        logger.info("retention purged %d documents", count)
    return count


def orphans() -> set[str]:
    """Vault files no document row refers to (should always be empty)."""
    referenced = set(
        Document.objects.exclude(storage_name="").values_list("storage_name", flat=True)
    ) | set(Document.objects.exclude(preview_name="").values_list("preview_name", flat=True))
    return vault.names() - referenced
