"""Compliance profiles: prefill forms, become requirement groups at the sandbox."""

from __future__ import annotations

import pytest
from django.urls import reverse

from compliance import catalogue, profiles
from compliance.models import ComplianceProfile, RequirementGroupLink, Submission, SubmissionPolicy
from tests.compliance.conftest import place_sandbox_order
from tests.compliance.helpers import form_data, submit, upload

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


@pytest.fixture
def submitted(
    sandbox, de_sub_order, alice_client, eager_celery, django_capture_on_commit_callbacks
):
    SubmissionPolicy.objects.update_or_create(pk=1, defaults={"four_eyes_required": False})
    document_id = upload(alice_client, de_sub_order)
    with django_capture_on_commit_callbacks(execute=True):
        submit(alice_client, de_sub_order, form_data(de_sub_order, document_id))
    return Submission.objects.get()


def test_a_profile_saved_from_a_submission_prefills_another_sub_order(
    sandbox, submitted, alice, maria_client, alice_client
):
    page_url = reverse("compliance:sub-order", args=[submitted.sub_order.public_id])
    assert "Save as profile" in maria_client.get(page_url).content.decode()
    assert "Save as profile" not in alice_client.get(page_url).content.decode()
    response = maria_client.post(
        reverse("compliance:profiles"),
        {"name": "Acme Widgets GmbH", "kind": "business", "submission": submitted.public_id},
    )
    assert response.status_code == 302
    profile = ComplianceProfile.objects.get()
    assert profile.values == submitted.values

    other = place_sandbox_order(sandbox, alice).sub_orders.get()
    url = reverse("compliance:requirement-form", args=[other.public_id])
    page = alice_client.get(f"{url}?profile={profile.public_id}").content.decode()
    assert "Pre-filled from profile Acme Widgets GmbH" in page
    assert 'value="Acme Widgets GmbH"' in page
    # The prefilled values (document included) are accepted on the other sub order, which
    # asks for the same requirement ids (same country and type).
    from compliance.forms import data_from_values
    from compliance.models import Document

    assert Document.objects.get().profile == profile
    data = {**data_from_values(profile.values), "action": "submit"}
    response = alice_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[-2000:]


def test_p35_staff_cannot_create_profiles(submitted, alice_client):
    response = alice_client.post(
        reverse("compliance:profiles"),
        {"name": "X", "kind": "business", "submission": submitted.public_id},
    )
    assert response.status_code == 404
    assert ComplianceProfile.objects.count() == 0


def test_a_profile_becomes_a_requirement_group_attached_to_a_pending_sub_order(
    sandbox, submitted, alice, maria, maria_client, django_capture_on_commit_callbacks
):
    profile = profiles.profile_from_submission("Acme", "business", submitted.values, maria)
    other = place_sandbox_order(sandbox, alice).sub_orders.get()
    with django_capture_on_commit_callbacks(execute=True):  # the worker builds it (eager here)
        response = maria_client.post(
            reverse("compliance:profile-group", args=[profile.public_id]),
            {"sub_order": str(other.public_id), "attach": "1"},
        )
    assert response.status_code == 302
    link = RequirementGroupLink.objects.get()
    assert link.telnyx_id
    assert link.country_code == "DE"
    assert link.status
    assert link.attached_to == [str(other.public_id)]
    assert len(sandbox.requests(path="/v2/requirement_groups", method="POST")) == 1
    assert (
        len(
            sandbox.requests(
                path=f"/v2/sub_number_orders/{other.telnyx_id}/requirement_group", method="POST"
            )
        )
        == 1
    )
    page = maria_client.get(reverse("compliance:profile", args=[profile.public_id]))
    assert link.status in page.content.decode()
    assert profiles.sync_groups() == 1


