"""The sub order compliance page: statuses, declined values with the admin's reasons, the new
deadline, "Correct and resubmit" and the single-number fix (against the sandbox)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from compliance.models import Submission, SubmissionPolicy
from orders.sync import refresh_sub_order
from tests.compliance.conftest import place_sandbox_order
from tests.compliance.helpers import form_data, requirement_ids, submit, upload

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


@pytest.fixture(autouse=True)
def no_four_eyes(db):
    SubmissionPolicy.objects.update_or_create(pk=1, defaults={"four_eyes_required": False})


def _submit_now(client, sub_order, data, capture, number=None):
    with capture(execute=True):
        response = submit(client, sub_order, data, number=number)
    assert response.status_code == 302, response.content.decode()[:2000]
    submission = Submission.objects.latest("created_at")
    assert submission.status == Submission.Status.SUBMITTED, submission.error
    return submission


def test_a_declined_value_is_highlighted_with_the_admin_comment_and_can_be_corrected(
    sandbox, de_sub_order, alice_client, eager_celery, django_capture_on_commit_callbacks
):
    document_id = upload(alice_client, de_sub_order)
    rejected = form_data(de_sub_order, document_id, name="REJECT Widgets GmbH")
    _submit_now(alice_client, de_sub_order, rejected, django_capture_on_commit_callbacks)
    page_url = reverse("compliance:sub-order", args=[de_sub_order.public_id])
    body = alice_client.get(page_url).content.decode()
    assert "Under review" in body

    sandbox.advance(5)
    refresh_sub_order(de_sub_order)
    number = de_sub_order.numbers.get()
    assert number.requirements_status == "requirement-info-exception"
    response = alice_client.get(page_url)
    body = response.content.decode()
    assert 'data-status="declined"' in body
    assert "Declined" in body
    assert 'id="rejection-reasons"' in body
    admin_comment = de_sub_order.comments.filter(commenter_type="admin").first()
    assert admin_comment is not None
    assert admin_comment.body.splitlines()[0][:30] in body
    assert "data-new-deadline" in body
    assert "Correct and resubmit" in body
    assert response["Cache-Control"].count("no-store") == 1
    assert 'hx-history="false"' in body

    form_url = reverse("compliance:requirement-form", args=[de_sub_order.public_id])
    form_page = alice_client.get(form_url + "?correct=1").content.decode()
    ids = requirement_ids(de_sub_order)
    assert 'value="REJECT Widgets GmbH"' in form_page  # pre-filled with the previous values
    assert form_page.count("data-declined") == 1  # only the declined requirement is marked

    corrected = form_data(de_sub_order, document_id, name="Acme Widgets GmbH")
    second = _submit_now(alice_client, de_sub_order, corrected, django_capture_on_commit_callbacks)
    changes = {d["requirement_id"]: d["change"] for d in second.diff}
    assert changes[ids["textual"]] == "changed"
    assert changes[ids["document"]] == "unchanged"
    # The unchanged document is not uploaded again.
    assert len(sandbox.requests(path="/v2/documents", method="POST")) == 1

    sandbox.advance(5)
    refresh_sub_order(de_sub_order)
    de_sub_order.refresh_from_db()
    assert de_sub_order.numbers.get().requirements_status == "approved"
    assert de_sub_order.status == "success"


def test_a_single_number_is_fixed_alone(
    sandbox, alice, alice_client, eager_celery, django_capture_on_commit_callbacks
):
    sub_order = place_sandbox_order(sandbox, alice, count=2).sub_orders.get()
    first, second = sub_order.numbers.order_by("phone_number")
    document_id = upload(alice_client, sub_order)
    _submit_now(
        alice_client,
        sub_order,
        form_data(sub_order, document_id),
        django_capture_on_commit_callbacks,
    )
    # Number Ops declines one number only (forced in the sandbox while under review).
    ids = requirement_ids(sub_order)
    sandbox.force_number(
        second.telnyx_id,
        requirements_status="requirement-info-exception",
        requirement_statuses={ids["textual"]: "declined"},
    )
    refresh_sub_order(sub_order)
    second.refresh_from_db()
    body = alice_client.get(
        reverse("compliance:sub-order", args=[sub_order.public_id])
    ).content.decode()
    assert "Fix this number only" in body

    sandbox.clear_requests()
    data = form_data(sub_order, document_id, name="Acme Widgets Berlin GmbH")
    submission = _submit_now(
        alice_client, sub_order, data, django_capture_on_commit_callbacks, number=second
    )
    assert submission.number == second
    number_patches = sandbox.requests(
        path=f"/v2/number_order_phone_numbers/{second.telnyx_id}", method="PATCH"
    )
    assert len(number_patches) == 1
    assert "Acme Widgets Berlin GmbH" in number_patches[0]["body"]
    assert (
        sandbox.requests(path=f"/v2/sub_number_orders/{sub_order.telnyx_id}", method="PATCH") == []
    )
    assert (
        sandbox.requests(path=f"/v2/number_order_phone_numbers/{first.telnyx_id}", method="PATCH")
        == []
    )


def test_p34_outsiders_get_404_on_compliance_pages(sandbox, de_sub_order, olga_client, client):
    urls = [
        reverse("compliance:sub-order", args=[de_sub_order.public_id]),
        reverse("compliance:requirement-form", args=[de_sub_order.public_id]),
        reverse("compliance:comments", args=[de_sub_order.public_id]),
    ]
    for url in urls:
        assert olga_client.get(url).status_code == 404
        assert client.get(url).status_code == 302


def test_submission_status_polls_while_in_progress_and_stops_when_done(
    sandbox, de_sub_order, alice, alice_client
):
    from compliance import submission as submissions_module

    SubmissionPolicy.objects.update_or_create(pk=1, defaults={"four_eyes_required": True})
    submission = submissions_module.create_submission(
        de_sub_order, {"x": {"type": "textual", "value": "v"}}, alice
    )
    url = reverse("compliance:sub-order", args=[de_sub_order.public_id])
    page = alice_client.get(url).content.decode()
    assert 'hx-trigger="every 3s"' in page
    fragment = alice_client.get(url + "?part=submissions", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.content.decode()
    Submission.objects.filter(pk=submission.pk).update(status=Submission.Status.SUBMITTED)
    done = alice_client.get(url + "?part=submissions", headers={"HX-Request": "true"})
    assert done.status_code == 286
    assert "Submitted to Telnyx" in done.content.decode()
    assert 'hx-trigger="every 3s"' not in done.content.decode()


def test_the_page_lists_the_sub_orders_documents_with_download_links(
    sandbox, de_sub_order, alice_client
):
    from compliance.models import Document

    upload(alice_client, de_sub_order)
    document = Document.objects.get()
    page = alice_client.get(reverse("compliance:sub-order", args=[de_sub_order.public_id]))
    assert document.get_download_url() in page.content.decode()
