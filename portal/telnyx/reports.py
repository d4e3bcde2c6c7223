"""The sub number orders CSV report: create (202), poll until ``success``, download."""

from __future__ import annotations

from typing import Any

from portal.telnyx.endpoint import Endpoints, compact, seg
from portal.telnyx.models import SubNumberOrdersReport

_FILTERS = frozenset(
    {
        "country_code",
        "created_at_gt",
        "created_at_lt",
        "customer_reference",
        "order_request_id",
        "status",
    }
)


class ReportsMixin(Endpoints):
    def create_sub_number_orders_report(self, **filters: Any) -> SubNumberOrdersReport:
        """POST /sub_number_orders_report (CreateSubNumberOrdersReport).

        A duplicate report costs nothing and changes no state, so unlike other creating POSTs
        this one is retried like a read.
        """
        unknown = set(filters) - _FILTERS
        if unknown:
            raise TypeError(f"unknown report filters: {', '.join(sorted(unknown))}")
        body = compact({k: str(v) for k, v in filters.items() if v is not None})
        return self._one(SubNumberOrdersReport, "POST", "sub_number_orders_report", json=body)

    def get_sub_number_orders_report(self, id: str) -> SubNumberOrdersReport:
        """GET /sub_number_orders_report/{id} (GetSubNumberOrdersReport)."""
        return self._one(SubNumberOrdersReport, "GET", f"sub_number_orders_report/{seg(id)}")

    def download_sub_number_orders_report(self, id: str) -> bytes:
        """GET /sub_number_orders_report/{id}/download: the CSV bytes."""
        response = self._transport.request(
            "GET",
            f"sub_number_orders_report/{seg(id)}/download",
            headers={"Accept": "text/csv"},
        )
        return response.content
