"""Requirement groups: reusable, pre-filled requirement values for one country/type/action.

The API answers with bare objects and a bare array (no ``data`` wrapper); both shapes are read.
"""

from __future__ import annotations

from typing import Any

from portal.telnyx.creating import new_reference
from portal.telnyx.endpoint import Endpoints, compact, requirement_values, seg
from portal.telnyx.models import RequirementGroup
from portal.telnyx.pagination import filter_params


class GroupsMixin(Endpoints):
    def list_requirement_groups(self, **filters: Any) -> list[RequirementGroup]:
        """GET /requirement_groups (GetRequirementGroups); not paged.

        Filters: ``country_code``, ``phone_number_type``, ``action``, ``status``,
        ``customer_reference``.
        """
        return self._many(
            RequirementGroup, "GET", "requirement_groups", params=filter_params(filters)
        )

    def create_requirement_group(
        self,
        country_code: str,
        phone_number_type: str,
        action: str = "ordering",
        customer_reference: str | None = None,
        regulatory_requirements: list[dict[str, Any]] | None = None,
    ) -> RequirementGroup:
        """POST /requirement_groups (CreateRequirementGroup), reconciled by reference."""
        reference = customer_reference or new_reference("group")
        body = compact(
            {
                "country_code": country_code,
                "phone_number_type": phone_number_type,
                "action": action,
                "customer_reference": reference,
                "regulatory_requirements": requirement_values(regulatory_requirements)
                if regulatory_requirements
                else None,
            }
        )

        def send() -> RequirementGroup:
            return self._one(RequirementGroup, "POST", "requirement_groups", json=body, retry=False)

        def lookup() -> RequirementGroup | None:
            for group in self.list_requirement_groups(customer_reference=reference):
                if group.customer_reference == reference:
                    return group
            return None

        return self._create(what="requirement group", send=send, lookup=lookup, reference=reference)

    def get_requirement_group(self, id: str) -> RequirementGroup:
        """GET /requirement_groups/{id} (GetRequirementGroup)."""
        return self._one(RequirementGroup, "GET", f"requirement_groups/{seg(id)}")

    def update_requirement_group(
        self,
        id: str,
        customer_reference: str | None = None,
        regulatory_requirements: list[dict[str, Any]] | None = None,
    ) -> RequirementGroup:
        """PATCH /requirement_groups/{id} (UpdateRequirementGroup). Orders that already use
        the group do not pick up the change; attach it again to push new values."""
        body: dict[str, Any] = {}
        if customer_reference is not None:
            body["customer_reference"] = customer_reference
        if regulatory_requirements is not None:
            body["regulatory_requirements"] = requirement_values(regulatory_requirements)
        return self._one(RequirementGroup, "PATCH", f"requirement_groups/{seg(id)}", json=body)

    def delete_requirement_group(self, id: str) -> RequirementGroup | None:
        """DELETE /requirement_groups/{id} (DeleteRequirementGroup)."""
        return self._delete(RequirementGroup, f"requirement_groups/{seg(id)}")

    def submit_requirement_group(self, id: str) -> RequirementGroup:
        """POST /requirement_groups/{id}/submit_for_approval (SubmitRequirementGroup).

        Not blindly repeated: after an ambiguous failure the group is re-read, and a group
        already ``pending-approval`` (or further) counts as submitted.
        """
        path = f"requirement_groups/{seg(id)}/submit_for_approval"

        def send() -> RequirementGroup:
            return self._one(RequirementGroup, "POST", path, retry=False)

        def lookup() -> RequirementGroup | None:
            group = self.get_requirement_group(id)
            return group if group.status not in (None, "unapproved") else None

        return self._create(what="group submission", send=send, lookup=lookup, reference=None)
