"""Managers in Django admin: submissions with their diff and approve/reject; the policy switch."""

from __future__ import annotations

import pytest
from django.urls import reverse

from compliance import submission as submissions
from compliance.models import AuditEntry, Submission, SubmissionPolicy
from compliance.policy import PolicyRefused, change_four_eyes
from portal.roles import MANAGERS
from tests.fixtures.people import make_person, signed_in_client

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


def test_p15_one_manager_alone_cannot_switch_four_eyes_off(maria, maria_client, alice):
    assert SubmissionPolicy.current().four_eyes_required is True
    url = reverse("admin:compliance_submissionpolicy_change", args=[1])
    response = maria_client.post(url, {})  # unticked checkbox = off
    assert response.status_code == 302
    policy = SubmissionPolicy.current()
    assert policy.four_eyes_required is True and policy.off_requested_by == maria
    assert AuditEntry.objects.get(action="submission_policy.off_requested").actor_label == "maria"
    # Asking again does not confirm one's own request.
    maria_client.post(url, {})
    assert SubmissionPolicy.current().four_eyes_required is True
    # A submission made now still waits for a manager.
    with pytest.raises(PolicyRefused):
        change_four_eyes(alice, False)

    second = make_person("mona", MANAGERS, is_staff=True)
    assert signed_in_client(second).post(url, {}).status_code == 302
    assert SubmissionPolicy.current().four_eyes_required is False
    entry = AuditEntry.objects.get(action="submission_policy.changed")
    assert entry.actor_label == "mona"
    assert entry.details == {"four_eyes_required": False, "requested_by": "maria"}


def test_turning_four_eyes_back_on_takes_one_manager_and_is_audited(maria, maria_client):
    SubmissionPolicy.objects.update_or_create(pk=1, defaults={"four_eyes_required": False})
    url = reverse("admin:compliance_submissionpolicy_change", args=[1])
    assert maria_client.post(url, {"four_eyes_required": "on"}).status_code == 302
    assert SubmissionPolicy.current().four_eyes_required is True
    entry = AuditEntry.objects.get(action="submission_policy.changed")
    assert entry.details == {"four_eyes_required": True}
