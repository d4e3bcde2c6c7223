"""What the submissions and audit trail CSV exports contain, row by row from a server-side
cursor (flat memory). Never values or document contents: a submission row says who submitted
what for which sub order and how it was decided; the audit trail holds no personal values."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet

from compliance.models import AuditEntry, Submission

CHUNK = 2000

SUBMISSION_HEADER = [
    "Submission id",
    "Telnyx sub order id",
    "Country",
    "Type",
    "For number",
    "Status",
    "Submitted by",
    "Submitted",
    "Decided by",
    "Decided",
    "Decision reason",
    "Sent to Telnyx",
    "Error",
]
_SUBMISSION_FIELDS = (
    "public_id",
    "sub_order__telnyx_id",
    "sub_order__country_code",
    "sub_order__phone_number_type",
    "number__phone_number",
    "status",
    "submitted_by__username",
    "created_at",
    "decided_by__username",
    "decided_at",
    "decision_reason",
    "sent_at",
    "error",
)
_STATUS_LABELS = dict(Submission.Status.choices)

AUDIT_HEADER = [
    "When",
    "Who",
    "Action",
    "Target type",
    "Target id",
    "Target",
    "Method",
    "Path",
    "IP",
    "Request id",
    "Details",
]
_AUDIT_FIELDS = (
    "at",
    "actor_label",
    "action",
    "target_type",
    "target_id",
    "target_label",
    "method",
    "path",
    "ip",
    "request_id",
    "details",
)


def submission_rows(qs: QuerySet[Submission]) -> Iterator[list[Any]]:
    for row in qs.values_list(*_SUBMISSION_FIELDS).iterator(chunk_size=CHUNK):
        values = list(row)
        values[4] = values[4] or "whole sub order"
        values[5] = _STATUS_LABELS.get(values[5], values[5])
        yield values


def audit_rows(qs: QuerySet[AuditEntry]) -> Iterator[list[Any]]:
    for row in qs.values_list(*_AUDIT_FIELDS).iterator(chunk_size=CHUNK):
        values = list(row)
        values[-1] = json.dumps(values[-1], sort_keys=True, ensure_ascii=False)
        yield values
