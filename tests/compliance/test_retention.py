"""Retention (P45): documents are really deleted N days after their purpose ended, audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from compliance import retention
from compliance.audit import log_document_access
from compliance.documents import vault
from compliance.documents.intake import ingest
from compliance.models import AuditEntry, Document, DocumentAccess
from tests.compliance import samples

pytestmark = pytest.mark.django_db


@pytest.fixture
def finished_document(sub_order, alice, upload_file, settings):
    settings.DOCUMENT_RETENTION_DAYS = 30
    document = ingest(
        upload_file(samples.pdf(), "passport.pdf"), uploaded_by=alice, sub_order=sub_order
    )
    sub_order.status = "success"
    sub_order.telnyx_updated_at = timezone.now()
    sub_order.save()
    log_document_access(document, alice, "download")
    return document


def test_p45_a_document_is_kept_during_the_retention_period(finished_document):
    with time_machine.travel(timezone.now() + timedelta(days=29)):
        assert retention.purge_expired() == 0
    assert vault.exists(finished_document.storage_name)


def test_p45_after_the_period_the_bytes_go_and_a_tombstone_and_the_logs_stay(
    finished_document, vault_root
):
    stored, preview = finished_document.storage_name, finished_document.preview_name
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        assert retention.purge_expired() == 1
    assert not vault.exists(stored)
    assert not vault.exists(preview)
    assert list(vault_root.iterdir()) == []
    tombstone = Document.objects.get(pk=finished_document.pk)
    assert tombstone.deleted_at is not None
    assert tombstone.original_filename == ""
    assert tombstone.sha256 == finished_document.sha256
    assert DocumentAccess.objects.filter(document=tombstone).count() == 1
    assert AuditEntry.objects.filter(action="document.purged").count() == 1
    assert retention.orphans() == set()


def test_p45_documents_of_pending_orders_and_profiles_are_kept(sub_order, alice, upload_file):
    from compliance.models import ComplianceProfile

    profile = ComplianceProfile.objects.create(name="Acme")
    kept = [
        ingest(upload_file(samples.pdf(), "a.pdf"), uploaded_by=alice, sub_order=sub_order),
        ingest(upload_file(samples.pdf(), "b.pdf"), uploaded_by=alice, profile=profile),
    ]
    with time_machine.travel(timezone.now() + timedelta(days=400)):
        assert retention.purge_expired() == 0
    assert all(vault.exists(d.storage_name) for d in kept)


def test_p45_an_upload_never_used_is_purged_after_the_period(alice, upload_file, settings):
    settings.DOCUMENT_RETENTION_DAYS = 1
    document = ingest(upload_file(samples.png(), "scan.png"), uploaded_by=alice)
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert retention.purge_expired() == 1
    assert not vault.exists(document.storage_name)


def test_a_purged_document_cannot_be_downloaded(finished_document, alice_client):
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        retention.purge_expired()
    assert alice_client.get(finished_document.get_download_url()).status_code == 404


def test_p45_values_of_pending_orders_profiles_and_addresses_still_in_use_are_kept(
    sub_order, alice, settings
):
    from compliance.models import ComplianceProfile, RequirementDraft, SavedAddress, Submission
    from orders.models import NumberOrder, SubNumberOrder

    settings.DOCUMENT_RETENTION_DAYS = 30
    shared = SavedAddress.objects.create(label="Shared", fields={"locality": "Berlin"})
    profile = ComplianceProfile.objects.create(name="Jane Doe", values={"r": "x"})
    own = SavedAddress.objects.create(label="Profile's", fields={}, profile=profile)
    unused = SavedAddress.objects.create(label="Unused", fields={"locality": "Bonn"})
    address_value = {"type": "address", "address": str(shared.public_id)}
    pending = Submission.objects.create(
        sub_order=sub_order, values={"r1": address_value}, patch_payload=[{"a": 1}]
    )
    RequirementDraft.objects.create(sub_order=sub_order, values={"x": "Jane"})
    finished_sub = SubNumberOrder.objects.create(
        telnyx_id="sub-finished",
        number_order=NumberOrder.objects.create(customer_reference="ref-finished"),
        status="cancelled",
        telnyx_updated_at=timezone.now(),
    )
    finished = Submission.objects.create(sub_order=finished_sub, values={"r1": address_value})

    with time_machine.travel(timezone.now() + timedelta(days=29)):
        assert retention.purge_expired() == 0
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        assert retention.purge_expired() == 2  # the finished submission and the unused address

    finished.refresh_from_db()
    assert finished.values == {} and finished.purged_at is not None
    pending.refresh_from_db()
    assert pending.values == {"r1": address_value} and pending.purged_at is None
    assert pending.patch_payload == [{"a": 1}]
    assert RequirementDraft.objects.count() == 1
    assert set(SavedAddress.objects.all()) == {shared, own}
    assert not SavedAddress.objects.filter(pk=unused.pk).exists()
    assert ComplianceProfile.objects.get().values == {"r": "x"}
