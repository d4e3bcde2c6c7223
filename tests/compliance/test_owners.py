"""Owners: a sub order or requirement group is claimed, assigned or released, shown and audited."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance import owners
from compliance.models import AuditEntry, ComplianceProfile, RequirementGroupLink
from orders.models import SubNumberOrder

pytestmark = pytest.mark.django_db


def owner_url(sub_order) -> str:
    return reverse("compliance:sub-order-owner", args=[sub_order.public_id])


def test_claim_shows_the_owner_everywhere_and_is_audited(sub_order, alice, alice_client):
    number = sub_order.numbers.get()
    number.deadline = timezone.now() + timedelta(hours=10)
    number.save()
    page = reverse("compliance:sub-order", args=[sub_order.public_id])
    response = alice_client.post(owner_url(sub_order), {"action": "claim", "next": page})
    assert response.status_code == 302 and response["Location"] == page
    sub_order.refresh_from_db()
    assert sub_order.assignee == alice
    entry = AuditEntry.objects.get(action="compliance.subnumberorder_assigned")
    assert entry.actor == alice and entry.details["assignee"] == "alice"
    assert entry.details["previous"] == "nobody"
    screens = [
        page,
        sub_order.number_order.get_absolute_url(),
        reverse("compliance:deadlines"),
        reverse("home") + "?scope=mine",
    ]
    for url in screens:
        html = alice_client.get(url).content.decode()
        assert "data-owner>alice<" in html or "<strong data-owner>alice</strong>" in html, url


def test_a_claimed_sub_order_cannot_be_claimed_by_someone_else(sub_order, alice, maria_client):
    SubNumberOrder.objects.filter(pk=sub_order.pk).update(assignee=alice)
    response = maria_client.post(owner_url(sub_order), {"action": "claim"}, follow=True)
    assert "alice already works on this" in response.content.decode()
    sub_order.refresh_from_db()
    assert sub_order.assignee == alice
    assert not AuditEntry.objects.filter(action__startswith="compliance.subnumberorder_").exists()


def test_assign_to_a_colleague_then_release(sub_order, alice, maria, olga, alice_client):
    alice_client.post(owner_url(sub_order), {"action": "assign", "assignee": "maria"})
    sub_order.refresh_from_db()
    assert sub_order.assignee == maria
    # Someone without a role, or a made-up name, cannot be given work; nothing changes.
    for name in ("olga", "nobody-here", ""):
        response = alice_client.post(
            owner_url(sub_order), {"action": "assign", "assignee": name}, follow=True
        )
        assert "Choose a colleague from the list" in response.content.decode()
        sub_order.refresh_from_db()
        assert sub_order.assignee == maria
    alice_client.post(owner_url(sub_order), {"action": "release"})
    sub_order.refresh_from_db()
    assert sub_order.assignee is None
    actions = list(
        AuditEntry.objects.filter(target_id__isnull=False)
        .filter(action__startswith="compliance.subnumberorder_")
        .order_by("at", "id")
        .values_list("action", "details__assignee")
    )
    assert actions == [
        ("compliance.subnumberorder_assigned", "maria"),
        ("compliance.subnumberorder_released", "nobody"),
    ]


def test_a_stale_change_is_refused_not_overwritten(sub_order, alice, maria):
    stale = SubNumberOrder.objects.get(pk=sub_order.pk)
    owners.change(alice, sub_order, "claim")
    with pytest.raises(owners.OwnerError, match="Someone changed the owner"):
        owners.change(maria, stale, "assign", "maria")
    sub_order.refresh_from_db()
    assert sub_order.assignee == alice


def test_outsiders_cannot_change_owners(sub_order, olga_client):
    assert olga_client.post(owner_url(sub_order), {"action": "claim"}).status_code == 404
    sub_order.refresh_from_db()
    assert sub_order.assignee is None


def test_requirement_groups_have_owners_too(alice, alice_client):
    profile = ComplianceProfile.objects.create(name="Acme Widgets GmbH")
    group = RequirementGroupLink.objects.create(
        profile=profile,
        telnyx_id=str(uuid.uuid4()),
        country_code="IT",
        phone_number_type="local",
        status="unapproved",
    )
    url = reverse("compliance:group-owner", args=[group.public_id])
    alice_client.post(url, {"action": "claim"})
    group.refresh_from_db()
    assert group.assignee == alice
    assert AuditEntry.objects.filter(action="compliance.requirementgrouplink_assigned").exists()
    html = alice_client.get(reverse("compliance:profile", args=[profile.public_id])).content
    assert b"<strong data-owner>alice</strong>" in html
    queue = alice_client.get(reverse("home"), {"scope": "mine"}).content.decode()
    assert "Requirement group IT local" in queue


def test_the_owner_is_a_filter_on_orders_numbers_and_the_deadline_board(
    sub_order, alice, maria, alice_client
):
    from orders.models import NumberOrder, OrderedNumber

    mine = sub_order
    SubNumberOrder.objects.filter(pk=mine.pk).update(assignee=alice)
    other_order = NumberOrder.objects.create(
        telnyx_id=str(uuid.uuid4()), customer_reference=str(uuid.uuid4()), status="pending"
    )
    theirs = SubNumberOrder.objects.create(
        telnyx_id=str(uuid.uuid4()), number_order=other_order, country_code="FR",
        phone_number_type="local", status="pending", assignee=maria,
    )  # fmt: skip
    OrderedNumber.objects.create(
        telnyx_id=str(uuid.uuid4()), sub_order=theirs, number_order=other_order,
        phone_number="+33100000001", requirements_status="requirement-info-pending",
        deadline=timezone.now() + timedelta(hours=5),
    )  # fmt: skip
    OrderedNumber.objects.filter(sub_order=mine).update(
        deadline=timezone.now() + timedelta(hours=5)
    )
    my_number = mine.numbers.get().phone_number
    my_ref, their_ref = mine.number_order.reference, other_order.reference

    def get(name: str, **query) -> str:
        return alice_client.get(reverse(name), query).content.decode()

    orders = get("orders:list", owner="mine")
    assert f">{my_ref}</a>" in orders and f">{their_ref}</a>" not in orders
    assert f">{their_ref}</a>" in get("orders:list") and "data-owner>maria<" in get("orders:list")
    numbers = get("orders:numbers", owner="mine")
    assert my_number in numbers and "+33100000001" not in numbers
    assert "+33100000001" not in get("orders:numbers", owner="unassigned")
    board = get("compliance:deadlines", owner="mine")
    assert my_number in board and "+33100000001" not in board
    assert my_number not in get("compliance:deadlines", owner="unassigned")
