"""Which future sub orders need a requirement group, and which approved groups fit them.

Telnyx refuses a whole order (code 10015, pointer ``…/requirement_group_id``) when one number
of a group-mandatory country comes without a fulfilled group. Two sources say where that
happens: the countries Telnyx's guide names (``ORDERS_GROUP_MANDATORY_COUNTRIES``, only for
types whose catalogue lists requirements) and the refusals seen at placing (`GroupNeed`), so
a country Telnyx adds later is warned about from its first refusal on.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from compliance.models import RequirementGroupLink
from orders.models import GroupNeed

REFUSED_CODE = "10015"
GROUP_POINTER_SUFFIX = "/requirement_group_id"


def reason(country_code: str, phone_number_type: str) -> str:
    """The sentence shown next to numbers held back for want of a group."""
    return f"{country_code} {phone_number_type} numbers need an approved requirement group"


def needs_group(country_code: str, phone_number_type: str, has_requirements: bool) -> bool:
    """True when Telnyx will refuse numbers of this country and type without a group."""
    mandatory = {c.strip().upper() for c in settings.ORDERS_GROUP_MANDATORY_COUNTRIES}
    if country_code.upper() in mandatory and has_requirements:
        return True
    return GroupNeed.objects.filter(
        country_code=country_code, phone_number_type=phone_number_type
    ).exists()


def fitting_groups(country_code: str, phone_number_type: str) -> QuerySet[RequirementGroupLink]:
    """Approved ordering groups of that country and type, valid long enough to be vetted."""
    valid_until = timezone.now() + timedelta(days=int(settings.ORDERS_GROUP_MIN_VALIDITY_DAYS))
    return (
        RequirementGroupLink.objects.filter(
            country_code=country_code,
            phone_number_type=phone_number_type,
            action="ordering",
            status="approved",
            telnyx_id__isnull=False,
        )
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=valid_until))
        .order_by("-created_at")
    )


def group_label(link: RequirementGroupLink) -> str:
    """What the select shows: country, type, whose identity, and until when it is valid."""
    profile = getattr(link, "profile", None) if link.profile_id else None  # may become optional
    who = profile.name if profile is not None else f"group {str(link.public_id)[:8]}"
    until = f", valid until {link.expires_at:%d %b %Y}" if link.expires_at else ""
    return f"{link.country_code} {link.phone_number_type}: {who}{until}"


def learn_from_refusal(errors: Iterable[dict[str, Any]], requested: list[dict[str, Any]]) -> int:
    """Remember each country/type Telnyx refused for want of a group; returns how many."""
    by_phone = {n["phone_number"]: n for n in requested}
    learnt = 0
    for err in errors:
        number = by_phone.get(err.get("phone_number") or "")
        if number is None or not is_group_refusal(err) or number.get("requirement_group_id"):
            continue  # a refused group that did not fit is the group's problem, not the type's
        _, created = GroupNeed.objects.get_or_create(
            country_code=str(number.get("country_code") or "")[:2],
            phone_number_type=str(number.get("phone_number_type") or "")[:32],
        )
        learnt += int(created)
    return learnt


def is_group_refusal(err: dict[str, Any]) -> bool:
    return str(err.get("code")) == REFUSED_CODE and str(err.get("pointer") or "").endswith(
        GROUP_POINTER_SUFFIX
    )


UNUSABLE = {"expired": "has expired", "no-longer-eligible": "is no longer eligible"}


def unusable_groups(order: Any) -> list[str]:
    """Warnings for an open order whose numbers rely on a group that expired or became
    no-longer-eligible (Telnyx's rules changed): the numbers still pending will not be vetted
    on it, so someone must attach a new group. Groups named when ordering and attached since."""
    if order.is_final:
        return []
    from orders.models import GroupAttachment

    ids = {
        str(n["requirement_group_id"])
        for n in order.requested_numbers or []
        if n.get("requirement_group_id")
    }
    ids |= set(
        GroupAttachment.objects.filter(
            sub_order__number_order=order, state=GroupAttachment.State.DONE
        ).values_list("group_telnyx_id", flat=True)
    )
    if not ids:
        return []
    links = RequirementGroupLink.objects.filter(telnyx_id__in=ids, status__in=UNUSABLE)
    return [
        f"The {link.country_code} {link.phone_number_type} requirement group these numbers rely "
        f"on {UNUSABLE[link.status]}: use another approved group for the pending numbers."
        for link in links.order_by("country_code", "pk")
    ]