def test_a_built_group_waiting_for_submission_tells_the_other_managers(
    sandbox, submitted, alice, maria, maria_client, django_capture_on_commit_callbacks
):
    from notifications.models import Notification
    from portal.roles import MANAGERS
    from tests.fixtures.people import make_person

    mark = make_person("mark", MANAGERS, is_staff=True)
    profile = profiles.profile_from_submission("Acme", "business", submitted.values, maria)
    with django_capture_on_commit_callbacks(execute=True):
        maria_client.post(
            reverse("compliance:profile-group", args=[profile.public_id]),
            {"sub_order": str(submitted.sub_order.public_id)},
        )
    link = RequirementGroupLink.objects.get()
    assert link.status in ("", "unapproved")
    (notice,) = Notification.objects.filter(event="approval")
    assert notice.recipient == mark  # maria built it; alice is staff
    assert notice.url == link.get_absolute_url()
    assert "Acme" not in notice.title  # a profile's name may be a person's


def test_the_catalogue_is_cached_from_telnyx(sandbox, db):
    assert catalogue.refresh() > 0
    from compliance.models import RequirementType

    name = RequirementType.objects.get(name="End user name")
    assert name.field_type == "textual"
    assert name.acceptance_criteria["min_length"] == 2
    assert {
        "country_code": "DE",
        "phone_number_type": "local",
        "action": "ordering",
    } in name.applies_to or name.applies_to


def test_a_group_can_be_attached_to_one_number_only(
    sandbox, submitted, alice, maria, maria_client, django_capture_on_commit_callbacks
):
    profile = profiles.profile_from_submission("Acme", "business", submitted.values, maria)
    other = place_sandbox_order(sandbox, alice, count=2).sub_orders.get()
    number = other.numbers.order_by("phone_number").first()
    with django_capture_on_commit_callbacks(execute=True):
        response = maria_client.post(
            reverse("compliance:profile-group", args=[profile.public_id]),
            {"sub_order": str(other.public_id), "number": str(number.public_id)},
        )
    assert response.status_code == 302
    link = RequirementGroupLink.objects.get()
    assert link.attached_to == [str(number.public_id)]
    path = f"/v2/number_order_phone_numbers/{number.telnyx_id}/requirement_group"
    assert len(sandbox.requests(path=path, method="POST")) == 1
    assert (
        sandbox.requests(
            path=f"/v2/sub_number_orders/{other.telnyx_id}/requirement_group", method="POST"
        )
        == []
    )


def test_a_group_submission_goes_through_the_worker_and_a_retried_build_creates_nothing_twice(
    sandbox, submitted, alice, maria, maria_client, django_capture_on_commit_callbacks
):
    from compliance.tasks import build_requirement_group

    profile = profiles.profile_from_submission("Acme", "business", submitted.values, maria)
    other = place_sandbox_order(sandbox, alice).sub_orders.get()
    ids = [r["requirement_id"] for r in other.regulatory_requirements]
    link = profiles.create_group(profile, "DE", "local", ids, maria, sub_order=other)
    page = maria_client.get(reverse("compliance:profile", args=[profile.public_id]))
    assert 'data-pending-job="build"' in page.content.decode()
    sandbox.clear_requests()
    build_requirement_group.apply(args=[link.pk])
    # A duplicate delivery of the same job after it finished changes nothing.
    RequirementGroupLink.objects.filter(pk=link.pk).update(pending_job="build")
    build_requirement_group.apply(args=[link.pk])
    link.refresh_from_db()
    assert link.telnyx_id and link.pending_job == "" and not link.error
    assert len(sandbox.requests(path="/v2/requirement_groups", method="POST")) == 1
    assert len(sandbox.requests(path="/v2/documents", method="POST")) == 1
    assert len(sandbox.requests(path="/v2/addresses", method="POST")) == 1

    RequirementGroupLink.objects.filter(pk=link.pk).update(status="unapproved")
    with django_capture_on_commit_callbacks(execute=True):
        response = maria_client.post(reverse("compliance:group-submit", args=[link.public_id]))
    assert response.status_code == 302
    path = f"/v2/requirement_groups/{link.telnyx_id}/submit_for_approval"
    assert len(sandbox.requests(path=path, method="POST")) == 1
    link.refresh_from_db()
    assert link.pending_job == "" and not link.error
