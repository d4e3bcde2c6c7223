"""Searching rows by a phone number typed any way (admin search boxes and the portal's find).

The admin's own search is a substring match on the text typed: ``+49 30 1234567`` (with spaces)
or ``030 1234567`` finds nothing in a column holding ``+49301234567``. ``PhoneSearchMixin`` adds
the rows whose numbers equal what the phonenumbers library reads in the text.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest

from orders.models import SubNumberOrder
from orders.phone import candidates


def held_regions() -> list[str]:
    """Countries we hold numbers in: where a national format is read when none is given."""
    codes = SubNumberOrder.objects.exclude(country_code="").values_list("country_code", flat=True)
    return sorted(set(codes))


class PhoneSearchMixin:
    """For a ``ModelAdmin``: ``phone_search_paths`` name the lookups holding E.164 numbers
    (``"numbers__phone_number"``, ``"sub_order__numbers__phone_number"``)."""

    phone_search_paths: tuple[str, ...] = ()

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        found, duplicates = super().get_search_results(  # type: ignore[misc]
            request, queryset, search_term
        )
        numbers = candidates(search_term.strip(), held_regions()) if search_term.strip() else []
        if not numbers or not self.phone_search_paths:
            return found, duplicates
        match = Q()
        for path in self.phone_search_paths:
            match |= Q(**{f"{path}__in": numbers})
        model: type[Model] = queryset.model
        by_number = model._default_manager.filter(pk__in=queryset.filter(match).values("pk"))
        return found | by_number, True
