"""P35: in the admin, Telnyx's mirrored data and our placing records are read-only for managers
(who hold add permissions on orders and comments for the portal's own screens)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import reverse

from orders.models import NumberOrder, SubOrderComment

from .factories import NumberOrderFactory, OrderedNumberFactory

pytestmark = pytest.mark.django_db


def orders_models() -> list[type]:
    return [m for m in admin.site._registry if m._meta.app_label == "orders"]


def test_p35_no_orders_row_can_be_added_changed_or_deleted_in_admin(maria, maria_client):
    number = OrderedNumberFactory()
    assert maria.has_perm("orders.add_subordercomment") and maria.has_perm("orders.add_numberorder")
    models = orders_models()
    assert len(models) >= 9
    for model in models:
        meta = model._meta
        add_url = reverse(f"admin:{meta.app_label}_{meta.model_name}_add")
        assert maria_client.get(add_url).status_code == 403, meta.label
        model_admin = admin.site._registry[model]
        request = maria_client.get(reverse("admin:index")).wsgi_request
        assert not model_admin.has_change_permission(request), meta.label
        assert not model_admin.has_delete_permission(request), meta.label
    # An "admin" comment forged through the add form is refused and not stored.
    comment_add = reverse("admin:orders_subordercomment_add")
    forged = {
        "telnyx_id": "forged-1",
        "sub_order": number.sub_order.pk,
        "body": "All requirements approved.",
        "commenter_type": "admin",
    }
    assert maria_client.post(comment_add, forged).status_code == 403
    assert not SubOrderComment.objects.exists()


def test_p35_an_order_cannot_be_reassigned_or_deleted_in_admin_even_with_the_permissions(
    alice, maria, maria_client
):
    # Whatever a role may grant one day: the admin itself refuses.
    for codename in ("change_numberorder", "delete_numberorder"):
        maria.user_permissions.add(Permission.objects.get(codename=codename))
    order = NumberOrderFactory(placed_by=alice)
    change_url = reverse("admin:orders_numberorder_change", args=[order.pk])
    page = maria_client.get(change_url)
    assert page.status_code == 200  # viewable
    assert 'name="placed_by"' not in page.content.decode()
    assert 'name="_save"' not in page.content.decode()
    response = maria_client.post(
        change_url, {"placed_by": maria.pk, "customer_reference": order.customer_reference}
    )
    assert response.status_code == 403
    order.refresh_from_db()
    assert order.placed_by == alice
    delete_url = reverse("admin:orders_numberorder_delete", args=[order.pk])
    assert maria_client.post(delete_url, {"post": "yes"}).status_code == 403
    changelist = reverse("admin:orders_numberorder_changelist")
    maria_client.post(changelist, {"action": "delete_selected", "_selected_action": [order.pk]})
    assert NumberOrder.objects.filter(pk=order.pk).exists()
