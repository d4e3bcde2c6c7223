"""Cancelling a pending sub order at Telnyx, with the reason recorded and audited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from orders.models import SubNumberOrder
from portal.audit import audit_recorded

from .helpers import place_now

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_manager_cancels_a_pending_sub_order_and_the_reason_is_kept(
    sandbox, alice, maria, maria_client
):
    order = place_now(alice, sandbox, [("DE", "local", 1), ("FR", "local", 1)])
    de = order.sub_orders.get(country_code="DE")
    recorded = []

    def receiver(sender, **kw):
        recorded.append((kw["action"], kw["details"]))

    audit_recorded.connect(receiver)
    try:
        url = reverse("orders:sub-order-cancel", args=[order.public_id, de.public_id])
        response = maria_client.post(url, {"reason": "Customer withdrew", "confirm": "on"})
    finally:
        audit_recorded.disconnect(receiver)
    assert response.status_code == 302
    de.refresh_from_db()
    assert de.status == "cancelled" and de.cancel_reason == "Customer withdrew"
    assert de.cancelled_by == maria
    remote = sandbox.http.get(f"/sub_number_orders/{de.telnyx_id}").json()["data"]
    assert remote["status"] == "cancelled"
    assert order.sub_orders.get(country_code="FR").status == "pending"
    assert (
        "orders.sub_order_cancelled",
        {"telnyx_id": de.telnyx_id, "reason": "Customer withdrew"},
    ) in recorded
    page = maria_client.get(order.get_absolute_url()).content.decode()
    assert "Customer withdrew" in page


def test_a_finished_sub_order_cannot_be_cancelled(sandbox, alice, maria_client):
    order = place_now(alice, sandbox, [("US", "local", 1)])
    sandbox.advance(120)
    sub = order.sub_orders.get()
    SubNumberOrder.objects.filter(pk=sub.pk).update(status="success")
    url = reverse("orders:sub-order-cancel", args=[order.public_id, sub.public_id])
    response = maria_client.post(url, {"reason": "too late", "confirm": "on"})
    assert response.status_code == 200
    assert "Only a pending sub order can be cancelled" in response.content.decode()
    assert not sandbox.requests(path=f"/v2/sub_number_orders/{sub.telnyx_id}/cancel")
