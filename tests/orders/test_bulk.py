"""Bulk (inexplicit) US/CA orders: the form, placing once, partial_success explained."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from orders import bulk
from orders.models import BulkOrder, NumberOrder

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def bulk_form(intent: str, **group: str) -> dict[str, str]:
    data = {
        "intent": intent,
        "group-TOTAL_FORMS": "1",
        "group-INITIAL_FORMS": "0",
        "group-MIN_NUM_FORMS": "0",
        "group-MAX_NUM_FORMS": "20",
    }
    data.update({f"group-0-{k}": v for k, v in group.items()})
    return data


def test_a_bulk_order_reaching_partial_success_is_explained_and_links_its_orders(
    sandbox, alice_client
):
    page = alice_client.get(reverse("orders:bulk-new")).content.decode()
    intent = re.search(r'name="intent" value="([0-9a-f-]{36})"', page).group(1)
    form = bulk_form(
        intent,
        country_iso="CA",
        phone_number_type="local",
        national_destination_code="416",
        ends_with="77",
        count_requested="40",
        strategy="always",
    )
    response = alice_client.post(reverse("orders:bulk-new"), form)
    again = alice_client.post(reverse("orders:bulk-new"), form)
    order = BulkOrder.objects.get()
    assert response["Location"] == again["Location"] == order.get_absolute_url()
    assert order.requested_groups[0]["count_requested"] == "40"
    assert bulk.place(order.pk) == "placed"
    sandbox.advance(5)
    order.refresh_from_db()
    assert bulk.refresh(order) is True
    group = order.ordering_groups[0]
    assert group["status"] == "partial_success"
    assert 0 < group["count_allocated"] < 40
    produced = NumberOrder.objects.get(bulk_order=order)
    assert produced.numbers.count() == group["count_allocated"]
    html = alice_client.get(order.get_absolute_url()).content.decode()
    assert "Partly filled" in html
    assert f"found only {group['count_allocated']} of 40" in html
    assert produced.get_absolute_url() in html
    assert len(sandbox.requests(path="/v2/inexplicit_number_orders", method="POST")) == 1


def test_a_never_strategy_group_that_cannot_be_filled_fails_with_the_reason(
    sandbox, alice, maria, django_capture_on_commit_callbacks
):
    order, _ = bulk.create_intent(
        alice,
        "bulk-never-1",
        [
            {
                "country_iso": "CA",
                "count_requested": "500",
                "phone_number_type": "local",
                "national_destination_code": "416",
                "strategy": "never",
            }
        ],
        bulk.OrderOptions(),
    )
    # 500 numbers is above the approval threshold: a second person must release it (P15).
    assert order.placing_state == "awaiting_approval"
    with django_capture_on_commit_callbacks():
        assert bulk.approve(order, maria)
    assert bulk.place(order.pk) == "placed", BulkOrder.objects.get().placing_error
    sandbox.advance(5)
    order.refresh_from_db()
    bulk.refresh(order)
    group = order.ordering_groups[0]
    assert group["status"] == "failed" and "available" in group["error_reason"]
    assert not NumberOrder.objects.filter(bulk_order=order).exists()
