"""The one place compliance views fetch objects: permission checks first, 404 when not allowed.

Reading a sub order's compliance needs ``orders.view_subnumberorder``; filling and submitting
values need ``compliance.add_submission``; approving needs ``compliance.approve_submission``
(managers only). Objects are addressed by their public UUIDs; a malformed one (from a query
string or form field) is 404 like an unknown one (``portal.ids``, P53).
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest

from compliance.models import Submission
from orders.models import OrderedNumber, SubNumberOrder
from portal.ids import uuid_or_404

VIEW_PERM = "orders.view_subnumberorder"
FILL_PERM = "compliance.add_submission"
APPROVE_PERM = "compliance.approve_submission"

M = TypeVar("M", bound=Model)


def _lookup(queryset: QuerySet[M], public_id: object) -> M:
    try:
        return queryset.get(public_id=uuid_or_404(public_id))
    except ObjectDoesNotExist as exc:
        raise Http404("Not found") from exc


def get_sub_order(request: HttpRequest, public_id: object, perm: str = VIEW_PERM) -> SubNumberOrder:
    """The sub order, if the user holds ``perm`` (404 otherwise, so ids cannot be probed)."""
    if not request.user.has_perm(perm):
        raise Http404("Not found")
    return _lookup(SubNumberOrder.objects.select_related("number_order"), public_id)


def get_number(request: HttpRequest, public_id: object, perm: str = VIEW_PERM) -> OrderedNumber:
    if not request.user.has_perm(perm):
        raise Http404("Not found")
    return _lookup(OrderedNumber.objects.select_related("sub_order", "number_order"), public_id)


def get_submission(request: HttpRequest, public_id: object) -> Submission:
    if not request.user.has_perm(VIEW_PERM):
        raise Http404("Not found")
    return _lookup(Submission.objects.select_related("sub_order", "number"), public_id)


def get_group(request: HttpRequest, public_id: object, perm: str = VIEW_PERM) -> Any:
    """A requirement group (compliance work shared by the team), if the user holds ``perm``."""
    from compliance.models import RequirementGroupLink

    if not request.user.has_perm(perm):
        raise Http404("Not found")
    return _lookup(
        RequirementGroupLink.objects.select_related("profile", "assignee", "requested_by"),
        public_id,
    )


def require(request: HttpRequest, perm: str) -> None:
    """403 for a signed-in user lacking a function-level permission (P35)."""
    if not request.user.has_perm(perm):
        raise PermissionDenied
