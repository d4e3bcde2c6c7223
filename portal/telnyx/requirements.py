"""The requirements catalogue: three overlapping Telnyx APIs, read-only.

``/requirements`` only knows local/national/toll_free; ``/regulatory_requirements`` covers every
number type (use it for mobile); ``/phone_numbers_regulatory_requirements`` answers for specific
numbers before they are ordered.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from portal.telnyx.endpoint import Endpoints, seg
from portal.telnyx.models import (
    PhoneNumberRegulatoryRequirements,
    RegulatoryRequirements,
    Requirement,
    RequirementType,
)
from portal.telnyx.pagination import filter_params


def _sort(sort: str | list[str] | None) -> list[tuple[str, str]]:
    if not sort:
        return []
    values = [sort] if isinstance(sort, str) else list(sort)
    return [("sort", v) for v in values]


class RequirementsMixin(Endpoints):
    def iter_requirements(
        self,
        sort: str | list[str] | None = None,
        version: int | None = None,
        **filters: Any,
    ) -> Iterator[Requirement]:
        """GET /requirements (ListRequirements), every page.

        Filters: ``country_code``, ``phone_number_type`` (local|national|toll_free only),
        ``action`` (branded_calling|ordering|porting).
        """
        extra = _sort(sort)
        if version is not None:
            extra.append(("version", str(version)))
        return self._iter(Requirement, "requirements", filters, extra=extra)

    def get_requirement(self, id: str, version: int | None = None) -> Requirement:
        """GET /requirements/{id} (RetrieveDocumentRequirements)."""
        params = [("version", str(version))] if version is not None else None
        return self._one(Requirement, "GET", f"requirements/{seg(id)}", params=params)

    def list_requirement_types(
        self, name_contains: str | None = None, sort: str | list[str] | None = None, **filters: Any
    ) -> list[RequirementType]:
        """GET /requirement_types (ListRequirementTypes); not paged."""
        if name_contains:
            filters["name__contains"] = name_contains
        params = filter_params(filters) + _sort(sort)
        return self._many(RequirementType, "GET", "requirement_types", params=params)

    def get_requirement_type(self, id: str) -> RequirementType:
        """GET /requirement_types/{id} (RetrieveRequirementType): label, description and
        acceptance criteria of a sub order's ``requirement_id``."""
        return self._one(RequirementType, "GET", f"requirement_types/{seg(id)}")

    def list_regulatory_requirements(self, **filters: Any) -> list[RegulatoryRequirements]:
        """GET /regulatory_requirements (ListRegulatoryRequirements); not paged.

        Filters: ``country_code``, ``phone_number_type``, ``action``, ``phone_number``,
        ``requirement_group_id``.
        """
        return self._many(
            RegulatoryRequirements,
            "GET",
            "regulatory_requirements",
            params=filter_params(filters),
        )

    def list_phone_number_regulatory_requirements(
        self, phone_numbers: list[str]
    ) -> list[PhoneNumberRegulatoryRequirements]:
        """GET /phone_numbers_regulatory_requirements for specific E.164 numbers."""
        if not phone_numbers:
            return []
        return list(
            self._iter(
                PhoneNumberRegulatoryRequirements,
                "phone_numbers_regulatory_requirements",
                {"phone_number": ",".join(phone_numbers)},
                style="undeclared",
            )
        )
