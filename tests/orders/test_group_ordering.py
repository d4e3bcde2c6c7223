"""Ordering where Telnyx wants requirement groups (issue 11): the review knows which sub orders
need one, offers the approved groups that fit, places the others when none fits, and every
retry of the intent sends the same chosen group (P9, P10)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from orders import placing
from orders.models import GroupNeed, NumberOrder, PlacingState
from orders.selection import Selection

from .conftest import pick_numbers, review_intent
from .groups import approved_group

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _place(order: NumberOrder) -> NumberOrder:
    for _ in range(3):
        try:
            placing.place(order.pk)
            break
        except placing.RetryLater:
            continue
    order.refresh_from_db()
    return order


def _posted_numbers(sandbox) -> list[dict]:
    posts = [r for r in sandbox.requests(method="POST") if r["path"].endswith("/number_orders")]
    assert posts, "no POST /number_orders reached the sandbox"
    return json.loads(posts[-1]["body"])["phone_numbers"]


def test_a_ch_number_without_a_fitting_group_is_flagged_and_the_others_are_placed(
    sandbox, alice_client
):
    ch = pick_numbers(alice_client, 1, country_code="CH", phone_number_type="local")
    de = pick_numbers(alice_client, 2, country_code="DE", phone_number_type="local")
    html = alice_client.get(reverse("orders:review")).content.decode()
    assert "CH local numbers need an approved requirement group" in html
    assert "No approved group fits" in html
    assert "Place the others now (2 numbers)" in html
    assert "DE local numbers need" not in html

    intent = review_intent(alice_client)
    response = alice_client.post(reverse("orders:review"), {"intent": intent}, follow=True)
    order = NumberOrder.objects.get(customer_reference=intent)
    assert {n["phone_number"] for n in order.requested_numbers} == set(de)
    assert Selection(alice_client.session).phone_numbers() == ch
    assert "1 number(s) stay in your selection: CH local numbers need an approved" in (
        response.content.decode()
    )
    assert _place(order).placing_state == PlacingState.PLACED
    # The CH number is still flagged with its reason on the next review.
    html = alice_client.get(reverse("orders:review")).content.decode()
    assert "CH local numbers need an approved requirement group" in html


def test_a_selection_of_only_numbers_needing_a_group_places_nothing(sandbox, alice_client):
    pick_numbers(alice_client, 1, country_code="CH", phone_number_type="local")
    intent = review_intent(alice_client)
    html = alice_client.post(reverse("orders:review"), {"intent": intent}).content.decode()
    assert "every selected number needs a requirement group first" in html
    assert not NumberOrder.objects.exists()
    assert len(Selection(alice_client.session)) == 1


def test_the_chosen_group_is_sent_with_its_numbers_and_kept_on_the_intent(
    sandbox, alice, alice_client
):
    link = approved_group(sandbox, alice)
    ch = pick_numbers(alice_client, 2, country_code="CH", phone_number_type="local")
    de = pick_numbers(alice_client, 1, country_code="DE", phone_number_type="local")
    response = alice_client.get(reverse("orders:review"))
    html = response.content.decode()
    assert "no-store" in response["Cache-Control"]  # names a profile: never cached (P51)
    assert "Requirement group for the CH local numbers" in html
    assert f'value="{link.public_id}"' in html and "Muster AG" in html
    intent = review_intent(alice_client)
    alice_client.post(
        reverse("orders:review"), {"intent": intent, "group-CH-local": str(link.public_id)}
    )
    order = NumberOrder.objects.get(customer_reference=intent)
    groups = {n["phone_number"]: n.get("requirement_group_id") for n in order.requested_numbers}
    assert groups == {ch[0]: link.telnyx_id, ch[1]: link.telnyx_id, de[0]: None}
    sandbox.clear_requests()
    assert _place(order).placing_state == PlacingState.PLACED, order.placing_error
    sent = {n["phone_number"]: n.get("requirement_group_id") for n in _posted_numbers(sandbox)}
    assert sent == groups
    assert len(Selection(alice_client.session)) == 0


def test_a_group_must_be_chosen_or_the_numbers_kept_for_later(sandbox, alice, alice_client):
    link = approved_group(sandbox, alice)
    ch = pick_numbers(alice_client, 1, country_code="CH", phone_number_type="local")
    pick_numbers(alice_client, 1, country_code="DE", phone_number_type="local")
    intent = review_intent(alice_client)
    html = alice_client.post(reverse("orders:review"), {"intent": intent}).content.decode()
    assert "Choose a requirement group, or keep these numbers for later." in html
    assert not NumberOrder.objects.exists()
    alice_client.post(reverse("orders:review"), {"intent": intent, "group-CH-local": "later"})
    order = NumberOrder.objects.get(customer_reference=intent)
    assert len(order.requested_numbers) == 1
    assert Selection(alice_client.session).phone_numbers() == ch
    assert link.telnyx_id  # offered but not used


@pytest.mark.parametrize(
    "change",
    [
        {"status": "expired"},
        {"status": "pending-approval"},
        {"country_code": "SE"},
        {"phone_number_type": "mobile"},
        {"expires_at_days": 2},
    ],
)
def test_only_approved_unexpired_fitting_groups_are_offered(sandbox, alice, alice_client, change):
    link = approved_group(sandbox, alice)
    days = change.pop("expires_at_days", None)
    if days is not None:
        change["expires_at"] = timezone.now() + timedelta(days=days)
    type(link).objects.filter(pk=link.pk).update(**change)
    pick_numbers(alice_client, 1, country_code="CH", phone_number_type="local")
    html = alice_client.get(reverse("orders:review")).content.decode()
    assert str(link.public_id) not in html
    assert "No approved group fits" in html
    # A forged choice of that group is refused like any unknown choice.
    intent = review_intent(alice_client)
    response = alice_client.post(
        reverse("orders:review"), {"intent": intent, "group-CH-local": str(link.public_id)}
    )
    assert response.status_code == 200 and not NumberOrder.objects.exists()


def test_a_refusal_for_want_of_a_group_places_the_others_once_and_is_learnt(
    sandbox, alice_client, settings
):
    # The portal does not know CH needs a group: Telnyx refuses the whole order.
    settings.ORDERS_GROUP_MANDATORY_COUNTRIES = []
    ch = pick_numbers(alice_client, 1, country_code="CH", phone_number_type="local")
    de = pick_numbers(alice_client, 2, country_code="DE", phone_number_type="local")
    intent = review_intent(alice_client)
    alice_client.post(reverse("orders:review"), {"intent": intent})
    order = _place(NumberOrder.objects.get(customer_reference=intent))
    assert order.placing_state == PlacingState.FAILED
    assert GroupNeed.objects.filter(country_code="CH", phone_number_type="local").exists()
    # The others go again as one more intent, whose reference derives from the refused one.
    split = placing.split_order(order)
    assert split is not None and split.placed_by == order.placed_by
    assert {n["phone_number"] for n in split.requested_numbers} == set(de)
    assert placing.split_after_group_refusal(order, order.placing_errors) == split
    assert NumberOrder.objects.count() == 2  # a repeated refusal adds nothing
    assert _place(split).placing_state == PlacingState.PLACED, split.placing_error
    page = alice_client.get(order.get_absolute_url()).content.decode()
    assert "Telnyx wants an approved requirement group" in page
    assert split.get_absolute_url() in page
    # Only the refused number comes back to the selection (the others are ordered already),
    # and the review now knows why it is held.
    alice_client.post(reverse("orders:reselect", args=[order.public_id]))
    assert Selection(alice_client.session).phone_numbers() == ch
    html = alice_client.get(reverse("orders:review")).content.decode()
    assert "CH local numbers need an approved requirement group" in html
    assert "Nothing can be placed yet" in html


def test_a_refusal_for_other_reasons_too_splits_nothing(sandbox, alice_client, settings):
    settings.ORDERS_GROUP_MANDATORY_COUNTRIES = []
    pick_numbers(alice_client, 1, country_code="CH", phone_number_type="local")
    de = pick_numbers(alice_client, 2, country_code="DE", phone_number_type="local")
    sandbox.order(de[:1])  # someone else buys a DE number first: 85001 as well as 10015
    intent = review_intent(alice_client)
    alice_client.post(reverse("orders:review"), {"intent": intent})
    order = _place(NumberOrder.objects.get(customer_reference=intent))
    assert order.placing_state == PlacingState.FAILED
    assert {e["code"] for e in order.placing_errors} == {"10015", "85001"}
    assert placing.split_order(order) is None
    assert NumberOrder.objects.count() == 1
