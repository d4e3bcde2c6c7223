"""Requirement groups before ordering: built from the catalogue (from scratch or a profile),
four-eyes approved, sent through the outbox, synced from the sandbox over HTTP (status, expiry,
comments), corrected after a decline, flagged when expiring or no longer eligible (issue 11)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from compliance import catalogue, groups
from compliance.forms import prefix_for
from compliance.models import (
    ComplianceProfile,
    Document,
    RequirementGroupComment,
    RequirementGroupLink,
    SubmissionPolicy,
)
from tests.compliance import samples

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

NEW = reverse("compliance:group-new")
LIST = reverse("compliance:groups")


@pytest.fixture
def loaded(sandbox, db):
    """The portal's catalogue cache, loaded from the sandbox like the beat task does."""
    assert catalogue.refresh() > 0


def ids(country: str = "CH", ntype: str = "local") -> dict[str, str]:
    return {r["field_type"]: r["requirement_id"] for r in catalogue.requirements_in(country, ntype)}


def upload(client, name: str = "passport.pdf") -> str:
    """A document uploaded with no sub order (a group is built before any order)."""
    response = client.post(
        reverse("compliance:document-upload"),
        {"file": SimpleUploadedFile(name, samples.pdf(), "application/pdf")},
    )
    assert response.status_code == 201, response.content
    return str(Document.objects.latest("uploaded_at").public_id)


def ch_data(document_id: str, name: str = "Acme AG", **address: str) -> dict[str, str]:
    found = ids()
    a = prefix_for(found["address"])
    fields = {
        "first_name": "Heidi",
        "last_name": "Muster",
        "business_name": "Acme AG",
        "street_address": "Bahnhofstrasse 1",
        "locality": "Zurich",
        "postal_code": "8001",
        "country_code": "CH",
        **address,
    }
    data = {f"{a}__{k}": v for k, v in fields.items()}
    data[prefix_for(found["document"])] = document_id
    data[prefix_for(found["textual"])] = name
    data["scope"] = "CH:local"
    return data


def build(client, data: dict[str, str], action: str = "request"):
    return client.post(NEW, {**data, "action": action})


def send_through(maria_client, link, capture) -> None:
    """Maria approves; the build and submit jobs run (eagerly, after commit)."""
    with capture(execute=True):
        response = maria_client.post(reverse("compliance:group-approve", args=[link.public_id]))
    assert response.status_code == 302
    link.refresh_from_db()


def vet_and_sync(sandbox, link) -> None:
    sandbox.advance(sandbox.configure()["vetting_seconds"] + 1)
    groups.sync()
    link.refresh_from_db()


def test_the_country_and_type_are_picked_from_the_catalogue_and_the_form_is_built_from_it(
    loaded, alice_client
):
    page = alice_client.get(NEW).content.decode()
    assert '<option value="CH:local">Switzerland (CH), local</option>' in page
    assert "Sub order id" not in page
    form = alice_client.get(NEW, {"scope": "CH:local"}).content.decode()
    for label in ("Address matching the DID area code", "Passport or national ID card"):
        assert label in form
    assert "End user name" in form
    # A scope typed by hand that the catalogue does not know is not offered a form.
    assert "requirement-form" not in alice_client.get(NEW, {"scope": "XX:local"}).content.decode()


def test_values_are_validated_by_acceptance_criteria_and_nothing_is_saved_on_error(
    loaded, alice_client
):
    document = upload(alice_client)
    response = build(alice_client, ch_data(document, name="A"))
    assert response.status_code == 400
    assert "Use at least 2 characters (this has 1)." in response.content.decode()
    response = build(alice_client, ch_data(document, country_code="Atlantis"))
    assert response.status_code == 400
    assert not RequirementGroupLink.objects.exists()
    missing = ch_data(document)
    del missing[prefix_for(ids()["document"])]
    response = build(alice_client, missing)
    assert "This requirement needs a value." in response.content.decode()
    assert not RequirementGroupLink.objects.exists()


