"""The Telnyx sub number orders report, requested from the portal, against the sandbox.

A real Celery worker asks the sandbox for the report and polls it; the page's htmx fragment
shows the progress and stops polling (286) once the CSV is stored; managers download it
(audited); the file is kept encrypted in the private root and deleted after the retention
period; a lost message is re-published by the page's poll and by the beat task.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from compliance.models import AuditEntry
from orders import reports, tasks
from orders.models import SubOrdersReport
from tests.orders.conftest import wait_for

State = SubOrdersReport.State
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def report_root(settings, tmp_path) -> Path:
    root = tmp_path / "reports"
    settings.ORDERS_REPORT_ROOT = root
    return root


@pytest.fixture
def report_worker(celery_worker_factory, sandbox_worker_env, report_root):
    return celery_worker_factory(
        {
            **sandbox_worker_env,
            "ORDERS_REPORT_ROOT": str(report_root),
            "ORDERS_REPORT_RECHECK_SECONDS": "2",
        }
    )


def _poll_until_done(client, report: SubOrdersReport, timeout: float = 45.0):
    """Poll the progress fragment as htmx would, until it answers 286 (stop polling)."""
    url = report.get_absolute_url() + "?part=progress"

    def done():
        response = client.get(url, **HTMX)
        assert response.status_code in (200, 286)
        return response if response.status_code == 286 else None

    return wait_for(done, timeout, "the report's progress fragment to stop polling")


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_p49_a_manager_requests_a_report_watches_it_and_downloads_the_csv(
    sandbox, report_worker, maria, maria_client, report_root
):
    placed = sandbox.order(sandbox.search("DE", "local", limit=2)[:2])
    response = maria_client.post(reverse("orders:reports"), {"country_code": "de"})
    assert response.status_code == 302
    report = SubOrdersReport.objects.get()
    assert response["Location"] == report.get_absolute_url()
    assert report.requested_by == maria and report.filters == {"country_code": "DE"}
    page = maria_client.get(report.get_absolute_url()).content.decode()
    assert 'hx-trigger="every' in page  # the page polls while the report is unfinished

    final = _poll_until_done(maria_client, report).content.decode()
    report.refresh_from_db()
    assert report.state == State.READY and report.telnyx_id
    assert "Ready to download" in final and "hx-trigger" not in final
    assert report.expires_at - report.ready_at == timedelta(days=7)
    created = sandbox.requests(path="/v2/sub_number_orders_report", method="POST")
    assert len(created) == 1

    download = maria_client.get(reverse("orders:report-download", args=[report.public_id]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in download["Cache-Control"]
    assert "sandbox" in download["Content-Security-Policy"]
    rows = list(csv.DictReader(io.StringIO(download.content.decode())))
    assert rows and {r["country_code"] for r in rows} == {"DE"}
    assert placed["id"] in {r["order_request_id"] for r in rows}
    assert report.row_count == len(rows)
    # Kept encrypted in the private root: the stored bytes are not the CSV.
    stored = (report_root / report.file_name).read_bytes()
    assert b"order_request_id" not in stored and placed["id"].encode() not in stored
    assert (report_root / report.file_name).stat().st_mode & 0o077 == 0
    assert maria_client.get(f"/media/reports/{report.file_name}").status_code == 404
    assert AuditEntry.objects.filter(
        action="report.downloaded", actor=maria, target_id=str(report.public_id)
    ).exists()


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_p49_a_lost_message_is_published_again_by_the_pages_poll(
    sandbox, report_worker, maria, maria_client
):
    # The row was committed but its message never reached the broker (Redis restarted).
    report = reports.request_report(maria, {"country_code": "US"})
    SubOrdersReport.objects.filter(pk=report.pk).update(
        touched_at=timezone.now() - timedelta(minutes=5)
    )
    _poll_until_done(maria_client, report)
    report.refresh_from_db()
    assert report.state == State.READY
    assert len(sandbox.requests(path="/v2/sub_number_orders_report", method="POST")) == 1


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_p49_the_beat_task_publishes_again_a_report_nobody_is_watching(
    sandbox, report_worker, maria
):
    report = reports.request_report(maria, {})
    SubOrdersReport.objects.filter(pk=report.pk).update(
        touched_at=timezone.now() - timedelta(minutes=5)
    )
    assert tasks.follow_sub_orders_reports() == 1
    assert tasks.follow_sub_orders_reports() == 0  # claimed: published once

    def ready():
        report.refresh_from_db()
        return report.state == State.READY

    wait_for(ready, 45, "the report to be ready")


@pytest.mark.integration
@pytest.mark.django_db
def test_a_report_telnyx_refuses_fails_with_telnyxs_reason(sandbox, maria, report_root):
    sandbox.script(action="status", path="/v2/sub_number_orders_report", status=422, times=1)
    report = reports.request_report(maria, {"country_code": "DE"})
    assert reports.create_at_telnyx(report.pk) == "failed"
    report.refresh_from_db()
    assert report.state == State.FAILED and "Telnyx refused the report" in report.error
    assert reports.create_at_telnyx(report.pk) == "skipped"  # a second run changes nothing


@pytest.mark.integration
@pytest.mark.django_db
def test_running_each_step_twice_stores_one_file(sandbox, maria, report_root):
    report = reports.request_report(maria, {})
    assert reports.create_at_telnyx(report.pk) == "generating"
    assert reports.create_at_telnyx(report.pk) == "skipped"
    sandbox.advance(5)
    assert reports.check_at_telnyx(report.pk) == "ready"
    assert reports.check_at_telnyx(report.pk) == "skipped"
    assert len(reports.file_names()) == 1


@pytest.mark.django_db
def test_p45_retention_deletes_the_file_and_the_download_says_it_is_gone(
    maria_client, maria, report_root
):
    report = reports.request_report(maria, {})
    name = reports.store_file(b"id,status\n1,success\n")
    now = timezone.now()
    SubOrdersReport.objects.filter(pk=report.pk).update(
        state=State.READY, file_name=name, ready_at=now - timedelta(days=8),
        expires_at=now - timedelta(days=1),
    )  # fmt: skip
    fresh = reports.request_report(maria, {})
    kept = reports.store_file(b"id\n")
    SubOrdersReport.objects.filter(pk=fresh.pk).update(
        state=State.READY, file_name=kept, ready_at=now, expires_at=now + timedelta(days=7)
    )
    assert tasks.purge_expired_sub_orders_reports() == 1
    assert reports.file_names() == {kept}
    report.refresh_from_db()
    assert report.state == State.EXPIRED and report.file_name == ""
    gone = maria_client.get(reverse("orders:report-download", args=[report.public_id]))
    assert gone.status_code == 410 and "no longer kept" in gone.content.decode()
    assert AuditEntry.objects.filter(action="report.purged").count() == 1


@pytest.mark.django_db
def test_staff_and_outsiders_cannot_request_or_download_reports(
    alice_client, olga_client, maria, report_root
):
    report = reports.request_report(maria, {})
    name = reports.store_file(b"id\n")
    SubOrdersReport.objects.filter(pk=report.pk).update(
        state=State.READY, file_name=name, ready_at=timezone.now(),
        expires_at=timezone.now() + timedelta(days=1),
    )  # fmt: skip
    download = reverse("orders:report-download", args=[report.public_id])
    for client in (alice_client, olga_client):
        assert client.get(reverse("orders:reports")).status_code == 403
        assert client.post(reverse("orders:reports"), {}).status_code == 403
        assert client.get(download).status_code == 403
    assert SubOrdersReport.objects.count() == 1
    assert not AuditEntry.objects.filter(action="report.downloaded").exists()


@pytest.mark.django_db
def test_bad_filters_are_refused_with_a_message_and_nothing_is_requested(
    maria_client, report_root, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as published:
        response = maria_client.post(
            reverse("orders:reports"),
            {"country_code": "D1", "created_from": "2026-11-02", "created_to": "2026-11-01"},
        )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Use the two-letter country code" in html
    assert "is before" in html
    assert not SubOrdersReport.objects.exists() and not published


@pytest.mark.django_db
def test_p17_the_first_step_is_published_only_after_commit(
    maria_client, report_root, django_capture_on_commit_callbacks, private_broker
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        maria_client.post(
            reverse("orders:reports"),
            {"country_code": "FR", "created_from": "2026-11-01", "created_to": "2026-11-30"},
        )
        assert private_broker.queued() == 0
    report = SubOrdersReport.objects.get()
    assert report.filters == {
        "country_code": "FR",
        "created_at_gt": "2026-11-01T00:00:00+00:00",
        "created_at_lt": "2026-12-01T00:00:00+00:00",
    }
    for callback in callbacks:
        callback()
    assert private_broker.queued() == 1


def test_the_report_beat_entries_name_registered_tasks_and_expire_in_time():
    from django.conf import settings

    from portal.celery import app

    entries = {
        name: settings.CELERY_BEAT_SCHEDULE[name]
        for name in ("orders-follow-reports", "orders-report-retention")
    }
    for entry in entries.values():
        assert entry["task"] in app.tasks
        assert 0 < entry["options"]["expires"] < entry["schedule"]
    # The follow-up runs well within the time a person waits on the page.
    assert entries["orders-follow-reports"]["schedule"] <= 60


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_p49_with_the_broker_down_the_request_is_kept_and_finishes_once_it_is_back(
    sandbox, sandbox_worker_env, report_root, private_broker, celery_worker_factory,
    maria_client, settings,
):  # fmt: skip
    celery_worker_factory(
        {
            **sandbox_worker_env,
            **private_broker.worker_env,
            "ORDERS_REPORT_ROOT": str(report_root),
            "ORDERS_REPORT_RECHECK_SECONDS": "2",
        }
    )
    private_broker.stop()  # really down: connections are refused
    response = maria_client.post(reverse("orders:reports"), {"country_code": "GB"})
    private_broker.start()
    assert response.status_code == 302  # the manager is not shown an error
    report = SubOrdersReport.objects.get()
    assert report.state == State.QUEUED
    assert not sandbox.requests(path="/v2/sub_number_orders_report", method="POST")
    # Redis is back; the page's next poll finds the row quiet and publishes it again.
    settings.ORDERS_REPORT_RECHECK_SECONDS = 0
    _poll_until_done(maria_client, report)
    report.refresh_from_db()
    assert report.state == State.READY
    assert len(sandbox.requests(path="/v2/sub_number_orders_report", method="POST")) == 1
