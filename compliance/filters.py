"""List filters of the submissions list and the audit trail (django-filter, query string)."""

from __future__ import annotations

from typing import Any

import django_countries
import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django_countries import countries

from compliance.models import AuditEntry, RequirementGroupLink, Submission
from orders.forms import PHONE_NUMBER_TYPES
from orders.models import SubNumberOrder


def people(request: Any) -> QuerySet[Any]:
    return get_user_model().objects.order_by("username")


class _PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.get_username())


class _PersonFilter(django_filters.ModelChoiceFilter):
    field_class = _PersonChoice


def _range(field: str, label: str) -> django_filters.DateFromToRangeFilter:
    return django_filters.DateFromToRangeFilter(
        field_name=field,
        label=label,
        widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"}),
    )


class SubmissionFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Submission.Status.choices, empty_label="Any")
    country_code = django_filters.ChoiceFilter(
        field_name="sub_order__country_code",
        label="Country",
        choices=list(countries),
        empty_label="Any",
    )
    phone_number_type = django_filters.ChoiceFilter(
        field_name="sub_order__phone_number_type",
        label="Type",
        choices=PHONE_NUMBER_TYPES,
        empty_label="Any",
    )
    submitted_by = _PersonFilter(queryset=people, empty_label="Anyone")
    decided_by = _PersonFilter(queryset=people, empty_label="Anyone")
    placed_by = _PersonFilter(
        field_name="sub_order__number_order__placed_by",
        queryset=people,
        empty_label="Anyone",
        label="Order placed by",
    )
    created = _range("created_at", "Submitted (from, to)")

    class Meta:
        model = Submission
        fields: list[str] = []

    def filter_queryset(self, queryset: QuerySet[Submission]) -> QuerySet[Submission]:
        return super().filter_queryset(queryset).order_by("-created_at", "-pk")


class AuditFilter(django_filters.FilterSet):
    action = django_filters.CharFilter(
        lookup_expr="startswith", max_length=64, label="Action (starts with)"
    )
    actor = _PersonFilter(queryset=people, empty_label="Anyone")
    target_type = django_filters.CharFilter(max_length=100, label="Target type")
    at = _range("at", "When (from, to)")

    class Meta:
        model = AuditEntry
        fields: list[str] = []

    def filter_queryset(self, queryset: QuerySet[AuditEntry]) -> QuerySet[AuditEntry]:
        return super().filter_queryset(queryset).order_by("-at", "-pk")


GROUP_STATUSES = [
    ("draft", "Draft"),
    ("awaiting_approval", "Awaiting manager approval"),
    ("unapproved", "Created at Telnyx, not submitted"),
    ("pending-approval", "Under review at Telnyx"),
    ("approved", "Approved"),
    ("declined", "Declined"),
    ("expired", "Expired"),
    ("no-longer-eligible", "No longer eligible"),
]


class GroupFilter(django_filters.FilterSet):
    """The requirement groups list: country, type, status (portal stage or Telnyx status),
    expiring soon and assignee, all in the query string (bookmarkable)."""

    country_code = django_filters.ChoiceFilter(
        label="Country", choices=list(countries), empty_label="Any"
    )
    phone_number_type = django_filters.ChoiceFilter(
        label="Type", choices=PHONE_NUMBER_TYPES, empty_label="Any"
    )
    status = django_filters.ChoiceFilter(
        label="Status", choices=GROUP_STATUSES, empty_label="Any", method="filter_status"
    )
    expiring = django_filters.BooleanFilter(
        label="Expiring soon",
        method="filter_expiring",
        widget=forms.CheckboxInput,
    )
    assignee = _PersonFilter(queryset=people, empty_label="Anyone", label="Owner")

    class Meta:
        model = RequirementGroupLink
        fields: list[str] = []

    def filter_status(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        if value in ("draft", "awaiting_approval"):
            return queryset.filter(stage=value)
        return queryset.filter(stage=RequirementGroupLink.Stage.SENT, status=value)

    def filter_expiring(self, queryset: QuerySet[Any], name: str, value: bool) -> QuerySet[Any]:
        from compliance.groups import expiring_soon_q

        return queryset.filter(expiring_soon_q()) if value else queryset

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return super().filter_queryset(queryset).order_by("-created_at", "-pk")


SCOPES = [("mine", "Mine"), ("unassigned", "Unassigned"), ("everyone", "Everyone")]


class InboxFilter(django_filters.FilterSet):
    """The inbox's filters, on the sub orders its items belong to (``qs``) and, the same, on its
    requirement groups (``same_on``), plus "unread only", which the inbox applies to each kind
    of item itself (``unread_only``)."""

    scope = django_filters.ChoiceFilter(
        choices=SCOPES, method="whose", label="Whose", empty_label=None, widget=forms.RadioSelect
    )
    unread = django_filters.BooleanFilter(
        method="keep", label="Unread or open only", widget=forms.CheckboxInput
    )
    country = django_filters.ChoiceFilter(
        field_name="country_code", label="Country", choices=[], empty_label="All"
    )

    class Meta:
        model = SubNumberOrder
        fields: list[str] = []

    def __init__(self, *args: Any, countries: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        names = dict(django_countries.countries)
        self.filters["country"].extra["choices"] = [
            (code, f"{names.get(code, code)} ({code})") for code in countries or []
        ]

    def whose(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        if value == "mine":
            return queryset.filter(assignee=self.request.user)
        if value == "unassigned":
            return queryset.filter(assignee__isnull=True)
        return queryset

    def keep(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        return queryset

    @property
    def unread_only(self) -> bool:
        return bool(self.is_valid() and self.form.cleaned_data.get("unread"))

    @property
    def narrows(self) -> bool:
        """Whether the sub orders are filtered at all (else the inbox skips the subquery)."""
        data = self.form.cleaned_data if self.is_valid() else {}
        return data.get("scope") in ("mine", "unassigned") or bool(data.get("country"))

    def same_on(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """The same filters on other records with an ``assignee`` and a ``country_code`` (the
        inbox's requirement groups)."""
        self.errors  # noqa: B018 -- validates the form, as ``qs`` does
        return self.filter_queryset(queryset)
