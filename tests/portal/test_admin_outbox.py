"""The outbox in the admin: managers see what waits for Telnyx and what keeps failing (P49)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.models import OutboxMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def stuck() -> OutboxMessage:
    return OutboxMessage.objects.create(
        kind="submission",
        object_id=4242,
        tasks=["compliance.tasks.patch_submission_requirements"],
        attempts=3,
        crashes=2,
        last_error="the worker died during the PATCH",
    )


def test_p49_a_manager_sees_the_waiting_jobs_with_their_crashes(maria_client, stuck):
    page = maria_client.get(reverse("admin:portal_outboxmessage_changelist") + "?state=pending")
    assert page.status_code == 200
    text = page.content.decode()
    assert "4242" in text and "Waiting for a worker" in text
    detail = maria_client.get(reverse("admin:portal_outboxmessage_change", args=[stuck.pk]))
    assert "the worker died during the PATCH" in detail.content.decode()


def test_p35_outbox_rows_cannot_be_made_changed_or_deleted_in_admin(maria_client, stuck):
    assert maria_client.get(reverse("admin:portal_outboxmessage_add")).status_code == 403
    change = reverse("admin:portal_outboxmessage_change", args=[stuck.pk])
    maria_client.post(change, {"state": "done", "attempts": 0})
    stuck.refresh_from_db()
    assert stuck.state == OutboxMessage.State.PENDING and stuck.attempts == 3
    delete = reverse("admin:portal_outboxmessage_delete", args=[stuck.pk])
    assert maria_client.post(delete, {"post": "yes"}).status_code == 403
    assert OutboxMessage.objects.filter(pk=stuck.pk).exists()


def test_staff_do_not_see_the_outbox(alice_client, stuck):
    page = alice_client.get(reverse("admin:portal_outboxmessage_changelist"))
    assert page.status_code in (302, 403)
