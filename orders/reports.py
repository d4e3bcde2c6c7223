"""The Telnyx sub number orders CSV report, requested from the portal.

A manager asks for a report: a ``SubOrdersReport`` row is committed first, then a task asks
Telnyx to create it (``request_sub_orders_report``) and another polls it until Telnyx says
``success`` and downloads the CSV (``check_sub_orders_report``). The CSV is kept encrypted
(Fernet, the document keys) under ``ORDERS_REPORT_ROOT`` in the private root, never under a
public URL, and deleted ``ORDERS_REPORT_RETENTION_DAYS`` after it was ready.

A lost message (Redis restarted, worker killed) does not leave a report stuck: an unfinished
row that nobody touched for ``ORDERS_REPORT_RECHECK_SECONDS`` is published again, by the page's
progress poll and by the beat task ``follow_sub_orders_reports``. Every step is a conditional
UPDATE from the state it expects, so running one twice changes nothing; a duplicate create at
Telnyx costs nothing (the first id kept wins).

The file store is a few lines of its own rather than ``compliance.documents.vault``: ``orders``
does not import ``compliance``.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import re
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from orders.models import SubOrdersReport
from portal import outbox
from portal.audit import record
from portal.telnyx import get_client
from portal.telnyx.errors import TelnyxError

log = logging.getLogger(__name__)

State = SubOrdersReport.State
_NAME = re.compile(r"^[0-9a-f]{32}$")


class ReportFileMissing(Exception):
    """The report's file is gone (expired, purged) or cannot be decrypted."""


# -- the private, encrypted file store -------------------------------------------------------
def _cipher() -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in settings.DOCUMENT_ENCRYPTION_KEYS])


def _root() -> Path:
    path = Path(settings.ORDERS_REPORT_ROOT)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _path(name: str) -> Path:
    if not _NAME.fullmatch(name or ""):
        raise ValueError("invalid report file name")
    return _root() / name


