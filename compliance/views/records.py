"""The submissions list (with decisions) and the audit trail (managers), filtered in the query
string, each with its CSV export under the same filters. Exports are audited."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django_filters import FilterSet

from compliance import exports
from compliance.access import VIEW_PERM
from compliance.filters import AuditFilter, SubmissionFilter
from compliance.models import AuditEntry, Submission
from orders.access import visible_orders
from portal import audit
from portal.csv_export import csv_response, filters_query
from portal.htmx import HtmxHttpRequest

AUDIT_PERM = "compliance.view_auditentry"


def _submissions(request: HtmxHttpRequest) -> SubmissionFilter:
    if not request.user.has_perm(VIEW_PERM):
        raise Http404("Not found")
    base = Submission.objects.filter(sub_order__number_order__in=visible_orders(request.user))
    return SubmissionFilter(request.GET, queryset=base, request=request)


def _page(
    request: HtmxHttpRequest, template: str, filterset: FilterSet, rows: QuerySet[Any]
) -> HttpResponse:
    paginator: Paginator[Any] = Paginator(rows, int(settings.ORDERS_LIST_PAGE_SIZE))
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "filter": filterset,
        "form": filterset.form,
        "page": page,
        "query": filters_query(request),
    }
    return render(request, template + ("#table" if request.htmx else ""), context)


def _refused(request: HtmxHttpRequest, filterset: object) -> HttpResponse:
    return render(request, "export_refused.html", {"filter": filterset}, status=400)


@login_required
def submission_list(request: HtmxHttpRequest) -> HttpResponse:
    filterset = _submissions(request)
    rows = filterset.qs.select_related("sub_order", "number", "submitted_by", "decided_by")
    return _page(request, "compliance/submissions.html", filterset, rows)


@login_required
def submission_export(request: HtmxHttpRequest) -> HttpResponseBase:
    filterset = _submissions(request)
    if not filterset.is_valid():
        return _refused(request, filterset)
    audit.record(request.user, "export.submissions", None, request, filters=filters_query(request))
    return csv_response(
        f"submissions-{timezone.now():%Y%m%d-%H%M}.csv",
        exports.SUBMISSION_HEADER,
        exports.submission_rows(filterset.qs),
    )


@login_required
@permission_required(AUDIT_PERM, raise_exception=True)
def audit_list(request: HtmxHttpRequest) -> HttpResponse:
    filterset = AuditFilter(request.GET, queryset=AuditEntry.objects.all(), request=request)
    return _page(request, "compliance/audit.html", filterset, filterset.qs)


@login_required
@permission_required(AUDIT_PERM, raise_exception=True)
def audit_export(request: HtmxHttpRequest) -> HttpResponseBase:
    filterset = AuditFilter(request.GET, queryset=AuditEntry.objects.all(), request=request)
    if not filterset.is_valid():
        return _refused(request, filterset)
    # Recorded before the rows are read: the export lists itself.
    audit.record(request.user, "export.audit", None, request, filters=filters_query(request))
    return csv_response(
        f"audit-{timezone.now():%Y%m%d-%H%M}.csv",
        exports.AUDIT_HEADER,
        exports.audit_rows(filterset.qs),
    )