def test_a_draft_keeps_its_values_encrypted_and_its_document_out_of_retention(loaded, alice_client):
    document = upload(alice_client)
    response = build(alice_client, ch_data(document, name="Grüezi Widgets AG"), action="draft")
    assert response.status_code == 302
    link = RequirementGroupLink.objects.get()
    assert link.stage == "draft" and link.profile is None and not link.telnyx_id
    assert link.values[ids()["textual"]]["value"] == "Grüezi Widgets AG"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT values FROM compliance_requirementgrouplink WHERE id = %s", [link.pk]
        )
        raw = cursor.fetchone()[0]
    assert "Grüezi" not in str(raw)
    assert Document.objects.get(public_id=document).requirement_group == link
    from compliance.retention import expired_documents

    later = timezone.now() + timedelta(days=3650)
    assert not expired_documents(later).filter(public_id=document).exists()
    page = alice_client.get(link.get_absolute_url()).content.decode()
    assert "Draft: not sent to Telnyx" in page
    assert "Grüezi Widgets AG" in page
    # Documents are summarised, never shown.
    assert "Document (application/pdf, uploaded" in page
    assert "passport.pdf" not in page


def test_a_profile_prefills_the_form_and_a_staff_member_builds_a_group_from_it(
    loaded, alice, alice_client
):
    document = upload(alice_client)
    found = ids()
    data = ch_data(document)
    from compliance.forms import RequirementForm

    form = RequirementForm(
        data,
        requirements=catalogue.requirements_in("CH", "local"),
        types=catalogue.cached(found.values()),
        documents=Document.objects.all(),
    )
    assert form.is_valid(), form.errors
    profile = ComplianceProfile.objects.create(
        name="Acme AG", values=form.values(user=alice), created_by=alice
    )
    page = alice_client.get(NEW, {"scope": "CH:local", "profile": str(profile.public_id)})
    text = page.content.decode()
    assert "Pre-filled from profile Acme AG." in text
    assert 'value="Acme AG"' in text
    profile_page = alice_client.get(reverse("compliance:profile", args=[profile.public_id]))
    assert f"{NEW}?profile={profile.public_id}" in profile_page.content.decode()
    response = alice_client.post(
        NEW,
        {
            "scope": "CH:local",
            "profile": str(profile.public_id),
            "action": "draft",
            **{k: v for k, v in data.items() if k != "scope"},
        },
    )
    assert response.status_code == 302
    assert RequirementGroupLink.objects.get().profile == profile


def test_four_eyes_then_the_worker_sends_it_and_the_sync_reads_approved(
    loaded,
    sandbox,
    alice,
    maria,
    alice_client,
    maria_client,
    eager_celery,
    django_capture_on_commit_callbacks,
):
    document = upload(alice_client)
    response = build(alice_client, ch_data(document))
    assert response.status_code == 302
    link = RequirementGroupLink.objects.get()
    assert link.stage == "awaiting_approval" and link.requested_by == alice
    assert sandbox.requests(path="/v2/requirement_groups", method="POST") == []
    # The managers are told (not alice, who asked), with a link to the group's page.
    from notifications.models import Notification

    (notice,) = Notification.objects.filter(event="approval")
    assert notice.recipient == maria and notice.url == link.get_absolute_url()
    # Staff cannot approve; a manager who asked cannot approve their own request.
    approve = reverse("compliance:group-approve", args=[link.public_id])
    assert alice_client.post(approve).status_code == 403
    with pytest.raises(groups.GroupError, match="another manager"):
        groups.approve(
            RequirementGroupLink(pk=link.pk, requested_by=maria, stage=link.stage), maria
        )
    # The manager's work queue lists it, with the action to take.
    home = maria_client.get(reverse("home")).content.decode()
    assert link.get_absolute_url() in home and "Approve" in home
    page = maria_client.get(link.get_absolute_url()).content.decode()
    assert "Awaiting a manager&#x27;s approval" in page
    assert "Approve and send to Telnyx" in page
    send_through(maria_client, link, django_capture_on_commit_callbacks)
    assert link.stage == "sent" and link.decided_by == maria
    assert link.telnyx_id and not link.error, link.error
    assert link.status == "pending-approval"
    assert len(sandbox.requests(path="/v2/requirement_groups", method="POST")) == 1
    path = f"/v2/requirement_groups/{link.telnyx_id}/submit_for_approval"
    assert len(sandbox.requests(path=path, method="POST")) == 1
    assert "Under review at Telnyx" in alice_client.get(link.get_absolute_url()).content.decode()
    vet_and_sync(sandbox, link)
    assert link.status == "approved" and link.expires_at is not None
    page = alice_client.get(link.get_absolute_url()).content.decode()
    assert 'data-group-status="approved"' in page and ">Approved<" in page


