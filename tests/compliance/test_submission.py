"""Submissions: four-eyes approval, the chain to the sandbox, idempotency, errors and retry."""

from __future__ import annotations

import pytest
from django.urls import reverse

from compliance import submission as submissions
from compliance.models import AuditEntry, Submission, SubmissionItem, SubmissionPolicy
from compliance.tasks import submission_chain
from tests.compliance.helpers import form_data, requirement_ids, submit, upload

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


def _patches(sandbox, sub_order):
    return sandbox.requests(path=f"/v2/sub_number_orders/{sub_order.telnyx_id}", method="PATCH")


def _decide(client, submission, decision: str, reason: str = "Checked against the contract"):
    url = reverse("admin:compliance_submission_decide", args=[submission.pk, decision])
    return client.post(url, {"reason": reason})


def test_p15_a_submission_waits_for_a_manager_and_staff_cannot_approve(
    sandbox,
    de_sub_order,
    alice,
    alice_client,
    maria_client,
    eager_celery,
    django_capture_on_commit_callbacks,
):
    document_id = upload(alice_client, de_sub_order)
    response = submit(alice_client, de_sub_order, form_data(de_sub_order, document_id))
    assert response.status_code == 302
    submission = Submission.objects.get()
    assert submission.status == Submission.Status.AWAITING_APPROVAL
    assert submission.submitted_by == alice
    assert [d["change"] for d in submission.diff] == ["added", "added", "added"]
    assert _patches(sandbox, de_sub_order) == []

    # Staff: neither the admin nor the domain function lets alice approve.
    assert _decide(alice_client, submission, "approve").status_code in (302, 403)
    with pytest.raises(submissions.SubmissionError):
        submissions.approve(submission, alice, "self-approval")
    submission.refresh_from_db()
    assert submission.status == Submission.Status.AWAITING_APPROVAL

    with django_capture_on_commit_callbacks(execute=True):
        response = _decide(maria_client, submission, "approve")
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.status == Submission.Status.SUBMITTED, submission.error
    assert submission.decision_reason == "Checked against the contract"
    assert len(_patches(sandbox, de_sub_order)) == 1
    assert len(sandbox.requests(path="/v2/documents", method="POST")) == 1
    assert len(sandbox.requests(path="/v2/addresses", method="POST")) == 1
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"submission.created", "submission.approved", "telnyx.requirements_patched"} <= actions


def test_a_manager_rejection_records_the_reason_and_sends_nothing(
    sandbox, de_sub_order, alice, alice_client, maria_client
):
    document_id = upload(alice_client, de_sub_order)
    submit(alice_client, de_sub_order, form_data(de_sub_order, document_id))
    submission = Submission.objects.get()
    assert _decide(maria_client, submission, "reject", "Wrong entity").status_code == 302
    submission.refresh_from_db()
    assert submission.status == Submission.Status.REJECTED
    assert submission.decision_reason == "Wrong entity"
    assert _patches(sandbox, de_sub_order) == []
    page = alice_client.get(reverse("compliance:sub-order", args=[de_sub_order.public_id]))
    assert "Wrong entity" in page.content.decode()


def test_p16_running_the_chain_three_times_sends_the_same_state_once(
    sandbox, de_sub_order, alice, alice_client, eager_celery, django_capture_on_commit_callbacks
):
    SubmissionPolicy.objects.update_or_create(pk=1, defaults={"four_eyes_required": False})
    document_id = upload(alice_client, de_sub_order)
    with django_capture_on_commit_callbacks(execute=True):
        submit(alice_client, de_sub_order, form_data(de_sub_order, document_id))
    submission = Submission.objects.get()
    assert submission.status == Submission.Status.SUBMITTED
    # A redelivered chain finds the submission already sent and does nothing.
    submission_chain(submission.pk).apply()
    submission_chain(submission.pk).apply()
    # Even forced back to "submitting" (a crash after the PATCH), it re-sends identical bytes
    # and creates no second document or address.
    Submission.objects.filter(pk=submission.pk).update(status=Submission.Status.SUBMITTING)
    submission_chain(submission.pk).apply()
    patches = _patches(sandbox, de_sub_order)
    assert len(patches) == 2
    assert patches[0]["body"] == patches[1]["body"]
    assert len(sandbox.requests(path="/v2/documents", method="POST")) == 1
    assert len(sandbox.requests(path="/v2/addresses", method="POST")) == 1
    assert Submission.objects.count() == 1
    assert SubmissionItem.objects.count() == 2


def test_a_permanent_telnyx_error_is_shown_exactly_and_can_be_retried(
    sandbox, de_sub_order, alice, alice_client, eager_celery, django_capture_on_commit_callbacks
):
    SubmissionPolicy.objects.update_or_create(pk=1, defaults={"four_eyes_required": False})
    sandbox.script(
        method="PATCH",
        path=f"/v2/sub_number_orders/{de_sub_order.telnyx_id}",
        action="status",
        status=422,
        body={
            "errors": [
                {
                    "code": "10015",
                    "title": "Invalid requirement value",
                    "detail": "The value for End user name is not acceptable.",
                }
            ]
        },
        times=1,
    )
    document_id = upload(alice_client, de_sub_order)
    with django_capture_on_commit_callbacks(execute=True):
        submit(alice_client, de_sub_order, form_data(de_sub_order, document_id))
    submission = Submission.objects.get()
    assert submission.status == Submission.Status.FAILED
    assert "The value for End user name is not acceptable." in submission.error
    assert submission.error_codes == ["10015"]
    page = alice_client.get(reverse("compliance:sub-order", args=[de_sub_order.public_id]))
    assert "The value for End user name is not acceptable." in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(
            reverse("compliance:submission-retry", args=[submission.public_id])
        )
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.status == Submission.Status.SUBMITTED
    assert len(sandbox.requests(path="/v2/documents", method="POST")) == 1


