"""One place that fetches orders for a user: unknown or malformed ids are 404, never 500.

Orders are shared by the whole compliance team, so scope is by permission (checked by the
view decorators), not by owner; the helpers here only make sure an id resolves (P34).
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from orders.models import BulkOrder, NumberOrder, SubNumberOrder
from portal.ids import uuid_or_404


def visible_orders(user: object) -> QuerySet[NumberOrder]:
    if not getattr(user, "has_perm", None) or not user.has_perm("orders.view_numberorder"):  # type: ignore[attr-defined]
        return NumberOrder.objects.none()
    return NumberOrder.objects.all()


def get_order(user: object, public_id: object) -> NumberOrder:
    return get_object_or_404(visible_orders(user), public_id=uuid_or_404(public_id))


def get_sub_order(user: object, order: NumberOrder, sub_public_id: object) -> SubNumberOrder:
    return get_object_or_404(order.sub_orders.all(), public_id=uuid_or_404(sub_public_id))


def get_bulk_order(user: object, public_id: object) -> BulkOrder:
    if not user.has_perm("orders.view_bulkorder"):  # type: ignore[attr-defined]
        raise Http404
    return get_object_or_404(BulkOrder, public_id=uuid_or_404(public_id))
