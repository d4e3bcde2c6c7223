"""P43: every change made in the admin, to our models and third-party ones alike, is written to
the portal's append-only audit trail (field names, never values)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from compliance.models import AuditEntry, ComplianceProfile, SubmissionPolicy
from tests.fixtures.people import make_person, signed_in_client

pytestmark = pytest.mark.django_db


def test_p43_a_managers_change_in_admin_is_audited_with_the_field_names(maria, maria_client):
    SubmissionPolicy.current()
    url = reverse("admin:compliance_submissionpolicy_change", args=[1])
    assert maria_client.post(url, {}).status_code == 302
    entry = AuditEntry.objects.get(action="admin.changed")
    assert entry.actor_label == "maria"
    assert entry.target_type == "compliance.SubmissionPolicy" and entry.target_id == "1"
    assert entry.details == {
        "model": "compliance.SubmissionPolicy",
        "fields": ["Four eyes required"],
    }
    assert entry.path == url and entry.method == "POST"


def test_p43_an_added_profile_is_audited_without_its_personal_name(maria, maria_client):
    url = reverse("admin:compliance_complianceprofile_add")
    response = maria_client.post(url, {"name": "Jane Canarydoe", "kind": "person"})
    assert response.status_code == 302, response.content[:800]
    profile = ComplianceProfile.objects.get()
    entry = AuditEntry.objects.get(action="admin.added")
    assert entry.target_id == str(profile.public_id)
    assert entry.details["model"] == "compliance.ComplianceProfile"
    assert "Canarydoe" not in f"{entry.target_label} {entry.details}"


def test_p43_a_bulk_action_on_a_third_party_model_is_audited(maria, maria_client):
    task = PeriodicTask.objects.filter(enabled=True).first()
    assert task is not None, "the beat entries of orders/migrations/0002 are missing"
    changelist = reverse("admin:django_celery_beat_periodictask_changelist")
    response = maria_client.post(
        changelist, {"action": "disable_tasks", "_selected_action": [task.pk]}
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.enabled is False
    entry = AuditEntry.objects.get(action="admin.action")
    assert entry.details == {
        "model": "django_celery_beat.PeriodicTask",
        "admin_action": "disable_tasks",
        "selected": 1,
    }


def test_p43_a_deletion_in_admin_is_audited_and_the_entry_outlives_the_row():
    root = make_person("root", is_staff=True)
    root.is_superuser = True
    root.save()
    client = signed_in_client(root)
    profile = ComplianceProfile.objects.create(name="Jane Canarydoe")
    url = reverse("admin:compliance_complianceprofile_delete", args=[profile.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not ComplianceProfile.objects.exists()
    entry = AuditEntry.objects.get(action="admin.deleted")
    assert entry.actor_label == "root" and entry.target_id == str(profile.public_id)