def store_file(data: bytes) -> str:
    """Encrypt and write ``data`` (0600, atomically); return its random name."""
    name = uuid.uuid4().hex
    target = _path(name)
    tmp = target.with_name(f".{name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(_cipher().encrypt(data))
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return name


def read_file(report: SubOrdersReport) -> bytes:
    if report.state != State.READY or not report.file_name:
        raise ReportFileMissing("this report has no file")
    try:
        return _cipher().decrypt(_path(report.file_name).read_bytes())
    except (OSError, InvalidToken) as exc:
        raise ReportFileMissing("the report file cannot be read") from exc


def delete_file(name: str) -> None:
    if name:
        _path(name).unlink(missing_ok=True)


# -- requesting ------------------------------------------------------------------------------
def telnyx_filters(
    country_code: str = "",
    status: str = "",
    created_from: datetime | None = None,
    created_to: datetime | None = None,
) -> dict[str, str]:
    """The report filters in Telnyx's shape (only those given)."""
    filters: dict[str, str] = {}
    if country_code:
        filters["country_code"] = country_code.upper()
    if status:
        filters["status"] = status
    if created_from:
        filters["created_at_gt"] = created_from.isoformat()
    if created_to:
        filters["created_at_lt"] = created_to.isoformat()
    return filters


def request_report(user: Any, filters: dict[str, str], request: Any = None) -> SubOrdersReport:
    """Write the job row (the caller publishes its first step after commit, P17)."""
    report = SubOrdersReport.objects.create(requested_by=user, filters=filters)
    record(user, "report.requested", report, request, filters=sorted(filters))
    return report


def create_at_telnyx(report_id: int) -> str:
    """Ask Telnyx for the report (QUEUED → GENERATING). Transient errors propagate."""
    report = SubOrdersReport.objects.filter(
        pk=report_id, state=State.QUEUED, telnyx_id__isnull=True
    ).first()
    if report is None:
        return "skipped"
    SubOrdersReport.objects.filter(pk=report_id).update(touched_at=timezone.now())
    try:
        created = get_client().create_sub_number_orders_report(**report.filters)
    except TelnyxError as exc:
        if exc.permanent:
            fail(report_id, f"Telnyx refused the report: {exc}", expected=State.QUEUED)
            return "failed"
        raise
    moved = SubOrdersReport.objects.filter(
        pk=report_id, state=State.QUEUED, telnyx_id__isnull=True
    ).update(
        telnyx_id=str(created.id),
        telnyx_status=created.status or "",
        state=State.GENERATING,
        touched_at=timezone.now(),
    )
    return "generating" if moved else "skipped"


def check_at_telnyx(report_id: int) -> str:
    """Ask Telnyx how the report is doing; store the CSV once it is ``success``.

    Returns ``pending`` (ask again later), ``ready``, ``failed`` or ``skipped``.
    """
    report = SubOrdersReport.objects.filter(
        pk=report_id, state=State.GENERATING, telnyx_id__isnull=False
    ).first()
    if report is None or report.telnyx_id is None:
        return "skipped"
    SubOrdersReport.objects.filter(pk=report_id).update(
        touched_at=timezone.now(), checks=report.checks + 1
    )
    client = get_client()
    try:
        status = client.get_sub_number_orders_report(report.telnyx_id).status or ""
        if status != "success":
            if status in ("pending", ""):
                SubOrdersReport.objects.filter(pk=report_id).update(telnyx_status=status)
                return "pending"
            fail(report_id, f"Telnyx reports the report as {status}.", telnyx_status=status)
            return "failed"
        data = client.download_sub_number_orders_report(report.telnyx_id)
    except TelnyxError as exc:
        if exc.permanent:
            fail(report_id, f"Telnyx refused the report: {exc}")
            return "failed"
        raise
    name = store_file(data)
    now = timezone.now()
    moved = SubOrdersReport.objects.filter(pk=report_id, state=State.GENERATING).update(
        state=State.READY,
        telnyx_status="success",
        file_name=name,
        file_size=len(data),
        row_count=_count_rows(data),
        ready_at=now,
        expires_at=now + timedelta(days=settings.ORDERS_REPORT_RETENTION_DAYS),
        touched_at=now,
    )
    if not moved:  # another run stored it first
        delete_file(name)
        return "skipped"
    return "ready"


def _count_rows(data: bytes) -> int:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8", errors="replace"))))
    return max(0, len(rows) - 1)


def fail(
    report_id: int, message: str, expected: str = State.GENERATING, telnyx_status: str = ""
) -> None:
    update: dict[str, Any] = {"state": State.FAILED, "error": message[:1000]}
    if telnyx_status:
        update["telnyx_status"] = telnyx_status
    SubOrdersReport.objects.filter(pk=report_id, state=expected).update(**update)


def give_up(report_id: int, message: str) -> None:
    """Stop following an unfinished report (Telnyx never finished it)."""
    SubOrdersReport.objects.filter(pk=report_id, state__in=[State.QUEUED, State.GENERATING]).update(
        state=State.FAILED, error=message[:1000]
    )


# -- lost messages and retention ------------------------------------------------------------
def stale_reports(now: datetime | None = None) -> list[SubOrdersReport]:
    """Unfinished reports nobody worked on for ``ORDERS_REPORT_RECHECK_SECONDS``."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.ORDERS_REPORT_RECHECK_SECONDS)
    return list(
        SubOrdersReport.objects.filter(
            state__in=[State.QUEUED, State.GENERATING], touched_at__lt=cutoff
        ).only("pk", "state", "touched_at")
    )


def claim_stale(report: SubOrdersReport) -> bool:
    """Whether this caller should publish the next step of a quiet unfinished report again.

    The claim is a conditional UPDATE of ``touched_at``, so two pollers (or a poll and the beat
    task) publish it once.
    """
    cutoff = timezone.now() - timedelta(seconds=settings.ORDERS_REPORT_RECHECK_SECONDS)
    return bool(
        SubOrdersReport.objects.filter(
            Q(touched_at__lt=cutoff), pk=report.pk, state=report.state
        ).update(touched_at=timezone.now())
    )


def purge_expired(now: datetime | None = None) -> int:
    """Delete the files of reports past their expiry; the rows stay, marked expired."""
    now = now or timezone.now()
    count = 0
    for report in SubOrdersReport.objects.filter(state=State.READY, expires_at__lt=now):
        delete_file(report.file_name)
        if SubOrdersReport.objects.filter(pk=report.pk, state=State.READY).update(
            state=State.EXPIRED, file_name="", file_size=0
        ):
            record(None, "report.purged", report, reason="retention period over")
            count += 1
    if count:
        log.info("report retention deleted %d files", count)
    return count


def file_names() -> set[str]:
    """Every stored report file (for an orphan check)."""
    return {p.name for p in _root().iterdir() if _NAME.fullmatch(p.name)}


REQUEST_TASK = "orders.tasks.request_sub_orders_report"
CHECK_TASK = "orders.tasks.check_sub_orders_report"


def publish_step(report: SubOrdersReport) -> None:
    """Publish the next step of an unfinished report after the current transaction commits.

    A broker that is down only delays it: the row stays unfinished and is published again by
    the page's poll or ``follow_sub_orders_reports`` (P49). Tasks are named, not imported: the
    tasks module imports this one.
    """
    name = REQUEST_TASK if report.state == SubOrdersReport.State.QUEUED else CHECK_TASK
    report_id = report.pk
    transaction.on_commit(lambda: outbox.send_task(name, report_id))
