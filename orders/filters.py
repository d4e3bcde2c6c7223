"""List filters of the orders and numbers lists (django-filter): every filter is a query string
parameter, so a filtered list is a bookmarkable URL and its export uses the same parameters.

Filtering logic shared with the orders list query lives in ``orders/listing.py``; the filter
sets only declare the parameters, their validation (a bad value is a form error, never a 500)
and which query each one runs.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django_countries import countries

from orders import listing
from orders.forms import PHONE_NUMBER_TYPES
from orders.models import NumberOrder, OrderedNumber, SubNumberOrder
from portal.widgets import PlainSelect

ORDER_STATUSES = [
    ("pending", "Pending"),
    ("needs_action", "Needs action"),
    ("success", "Success"),
    ("failure", "Failure"),
    ("cancelled", "Cancelled"),
    ("deleted", "Deleted"),
    ("awaiting_approval", "Awaiting approval"),
    ("placing", "Placing"),
    ("failed", "Not placed"),
]
NUMBER_STATUSES = [
    ("pending", "Pending"),
    ("success", "Success"),
    ("failure", "Failure"),
    ("cancelled", "Cancelled"),
    ("deleted", "Deleted"),
]
VETTING_STATES = [
    ("requirement-info-pending", "Info needed"),
    ("requirement-info-under-review", "Under review"),
    ("requirement-info-exception", "Rejected"),
    ("approved", "Approved"),
]
SORTS = [
    ("-created", "Newest first"),
    ("created", "Oldest first"),
    ("deadline", "Deadline, soonest first"),
    ("-deadline", "Deadline, latest first"),
]


def placers(request: Any) -> QuerySet[Any]:
    """People who placed at least one order (the choices of "Placed by"): one index probe per
    user (``EXISTS``), not a join of every order with its placer."""
    placed = NumberOrder.objects.filter(placed_by=OuterRef("pk"))
    return get_user_model().objects.filter(Exists(placed)).order_by("username")


class _PlacerChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.get_username())


def _created() -> django_filters.DateFromToRangeFilter:
    return django_filters.DateFromToRangeFilter(
        field_name="created_at",
        label="Created (from, to)",
        widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"}),
    )


class _DaysFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class _PlacerFilter(django_filters.ModelChoiceFilter):
    field_class = _PlacerChoice


def _deadline_days() -> django_filters.NumberFilter:
    return _DaysFilter(
        label="Deadline within (days)",
        method="filter_deadline",
        min_value=0,
        max_value=365,
    )


OWNER_CHOICES = [("mine", "Mine"), ("unassigned", "Unassigned")]


def _owner() -> django_filters.ChoiceFilter:
    return django_filters.ChoiceFilter(
        label="Owner", choices=OWNER_CHOICES, empty_label="Everyone", method="filter_owner"
    )


def _owner_q(request: Any, value: str, prefix: str) -> Q:
    """Sub orders (reached through ``prefix``) owned by the requesting user, or by nobody."""
    if value == "mine":
        user = getattr(request, "user", None)
        return Q(**{f"{prefix}assignee_id": getattr(user, "pk", None)})
    if value == "unassigned":
        return Q(**{f"{prefix}assignee__isnull": True})
    return Q()


class OrderFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=ORDER_STATUSES, empty_label="Any", method="filter_status"
    )
    requirements_status = django_filters.ChoiceFilter(
        label="Vetting", choices=VETTING_STATES, empty_label="Any", method="filter_vetting"
    )
    # Country and type filter together, in filter_queryset: one sub order must have both.
    country_code = django_filters.ChoiceFilter(
        label="Country",
        choices=list(countries),
        empty_label="Any",
        method="filter_nothing",
        widget=PlainSelect,
    )
    phone_number_type = django_filters.ChoiceFilter(
        label="Type", choices=PHONE_NUMBER_TYPES, empty_label="Any", method="filter_nothing"
    )
    deadline_within_days = _deadline_days()
    placed_by = _PlacerFilter(queryset=placers, empty_label="Anyone")
    owner = _owner()
    created = _created()
    needs_action = django_filters.BooleanFilter(
        widget=forms.CheckboxInput, method="filter_needs_action"
    )
    sort = django_filters.ChoiceFilter(
        choices=SORTS, empty_label=None, method="filter_nothing", label="Sort"
    )

    class Meta:
        model = NumberOrder
        fields: list[str] = []

    def filter_status(self, qs: QuerySet[NumberOrder], name: str, value: str) -> QuerySet:
        return listing.by_status(qs, value)

    def filter_vetting(self, qs: QuerySet[NumberOrder], name: str, value: str) -> QuerySet:
        return listing.by_requirements_status(qs, value)

    def filter_deadline(self, qs: QuerySet[NumberOrder], name: str, value: int) -> QuerySet:
        return qs.filter(
            next_deadline__isnull=False, next_deadline__lte=listing.deadline_within(value)
        )

    def filter_owner(self, qs: QuerySet[NumberOrder], name: str, value: str) -> QuerySet:
        if not value:
            return qs
        subs = SubNumberOrder.objects.filter(
            _owner_q(self.request, value, ""), number_order=OuterRef("pk")
        )
        return qs.filter(Exists(subs))

    def filter_needs_action(self, qs: QuerySet[NumberOrder], name: str, value: bool) -> QuerySet:
        return qs.filter(needs_action=True) if value else qs

    def filter_nothing(self, qs: QuerySet, name: str, value: Any) -> QuerySet:
        return qs  # applied in filter_queryset

    def filter_queryset(self, queryset: QuerySet[NumberOrder]) -> QuerySet[NumberOrder]:
        qs = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        qs = listing.by_sub_orders(
            qs, data.get("country_code") or "", data.get("phone_number_type") or ""
        )
        return listing.sorted_by(qs, data.get("sort") or "-created")


class NumberFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=NUMBER_STATUSES, empty_label="Any")
    requirements_status = django_filters.ChoiceFilter(
        label="Vetting", choices=VETTING_STATES, empty_label="Any"
    )
    country_code = django_filters.ChoiceFilter(
        label="Country", choices=list(countries), empty_label="Any", widget=PlainSelect
    )
    phone_number_type = django_filters.ChoiceFilter(
        label="Type", choices=PHONE_NUMBER_TYPES, empty_label="Any"
    )
    deadline_within_days = _deadline_days()
    placed_by = _PlacerFilter(
        field_name="number_order__placed_by", queryset=placers, empty_label="Anyone"
    )
    owner = _owner()
    created = _created()

    class Meta:
        model = OrderedNumber
        fields: list[str] = []

    def filter_deadline(self, qs: QuerySet[OrderedNumber], name: str, value: int) -> QuerySet:
        return qs.filter(deadline__isnull=False, deadline__lte=listing.deadline_within(value))

    def filter_owner(self, qs: QuerySet[OrderedNumber], name: str, value: str) -> QuerySet:
        return qs.filter(_owner_q(self.request, value, "sub_order__")) if value else qs

    def filter_queryset(self, queryset: QuerySet[OrderedNumber]) -> QuerySet[OrderedNumber]:
        qs = super().filter_queryset(queryset)
        return qs.order_by(F("deadline").asc(nulls_last=True), "phone_number", "pk")