def test_a_second_submission_is_refused_while_one_is_waiting(sandbox, de_sub_order, alice_client):
    document_id = upload(alice_client, de_sub_order)
    submit(alice_client, de_sub_order, form_data(de_sub_order, document_id))
    response = submit(alice_client, de_sub_order, form_data(de_sub_order, document_id))
    assert response.status_code == 400
    assert "already waiting or in progress" in response.content.decode()
    assert Submission.objects.count() == 1


def test_invalid_values_never_reach_telnyx(sandbox, de_sub_order, alice_client):
    document_id = upload(alice_client, de_sub_order)
    data = form_data(de_sub_order, document_id, name="A")  # End user name: 2 to 100 characters
    response = submit(alice_client, de_sub_order, data)
    assert response.status_code == 400
    assert "at least 2 characters" in response.content.decode()
    assert Submission.objects.count() == 0
    assert _patches(sandbox, de_sub_order) == []


def test_a_draft_saves_without_submitting_and_comes_back(sandbox, de_sub_order, alice_client):
    ids = requirement_ids(de_sub_order)
    url = reverse("compliance:requirement-form", args=[de_sub_order.public_id])
    from compliance.forms import prefix_for

    response = alice_client.post(url, {prefix_for(ids["textual"]): "Acme Draft", "action": "draft"})
    assert response.status_code == 302
    assert Submission.objects.count() == 0
    page = alice_client.get(url)
    assert 'value="Acme Draft"' in page.content.decode()
    assert page["Cache-Control"].count("no-store") == 1
    assert 'hx-history="false"' in page.content.decode()


def test_inline_validation_answers_with_the_field_fragment(sandbox, de_sub_order, alice_client):
    ids = requirement_ids(de_sub_order)
    from compliance.forms import prefix_for

    name = prefix_for(ids["textual"])
    url = reverse("compliance:requirement-form", args=[de_sub_order.public_id])
    response = alice_client.post(
        url,
        {name: "A", "action": "validate", "field": name},
        headers={"HX-Request": "true", "HX-Trigger-Name": name},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "at least 2 characters" in body
    assert "<html" not in body
    assert f'id="section-{name}"' in body


def test_a_sub_order_that_is_no_longer_pending_takes_no_submission(
    sandbox, de_sub_order, alice_client
):
    document_id = upload(alice_client, de_sub_order)
    type(de_sub_order).objects.filter(pk=de_sub_order.pk).update(status="cancelled")
    response = submit(alice_client, de_sub_order, form_data(de_sub_order, document_id))
    assert response.status_code == 400
    assert "This sub order is cancelled" in response.content.decode()
    assert Submission.objects.count() == 0


def test_p16_a_duplicate_delivery_waits_while_another_worker_holds_the_submission(
    sandbox, de_sub_order, alice, alice_client
):
    from celery.exceptions import Retry

    from compliance.tasks import step_lock, upload_submission_documents
    from portal.locks import advisory_lock

    SubmissionPolicy.objects.update_or_create(pk=1, defaults={"four_eyes_required": False})
    document_id = upload(alice_client, de_sub_order)
    submit(alice_client, de_sub_order, form_data(de_sub_order, document_id))
    submission = Submission.objects.get()
    assert submission.status == Submission.Status.QUEUED  # on_commit not run in this test
    # Another "worker" (a second database session) holds the submission's lock.
    import threading

    from django.db import connection

    held, release = threading.Event(), threading.Event()

    def other_worker():
        with advisory_lock("compliance.submission", submission.pk):
            held.set()
            release.wait(10)
        connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    held.wait(10)
    try:
        with pytest.raises(Retry):
            upload_submission_documents.apply(args=[submission.pk], throw=True)
        assert sandbox.requests(path="/v2/documents", method="POST") == []
    finally:
        release.set()
        thread.join()
    with step_lock(submission.pk) as acquired:
        assert acquired


def test_a_failed_submission_tells_the_sub_orders_owner_once_per_failure(sub_order, alice, maria):
    from notifications.models import Notification

    sub_order.assignee = alice
    sub_order.save()
    failing = Submission.objects.create(
        sub_order=sub_order,
        values={},
        status=Submission.Status.SUBMITTING,
        submitted_by=maria,
    )
    submissions.fail(failing.pk, "Telnyx said no")
    submissions.fail(failing.pk, "Telnyx said no")  # a second worker: no second move
    told = Notification.objects.filter(event="submission_failed")
    assert [n.recipient.username for n in told] == ["alice"]
    submissions.retry(failing, alice)
    Submission.objects.filter(pk=failing.pk).update(status=Submission.Status.SUBMITTING)
    submissions.fail(failing.pk, "Telnyx said no again")
    assert told.all().count() == 2


def test_a_submission_waiting_for_approval_tells_the_managers_not_the_submitter(
    sub_order, alice, maria
):
    from notifications.models import Notification

    waiting = submissions.create_submission(sub_order, {"x": {"type": "textual"}}, alice)
    assert waiting.status == Submission.Status.AWAITING_APPROVAL
    (notice,) = Notification.objects.filter(event="approval")
    assert notice.recipient == maria
    assert notice.url == reverse("admin:compliance_submission_change", args=[waiting.pk])