def test_a_manager_cannot_approve_a_group_they_sent_and_may_return_it(loaded, maria, maria_client):
    document = upload(maria_client)
    assert build(maria_client, ch_data(document)).status_code == 302
    link = RequirementGroupLink.objects.get()
    page = maria_client.get(link.get_absolute_url()).content.decode()
    assert "Approve and send to Telnyx" not in page
    assert "Waiting for another manager" in page
    maria_client.post(reverse("compliance:group-approve", args=[link.public_id]))
    link.refresh_from_db()
    assert link.stage == "awaiting_approval" and link.pending_job == ""


def test_without_four_eyes_the_group_goes_straight_to_telnyx(
    loaded, sandbox, alice_client, eager_celery, django_capture_on_commit_callbacks
):
    SubmissionPolicy.objects.update_or_create(pk=1, defaults={"four_eyes_required": False})
    document = upload(alice_client)
    with django_capture_on_commit_callbacks(execute=True):
        assert build(alice_client, ch_data(document)).status_code == 302
    link = RequirementGroupLink.objects.get()
    assert link.stage == "sent" and link.status == "pending-approval", link.error


def test_a_declined_group_shows_telnyx_comments_and_is_corrected_and_resubmitted(
    loaded,
    sandbox,
    alice_client,
    maria_client,
    eager_celery,
    django_capture_on_commit_callbacks,
):
    document = upload(alice_client)
    build(alice_client, ch_data(document, name="REJECT Widgets"))
    link = RequirementGroupLink.objects.get()
    send_through(maria_client, link, django_capture_on_commit_callbacks)
    vet_and_sync(sandbox, link)
    assert link.status == "declined"
    comment = RequirementGroupComment.objects.get(group=link)
    assert comment.commenter_type == "admin" and "End user name" in comment.body
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT body FROM compliance_requirementgroupcomment WHERE id = %s", [comment.pk]
        )
        assert "End user name" not in str(cursor.fetchone()[0])
    page = alice_client.get(link.get_absolute_url()).content.decode()
    assert "Declined by Telnyx: correct the values and send it again" in page
    assert "Requirement group declined" in page
    assert "Telnyx commented" in page
    # A second sync stores nothing twice.
    groups.sync()
    assert RequirementGroupComment.objects.filter(group=link).count() == 1

    edit = reverse("compliance:group-edit", args=[link.public_id])
    form = alice_client.get(edit).content.decode()
    assert 'value="REJECT Widgets"' in form
    data = {k: v for k, v in ch_data(document, name="Acme AG").items() if k != "scope"}
    response = alice_client.post(edit, {**data, "action": "request"})
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.stage == "awaiting_approval" and link.telnyx_id
    send_through(maria_client, link, django_capture_on_commit_callbacks)
    patches = sandbox.requests(path=f"/v2/requirement_groups/{link.telnyx_id}", method="PATCH")
    assert len(patches) == 1
    # Still one group at Telnyx; the corrected address and document were created afresh.
    assert len(sandbox.requests(path="/v2/requirement_groups", method="POST")) == 1
    assert len(sandbox.requests(path="/v2/addresses", method="POST")) == 2
    vet_and_sync(sandbox, link)
    assert link.status == "approved"


