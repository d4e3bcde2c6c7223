"""Which end user an order is for: the name requirement in its latest submitted values.

Telnyx asks for the end user's name as a textual requirement ("End user name", in some countries
"Business name" or "Company name"). The latest unpurged submission of each order's sub orders is
read (one query for the page, one for the catalogue's name requirements) and decrypted in memory
only; the name is shown, never logged or put in a URL.
"""

from __future__ import annotations

from django.db.models import OuterRef, Q, Subquery

from compliance.models import RequirementType, Submission
from orders.models import NumberOrder

# Requirement type names (case-insensitive) whose value names the end user.
NAME_REQUIREMENTS = ("End user name", "Business name", "Company name")


def names_for_orders(order_ids: list[int]) -> dict[int, str]:
    if not order_ids:
        return {}
    named = Q()
    for name in NAME_REQUIREMENTS:
        named |= Q(name__iexact=name)
    requirement_ids = list(
        RequirementType.objects.filter(named).values_list("telnyx_id", flat=True)
    )
    if not requirement_ids:
        return {}
    latest = Subquery(
        Submission.objects.filter(sub_order__number_order=OuterRef("pk"), purged_at__isnull=True)
        .order_by("-created_at", "-pk")
        .values("pk")[:1]
    )
    found: dict[int, str] = {}
    rows = Submission.objects.filter(
        pk__in=NumberOrder.objects.filter(pk__in=order_ids).annotate(latest=latest).values("latest")
    ).values_list("sub_order__number_order_id", "values")
    for order_id, values in rows:
        for requirement_id in requirement_ids:
            value = (values or {}).get(requirement_id)
            if isinstance(value, dict) and value.get("type") == "textual":
                text = " ".join(str(value.get("value", "")).split())
                if text:
                    found[order_id] = text
                    break
    return found
