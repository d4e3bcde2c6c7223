"""Managers in Django admin: submissions with their diff and approve/reject; the policy switch."""

from __future__ import annotations

import pytest
from django.urls import reverse

from compliance import submission as submissions
from compliance.models import AuditEntry, Submission, SubmissionPolicy

pytestmark = pytest.mark.django_db

TEXT = "00000000-0000-0000-0000-000000000003"


def _submission(sub_order, user, value, previous=None, status=Submission.Status.SUBMITTED):
    values = {TEXT: {"type": "textual", "value": value}}
    return Submission.objects.create(
        sub_order=sub_order,
        submitted_by=user,
        values=values,
        previous=previous,
        diff=submissions.compute_diff(values, previous.values if previous else None),
        status=status,
    )


def test_the_submission_page_shows_the_diff_with_old_and_new_values(sub_order, alice, maria_client):
    first = _submission(sub_order, alice, "Acme GmbH")
    second = _submission(
        sub_order, alice, "Acme Widgets GmbH", first, Submission.Status.AWAITING_APPROVAL
    )
    response = maria_client.get(reverse("admin:compliance_submission_change", args=[second.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "changed" in body
    assert "Acme GmbH" in body and "Acme Widgets GmbH" in body
    assert reverse("admin:compliance_submission_decide", args=[second.pk, "approve"]) in body


def test_p15_a_manager_cannot_approve_her_own_submission(sub_order, maria, maria_client):
    mine = _submission(sub_order, maria, "Acme", status=Submission.Status.AWAITING_APPROVAL)
    url = reverse("admin:compliance_submission_decide", args=[mine.pk, "approve"])
    response = maria_client.post(url, {"reason": "ok"}, follow=True)
    assert "cannot approve your own submission" in response.content.decode()
    mine.refresh_from_db()
    assert mine.status == Submission.Status.AWAITING_APPROVAL


def test_p35_staff_cannot_reach_the_approval_view(sub_order, alice, alice_client):
    waiting = _submission(sub_order, alice, "Acme", status=Submission.Status.AWAITING_APPROVAL)
    url = reverse("admin:compliance_submission_decide", args=[waiting.pk, "approve"])
    response = alice_client.post(url, {"reason": "ok"})
    assert response.status_code in (302, 403)
    waiting.refresh_from_db()
    assert waiting.status == Submission.Status.AWAITING_APPROVAL


def test_a_decision_needs_a_reason(sub_order, alice, maria_client):
    waiting = _submission(sub_order, alice, "Acme", status=Submission.Status.AWAITING_APPROVAL)
    url = reverse("admin:compliance_submission_decide", args=[waiting.pk, "reject"])
    response = maria_client.post(url, {"reason": ""})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.status == Submission.Status.AWAITING_APPROVAL


def test_four_eyes_is_on_by_default_and_switching_it_is_audited(maria_client):
    assert SubmissionPolicy.current().four_eyes_required is True
    url = reverse("admin:compliance_submissionpolicy_change", args=[1])
    response = maria_client.post(url, {})  # unticked checkbox = off
    assert response.status_code == 302
    assert SubmissionPolicy.current().four_eyes_required is False
    entry = AuditEntry.objects.get(action="submission_policy.changed")
    assert entry.actor_label == "maria"
    assert entry.details == {"four_eyes_required": False}