def test_expiry_is_flagged_ahead_and_then_shown_expired(
    loaded,
    sandbox,
    settings,
    alice_client,
    maria_client,
    eager_celery,
    django_capture_on_commit_callbacks,
):
    sandbox.configure(group_validity_days=20)
    document = upload(alice_client)
    build(alice_client, ch_data(document))
    link = RequirementGroupLink.objects.get()
    send_through(maria_client, link, django_capture_on_commit_callbacks)
    vet_and_sync(sandbox, link)
    assert link.status == "approved"
    # 20 days on the sandbox clock, which earlier tests may have moved ahead of ours.
    assert link.expires_at is not None
    days_left = (link.expires_at - timezone.now()).days
    assert days_left >= 19
    settings.COMPLIANCE_GROUP_EXPIRY_WARNING_DAYS = days_left + 1
    page = alice_client.get(link.get_absolute_url()).content.decode()
    assert 'data-flag="expiring"' in page and f"Expires in {days_left} day(s)" in page
    listed = alice_client.get(LIST, {"expiring": "on"}).content.decode()
    assert f'data-group="{link.public_id}"' in listed
    settings.COMPLIANCE_GROUP_EXPIRY_WARNING_DAYS = days_left - 1
    assert 'data-flag="expiring"' not in alice_client.get(link.get_absolute_url()).content.decode()
    assert f'data-group="{link.public_id}"' not in (
        alice_client.get(LIST, {"expiring": "on"}).content.decode()
    )
    sandbox.advance(21 * 86400)
    groups.sync()
    link.refresh_from_db()
    assert link.status == "expired"
    page = alice_client.get(link.get_absolute_url()).content.decode()
    assert 'data-flag="expired"' in page
    assert "Expired: a value passed its validity" in page
    assert "Correct the values" in page


def test_a_catalogue_change_flags_the_group_no_longer_eligible(
    loaded,
    sandbox,
    alice_client,
    maria_client,
    eager_celery,
    django_capture_on_commit_callbacks,
):
    document = upload(alice_client)
    build(alice_client, ch_data(document))
    link = RequirementGroupLink.objects.get()
    send_through(maria_client, link, django_capture_on_commit_callbacks)
    vet_and_sync(sandbox, link)
    changed = sandbox.change_catalogue("CH", "local", "business_registration")
    assert link.telnyx_id in changed["no_longer_eligible"]
    groups.sync()
    link.refresh_from_db()
    assert link.status == "no-longer-eligible"
    page = alice_client.get(link.get_absolute_url()).content.decode()
    assert 'data-flag="no-longer-eligible"' in page
    assert "No longer eligible: the rules changed; build a new group" in page
    assert "Business registration certificate is now required" in page
    assert "Correct the values" not in page
    listed = alice_client.get(LIST, {"status": "no-longer-eligible"}).content.decode()
    assert f'data-group="{link.public_id}"' in listed
    # The next catalogue refresh asks new CH local groups for the added requirement.
    catalogue.refresh()
    form = alice_client.get(NEW, {"scope": "CH:local"}).content.decode()
    assert "Business registration certificate" in form


def test_the_list_filters_are_in_the_query_string_and_paged(
    loaded, settings, alice, maria, alice_client
):
    settings.ORDERS_LIST_PAGE_SIZE = 2
    made = [
        groups.create(alice, "CH", "local", {}),
        groups.create(alice, "DE", "local", {}),
        groups.create(maria, "CH", "national", {}),
    ]
    RequirementGroupLink.objects.filter(pk=made[2].pk).update(
        stage="sent", status="approved", assignee=maria
    )
    page = alice_client.get(LIST).content.decode()
    assert "Page 1 of 2 (3 groups)" in page
    page = alice_client.get(LIST, {"page": 2}).content.decode()
    assert page.count("data-group=") == 1

    def listed(**query: str) -> set[str]:
        text = alice_client.get(LIST, query).content.decode()
        return {str(g.public_id) for g in made if f'data-group="{g.public_id}"' in text}

    assert listed(country_code="CH") == {str(made[0].public_id), str(made[2].public_id)}
    assert listed(phone_number_type="national") == {str(made[2].public_id)}
    assert listed(status="draft") == {str(made[0].public_id), str(made[1].public_id)}
    assert listed(status="approved") == {str(made[2].public_id)}
    assert listed(assignee=str(maria.pk)) == {str(made[2].public_id)}
    assert "Groups</a>" in page


