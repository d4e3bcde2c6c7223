"""The local cache of the Telnyx requirements catalogue (names, help text, acceptance criteria).

Refreshed by Celery beat from ``/requirements`` (and ``/requirement_types`` for ids a sub order
names that the listing did not include). The ids to fill always come from the sub order itself;
the catalogue only explains them. The three Telnyx APIs disagree on shapes (``max_length`` an int
here, a string there; ``address_id`` vs ``address``), so everything is normalised on the way in.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.core.cache import cache
from django.utils import timezone

from compliance.models import RequirementType

logger = logging.getLogger(__name__)

MISS_SECONDS = 600
_MISS_KEY = "compliance:catalogue:miss:"

FIELD_TYPES = {"address_id": "address", "document_id": "document", "date": "datetime"}


def normalise_field_type(value: str | None) -> str:
    value = (value or "").strip().lower()
    return FIELD_TYPES.get(value, value)


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def normalise_criteria(raw: Any) -> dict[str, Any]:
    """Acceptance criteria as one shape: ints for lengths, a list for values."""
    if raw is None:
        return {}
    data = raw if isinstance(raw, dict) else raw.model_dump()
    values = data.get("acceptable_values") or []
    if isinstance(values, str):
        values = [values]
    return {
        "min_length": _int(data.get("min_length")),
        "max_length": _int(data.get("max_length")),
        "acceptable_characters": data.get("acceptable_characters") or "",
        "acceptable_values": [str(v) for v in values],
        "regex": data.get("regex") or "",
        "case_sensitive": bool(data.get("case_sensitive", False)),
        "locality_limit": data.get("locality_limit") or "",
        "time_limit": data.get("time_limit") or "",
    }


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def store_type(raw: Any, scope: dict[str, str] | None = None) -> RequirementType:
    """Upsert one requirement type from a Telnyx answer."""
    telnyx_id = str(_get(raw, "id"))
    row, _ = RequirementType.objects.get_or_create(telnyx_id=telnyx_id, defaults={"name": ""})
    row.name = _get(raw, "name") or _get(raw, "label") or row.name or telnyx_id
    row.description = _get(raw, "description") or ""
    row.example = _get(raw, "example") or ""
    row.field_type = normalise_field_type(_get(raw, "type") or _get(raw, "field_type"))
    row.acceptance_criteria = normalise_criteria(_get(raw, "acceptance_criteria"))
    if scope and scope not in row.applies_to:
        row.applies_to = [*row.applies_to, scope]
    row.refreshed_at = timezone.now()
    row.save()
    return row


def refresh() -> int:
    """Reload the catalogue from Telnyx; return the number of requirement types stored."""
    from portal.telnyx import get_client

    client = get_client()
    count = 0
    for requirement in client.iter_requirements():
        scope = {
            "country_code": _get(requirement, "country_code") or "",
            "phone_number_type": _get(requirement, "phone_number_type") or "",
            "action": _get(requirement, "action") or "",
        }
        for requirement_type in _get(requirement, "requirement_types") or []:
            store_type(requirement_type, scope)
            count += 1
    return count


def cached(requirement_ids: Iterable[str]) -> dict[str, RequirementType]:
    """The cached types for ``requirement_ids`` (no call to Telnyx)."""
    ids = [str(i) for i in requirement_ids]
    return {r.telnyx_id: r for r in RequirementType.objects.filter(telnyx_id__in=ids)}


def ensure(requirement_ids: Iterable[str]) -> dict[str, RequirementType]:
    """The cached types for ``requirement_ids``, fetching any missing one from Telnyx.

    A failed fetch is remembered for a while, so a page never waits on Telnyx twice for the
    same unknown id; the form works from the sub order's own field types meanwhile.
    """
    ids = [str(i) for i in requirement_ids]
    found = cached(ids)
    missing = [i for i in ids if i not in found and not cache.get(_MISS_KEY + i)]
    if not missing:
        return found
    from portal.telnyx import get_client
    from portal.telnyx.errors import TelnyxError

    client = get_client()
    for requirement_id in missing:
        try:
            found[requirement_id] = store_type(client.get_requirement_type(requirement_id))
        except TelnyxError:
            cache.set(_MISS_KEY + requirement_id, True, MISS_SECONDS)
            logger.warning("requirement type %s could not be fetched", requirement_id)
    return found


def label_for(requirement_id: str) -> str:
    row = RequirementType.objects.filter(telnyx_id=requirement_id).first()
    return row.name if row else f"Requirement {requirement_id[:8]}"


def known_scopes(action: str = "ordering") -> list[tuple[str, str]]:
    """Every (country, number type) the cached catalogue has requirements for, sorted."""
    scopes: set[tuple[str, str]] = set()
    for applies_to in RequirementType.objects.values_list("applies_to", flat=True):
        for scope in applies_to or []:
            if scope.get("action", action) == action and scope.get("country_code"):
                scopes.add((str(scope["country_code"]).upper(), str(scope["phone_number_type"])))
    return sorted(scopes)


def requirements_in(
    country_code: str, phone_number_type: str, action: str = "ordering"
) -> list[dict[str, str]]:
    """The requirements of one (country, type) as ``[{requirement_id, field_type}]`` (the shape
    of a sub order's ``regulatory_requirements``, which the requirement form is built from)."""
    scope = {
        "country_code": country_code.upper(),
        "phone_number_type": phone_number_type,
        "action": action,
    }
    rows = RequirementType.objects.filter(applies_to__contains=[scope]).order_by("name")
    return [{"requirement_id": r.telnyx_id, "field_type": r.field_type} for r in rows]
