"""Sub number orders reports: request one, watch its progress, download the CSV (managers).

The progress fragment is polled while the report is unfinished; it stops the poll (286) once
the report is ready or failed, and republishes a step whose message was lost (see
``orders/reports.py``). Downloads are audited and never cached or rendered by the browser.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseStopPolling

from orders import reports
from orders.forms import ReportRequestForm
from orders.models import SubOrdersReport
from portal.audit import record
from portal.htmx import HtmxHttpRequest
from portal.middleware import no_store

VIEW = "orders.view_subordersreport"
ADD = "orders.add_subordersreport"
DOWNLOAD = "orders.download_subordersreport"


def _day(value: date | None, next_day: bool = False) -> datetime | None:
    if value is None:
        return None
    start = datetime.combine(value, time.min)
    if next_day:
        start += timedelta(days=1)
    return timezone.make_aware(start)


@login_required
@permission_required(VIEW, raise_exception=True)
@require_http_methods(["GET", "POST"])
def report_list(request: HtmxHttpRequest) -> HttpResponse:
    form = ReportRequestForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm(ADD):
            raise Http404("Not found")
        if form.is_valid():
            data = form.cleaned_data
            filters = reports.telnyx_filters(
                country_code=data["country_code"],
                status=data["status"],
                created_from=_day(data["created_from"]),
                created_to=_day(data["created_to"], next_day=True),
            )
            report = reports.request_report(request.user, filters, request)
            reports.publish_step(report)
            return redirect(report)
    recent = SubOrdersReport.objects.select_related("requested_by")[:50]
    return render(
        request,
        "orders/reports.html",
        {
            "form": form,
            "reports": recent,
            "retention_days": settings.ORDERS_REPORT_RETENTION_DAYS,
        },
        status=400 if form.errors else 200,
    )


@login_required
@permission_required(VIEW, raise_exception=True)
@require_GET
@vary_on_headers("HX-Request")
def report_detail(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    report = get_object_or_404(
        SubOrdersReport.objects.select_related("requested_by"), public_id=public_id
    )
    context = {"report": report, "poll_seconds": settings.ORDERS_PROGRESS_POLL_SECONDS}
    if request.htmx and request.GET.get("part") == "progress":
        if report.is_open and reports.claim_stale(report):
            # Nobody worked on it lately: its message was lost; publish the step again.
            reports.publish_step(report)
        response = render(request, "orders/report_detail.html#progress", context)
        if not report.is_open:
            response.status_code = HttpResponseStopPolling.status_code
        return response
    return render(request, "orders/report_detail.html", context)


@login_required
@permission_required(DOWNLOAD, raise_exception=True)
@require_GET
@no_store
def report_download(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    report = get_object_or_404(SubOrdersReport, public_id=public_id)
    try:
        data = reports.read_file(report)
    except reports.ReportFileMissing as exc:
        if report.state != SubOrdersReport.State.EXPIRED:
            raise Http404("This report has no file yet.") from exc
        context = {"report": report, "retention_days": settings.ORDERS_REPORT_RETENTION_DAYS}
        return render(request, "orders/report_gone.html", context, status=410)
    record(request.user, "report.downloaded", report, request, size=len(data))
    response = HttpResponse(data, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"sub-number-orders-{report.ready_at:%Y%m%d-%H%M}.csv"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