def test_permissions_on_real_groups_of_another_user(loaded, alice, olga_client, alice_client):
    link = groups.create(alice, "CH", "local", {})
    for url in (LIST, NEW, link.get_absolute_url()):
        assert olga_client.get(url).status_code == 404
    assert olga_client.post(
        reverse("compliance:group-request-approval", args=[link.public_id])
    ).status_code in (403, 404)
    assert (
        alice_client.post(
            reverse("compliance:group-reject", args=[link.public_id]), {"reason": "no"}
        ).status_code
        == 403
    )
    link.refresh_from_db()
    assert link.stage == "draft"


def test_a_field_is_checked_inline_while_typing(loaded, alice_client):
    name = prefix_for(ids()["textual"])
    response = alice_client.post(
        NEW,
        {"scope": "CH:local", "action": "validate", "field": name, name: "A"},
        headers={"HX-Request": "true", "HX-Trigger-Name": name},
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert text.lstrip().startswith('<div class="requirement')
    assert "Use at least 2 characters" in text
    assert not RequirementGroupLink.objects.exists()


def test_the_page_lists_the_sub_orders_and_numbers_using_the_group(loaded, alice, sub_order):
    number = sub_order.numbers.get()
    link = groups.create(alice, "DE", "local", {})
    RequirementGroupLink.objects.filter(pk=link.pk).update(
        attached_to=[str(sub_order.public_id), str(number.public_id)]
    )
    link.refresh_from_db()
    labels = [u.label for u in groups.usage(link)]
    assert labels == [
        f"Sub order DE local of order {sub_order.number_order.reference}",
        f"Number {number.phone_number}",
    ]


def test_a_draft_follows_the_catalogue_until_it_is_sent(loaded, sandbox, alice, alice_client):
    document = upload(alice_client)
    build(alice_client, ch_data(document), action="draft")
    link = RequirementGroupLink.objects.get()
    sandbox.change_catalogue("CH", "local", "business_registration")
    catalogue.refresh()
    edit = reverse("compliance:group-edit", args=[link.public_id])
    assert "Business registration certificate" in alice_client.get(edit).content.decode()
    data = {k: v for k, v in ch_data(document).items() if k != "scope"}
    response = alice_client.post(edit, {**data, "action": "request"})
    assert response.status_code == 400
    assert "This requirement needs a value." in response.content.decode()
    alice_client.post(edit, {**data, "action": "draft"})
    link.refresh_from_db()
    assert len(link.requirement_ids) == 4


def test_the_page_lists_orders_placed_with_the_group_and_attachments_from_order_pages(
    loaded, alice, sub_order
):
    from orders.models import GroupAttachment

    link = groups.create(alice, "DE", "local", {})
    RequirementGroupLink.objects.filter(pk=link.pk).update(telnyx_id="grp-used-1")
    link.refresh_from_db()
    order = sub_order.number_order
    type(order).objects.filter(pk=order.pk).update(
        requested_numbers=[{"phone_number": "+4930111", "requirement_group_id": "grp-used-1"}]
    )
    assert groups.usage(link)[0].label == f"Ordered with it: order {order.reference}"
    GroupAttachment.objects.create(
        group=link,
        group_telnyx_id="grp-used-1",
        sub_order=sub_order,
        state=GroupAttachment.State.DONE,
        requested_by=alice,
    )
    labels = [u.label for u in groups.usage(link)]
    assert f"Sub order DE local of order {order.reference}" in labels
    # A request Telnyx refused does not count as a use.
    GroupAttachment.objects.filter(group=link).update(state=GroupAttachment.State.FAILED)
    assert len(groups.usage(link)) == 1
