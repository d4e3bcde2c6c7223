"""End to end against the sandbox with a real Celery worker: fill, approve, submit, vet.

Each test drives the portal through its views as alice (staff) and maria (manager), lets a real
worker subprocess run the submission chain, and moves the sandbox clock instead of sleeping.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from compliance import deadlines
from compliance.models import Submission
from notifications.models import Notification
from orders.sync import refresh_order, refresh_sub_order
from tests.compliance.conftest import place_sandbox_order
from tests.compliance.helpers import form_data, requirement_ids, submit, upload

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def wait_for_status(submission: Submission, *statuses: str, timeout: float = 45) -> Submission:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        submission.refresh_from_db()
        if submission.status in statuses:
            return submission
        time.sleep(0.2)
    raise AssertionError(f"submission stayed {submission.status}: {submission.error}")


def approve(maria_client, submission: Submission) -> None:
    url = reverse("admin:compliance_submission_decide", args=[submission.pk, "approve"])
    assert maria_client.post(url, {"reason": "Matches the contract"}).status_code == 302


def fill_and_get_approved(alice_client, maria_client, sub_order, data, number=None) -> Submission:
    assert submit(alice_client, sub_order, data, number=number).status_code == 302
    submission = Submission.objects.latest("created_at")
    assert submission.status == Submission.Status.AWAITING_APPROVAL
    approve(maria_client, submission)
    return wait_for_status(submission, Submission.Status.SUBMITTED, Submission.Status.FAILED)


def test_a_de_local_sub_order_is_filled_approved_submitted_and_vetted(
    sandbox, worker, alice, alice_client, maria_client
):
    order = place_sandbox_order(sandbox, alice)
    sub_order = order.sub_orders.get()
    assert {r["field_type"] for r in sub_order.regulatory_requirements} == {
        "address", "document", "textual",
    }  # fmt: skip
    document_id = upload(alice_client, sub_order)
    submission = fill_and_get_approved(
        alice_client, maria_client, sub_order, form_data(sub_order, document_id)
    )
    assert submission.status == Submission.Status.SUBMITTED, submission.error
    assert len(sandbox.requests(path="/v2/documents", method="POST")) == 1
    assert len(sandbox.requests(path="/v2/addresses", method="POST")) == 1
    assert (
        len(sandbox.requests(path=f"/v2/sub_number_orders/{sub_order.telnyx_id}", method="PATCH"))
        == 1
    )

    sandbox.advance(5)
    refresh_order(order)
    order.refresh_from_db()
    assert order.status == "success"
    page = alice_client.get(reverse("compliance:sub-order", args=[sub_order.public_id]))
    assert 'data-status="approved"' in page.content.decode()


def test_a_rejected_value_is_corrected_resubmitted_and_approved(
    sandbox, worker, alice, alice_client, maria_client
):
    order = place_sandbox_order(sandbox, alice)
    sub_order = order.sub_orders.get()
    document_id = upload(alice_client, sub_order)
    fill_and_get_approved(
        alice_client, maria_client, sub_order, form_data(sub_order, document_id, name="REJECT AG")
    )
    sandbox.advance(5)
    refresh_sub_order(sub_order)
    number = sub_order.numbers.get()
    assert number.requirements_status == "requirement-info-exception"
    assert number.deadline is not None
    page = alice_client.get(reverse("compliance:sub-order", args=[sub_order.public_id]))
    body = page.content.decode()
    assert 'data-status="declined"' in body
    assert "data-new-deadline" in body
    admin_comment = sub_order.comments.get(commenter_type="admin")
    assert admin_comment.body.splitlines()[0][:30] in body

    form_page = alice_client.get(
        reverse("compliance:requirement-form", args=[sub_order.public_id]) + "?correct=1"
    ).content.decode()
    assert 'value="REJECT AG"' in form_page
    assert "data-declined" in form_page

    second = fill_and_get_approved(
        alice_client, maria_client, sub_order, form_data(sub_order, document_id, name="Acme AG")
    )
    assert second.status == Submission.Status.SUBMITTED, second.error
    sandbox.advance(5)
    refresh_order(order)
    order.refresh_from_db()
    assert sub_order.numbers.get().requirements_status == "approved"
    assert order.status == "success"


def test_a_missed_deadline_cancels_the_order_and_reminders_are_sent(
    sandbox, worker, alice, maria, alice_client
):
    order = place_sandbox_order(sandbox, alice)
    sub_order = order.sub_orders.get()
    number = sub_order.numbers.get()
    assert number.deadline is not None

    # Alice placed the order and owns it; maria, a manager, is not told (the worker mails it).
    def told() -> list[tuple[str, str]]:
        rows = Notification.objects.order_by("pk").values_list("recipient__username", "title")
        return [(name, title.split(":")[0]) for name, title in rows]

    assert deadlines.send_reminders(now=sandbox.now()) == 1
    assert told()[-1] == ("alice", "Deadline within 72 h")
    sandbox.advance(49 * 3600)
    assert deadlines.send_reminders(now=sandbox.now()) == 1
    assert told()[-1] == ("alice", "Deadline within 24 h")

    sandbox.advance(24 * 3600)
    refresh_order(order)
    sub_order.refresh_from_db()
    assert sub_order.status == "cancelled"
    assert deadlines.send_reminders(now=sandbox.now()) == 1
    assert told()[-1] == ("alice", "Cancelled by Telnyx (deadline passed)")
    assert deadlines.send_reminders(now=sandbox.now()) == 0
    assert {name for name, _ in told()} == {"alice"}
    page = alice_client.get(reverse("compliance:sub-order", args=[sub_order.public_id]))
    assert "data-auto-cancelled" in page.content.decode()


def test_a_single_number_fix_goes_through_the_worker(
    sandbox, worker, alice, alice_client, maria_client
):
    order = place_sandbox_order(sandbox, alice, count=2)
    sub_order = order.sub_orders.get()
    first, second = sub_order.numbers.order_by("phone_number")
    document_id = upload(alice_client, sub_order)
    fill_and_get_approved(alice_client, maria_client, sub_order, form_data(sub_order, document_id))
    ids = requirement_ids(sub_order)
    sandbox.force_number(
        second.telnyx_id,
        requirements_status="requirement-info-exception",
        requirement_statuses={ids["textual"]: "declined"},
    )
    refresh_sub_order(sub_order)
    sandbox.clear_requests()
    fix = fill_and_get_approved(
        alice_client,
        maria_client,
        sub_order,
        form_data(sub_order, document_id, name="Acme Berlin GmbH"),
        number=second,
    )
    assert fix.status == Submission.Status.SUBMITTED, fix.error
    assert (
        len(
            sandbox.requests(
                path=f"/v2/number_order_phone_numbers/{second.telnyx_id}", method="PATCH"
            )
        )
        == 1
    )
    assert (
        sandbox.requests(path=f"/v2/number_order_phone_numbers/{first.telnyx_id}", method="PATCH")
        == []
    )
    assert (
        sandbox.requests(path=f"/v2/sub_number_orders/{sub_order.telnyx_id}", method="PATCH") == []
    )


VISIBILITY_TIMEOUT = 4


def submit_with_patch_held(
    sandbox, worker, alice, alice_client, seconds: float
) -> tuple[Submission, str]:
    """Submit a DE sub order's values and return once the worker's PATCH has reached the
    sandbox, which holds it ``seconds`` before answering (the moment to disturb the worker)."""
    sub_order = place_sandbox_order(sandbox, alice).sub_orders.get()
    patch_path = f"/v2/sub_number_orders/{sub_order.telnyx_id}"
    sandbox.script(method="PATCH", path=patch_path, action="hold", seconds=seconds, times=1)
    document_id = upload(alice_client, sub_order)
    assert submit(alice_client, sub_order, form_data(sub_order, document_id)).status_code == 302
    submission = Submission.objects.get()
    deadline = time.monotonic() + 30
    while not sandbox.requests(path=patch_path, method="PATCH"):
        assert time.monotonic() < deadline, worker.log_text()[-3000:]
        time.sleep(0.1)
    return submission, patch_path


@pytest.mark.chaos
@pytest.mark.timeout(120)
def test_p19_killing_the_worker_mid_patch_submits_once_with_identical_bodies(
    sandbox, celery_worker_factory, vault_root, alice, alice_client
):
    from compliance.models import SubmissionItem, SubmissionPolicy

    SubmissionPolicy.objects.update_or_create(pk=1, defaults={"four_eyes_required": False})
    worker = celery_worker_factory(
        env={
            "TELNYX_API_BASE": sandbox.base_url,
            "TELNYX_API_KEY": sandbox.api_key,
            "DOCUMENT_STORAGE_ROOT": str(vault_root),
            "DOCUMENT_ENCRYPTION_KEYS": ",".join(settings.DOCUMENT_ENCRYPTION_KEYS),
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        }
    )
    # Telnyx must not finish vetting the first PATCH before the redelivered one arrives.
    sandbox.configure(vetting_seconds=120)
    submission, patch_path = submit_with_patch_held(sandbox, worker, alice, alice_client, 5)
    worker.kill()
    started = time.monotonic()
    # kombu scans for expired unacked messages when a worker starts, then only every ~100 s:
    # start the new worker once the message's visibility timeout has passed.
    time.sleep(VISIBILITY_TIMEOUT + 0.5)
    worker.start()
    try:
        wait_for_status(submission, Submission.Status.SUBMITTED, timeout=60)
    except AssertionError as exc:
        raise AssertionError(worker.log_text()[-6000:]) from exc
    recovery = time.monotonic() - started

    patches = sandbox.requests(path=patch_path, method="PATCH")
    assert len(patches) == 2  # the one cut short by the crash and the redelivered one
    assert patches[0]["body"] == patches[1]["body"]
    assert len(sandbox.requests(path="/v2/documents", method="POST")) == 1
    assert len(sandbox.requests(path="/v2/addresses", method="POST")) == 1
    assert Submission.objects.count() == 1
    assert SubmissionItem.objects.filter(submission=submission).exclude(telnyx_id="").count() == 2
    assert recovery <= VISIBILITY_TIMEOUT + 5 + 5  # + worker start-up on a busy machine


@pytest.mark.timeout(120)
def test_p20_a_warm_shutdown_lets_the_running_submission_finish(
    sandbox, worker, alice, alice_client
):
    """SIGTERM (a deploy, a scale-down) while the PATCH to Telnyx is in flight: the worker
    finishes that task before it exits, so the submission is recorded as sent, once."""
    from compliance.models import SubmissionPolicy

    SubmissionPolicy.objects.update_or_create(pk=1, defaults={"four_eyes_required": False})
    submission, patch_path = submit_with_patch_held(sandbox, worker, alice, alice_client, 3)
    worker.terminate()
    assert worker.process is not None
    assert worker.process.wait(60) == 0, worker.log_text()[-3000:]

    submission.refresh_from_db()
    assert submission.status == Submission.Status.SUBMITTED, worker.log_text()[-3000:]
    assert len(sandbox.requests(path=patch_path, method="PATCH")) == 1
    assert Submission.objects.count() == 1


@pytest.mark.timeout(120)
def test_a_telnyx_outage_is_retried_then_reported_and_the_user_retry_succeeds(
    sandbox, celery_worker_factory, vault_root, alice, alice_client
):
    from compliance.models import SubmissionPolicy

    SubmissionPolicy.objects.update_or_create(pk=1, defaults={"four_eyes_required": False})
    celery_worker_factory(
        env={
            "TELNYX_API_BASE": sandbox.base_url,
            "TELNYX_API_KEY": sandbox.api_key,
            "DOCUMENT_STORAGE_ROOT": str(vault_root),
            "DOCUMENT_ENCRYPTION_KEYS": ",".join(settings.DOCUMENT_ENCRYPTION_KEYS),
            "TELNYX_RETRY_BUDGET_SECONDS": "1",
            "COMPLIANCE_SUBMISSION_MAX_RETRIES": "1",
        }
    )
    sub_order = place_sandbox_order(sandbox, alice).sub_orders.get()
    patch_path = f"/v2/sub_number_orders/{sub_order.telnyx_id}"
    sandbox.script(method="PATCH", path=patch_path, action="status", status=503, times=100)
    document_id = upload(alice_client, sub_order)
    assert submit(alice_client, sub_order, form_data(sub_order, document_id)).status_code == 302
    submission = wait_for_status(Submission.objects.get(), Submission.Status.FAILED, timeout=60)
    assert "Telnyx did not answer after several attempts" in submission.error
    assert len(sandbox.requests(path=patch_path, method="PATCH")) >= 2
    assert submission.attempts >= 1

    sandbox.reset()  # Telnyx is back
    retry_url = reverse("compliance:submission-retry", args=[submission.public_id])
    assert alice_client.post(retry_url).status_code == 302
    submission = wait_for_status(submission, Submission.Status.SUBMITTED, timeout=30)
    assert len(sandbox.requests(path="/v2/documents", method="POST")) == 1
    assert len(sandbox.requests(path="/v2/addresses", method="POST")) == 1
    bodies = {r["body"] for r in sandbox.requests(path=patch_path, method="PATCH")}
    assert len(bodies) == 1  # every attempt sent the same stored payload


def _worker_env(sandbox, vault_root, **extra: str) -> dict[str, str]:
    return {
        "TELNYX_API_BASE": sandbox.base_url,
        "TELNYX_API_KEY": sandbox.api_key,
        "DOCUMENT_STORAGE_ROOT": str(vault_root),
        "DOCUMENT_ENCRYPTION_KEYS": ",".join(settings.DOCUMENT_ENCRYPTION_KEYS),
        **extra,
    }


@pytest.mark.timeout(120)
def test_p49_approving_while_redis_is_down_is_saved_and_sent_once_when_it_is_back(
    sandbox, celery_worker_factory, private_broker, vault_root, alice, alice_client, maria_client
):
    from orders.tasks import relay_outbox

    sub_order = place_sandbox_order(sandbox, alice).sub_orders.get()
    patch_path = f"/v2/sub_number_orders/{sub_order.telnyx_id}"
    document_id = upload(alice_client, sub_order)
    assert submit(alice_client, sub_order, form_data(sub_order, document_id)).status_code == 302
    submission = Submission.objects.get()

    private_broker.stop()  # Redis is really down: connections are refused
    url = reverse("admin:compliance_submission_decide", args=[submission.pk, "approve"])
    response = maria_client.post(url, {"reason": "Matches the contract"}, follow=True)
    assert response.status_code == 200
    assert "will be sent to Telnyx as soon as it is back" in response.content.decode()
    submission.refresh_from_db()
    assert submission.status == Submission.Status.QUEUED and submission.decided_by is not None

    private_broker.start()
    worker = celery_worker_factory(_worker_env(sandbox, vault_root, **private_broker.worker_env))
    assert relay_outbox()["jobs"] == 1  # the beat entry's next run
    try:
        wait_for_status(submission, Submission.Status.SUBMITTED, timeout=60)
    except AssertionError as exc:
        raise AssertionError(worker.log_text()[-4000:]) from exc
    assert len(sandbox.requests(path=patch_path, method="PATCH")) == 1
    assert relay_outbox()["jobs"] == 0
    assert len(sandbox.requests(path=patch_path, method="PATCH")) == 1


def pool_children(pid: int) -> list[int]:
    """The worker's pool processes (children of its main process)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(c) for c in children]


@pytest.mark.chaos
@pytest.mark.timeout(150)
def test_p22_a_submission_that_keeps_killing_its_worker_stops_visibly_and_can_be_retried(
    sandbox, celery_worker_factory, private_broker, vault_root, alice, alice_client
):
    """Every PATCH kills the pool process that sends it (as an OOM killer would), so the
    message is redelivered (reject_on_worker_lost): a real crash loop. It must end."""
    from compliance.models import SubmissionPolicy
    from portal.celery import app
    from portal.models import OutboxMessage

    SubmissionPolicy.objects.update_or_create(pk=1, defaults={"four_eyes_required": False})
    worker = celery_worker_factory(
        _worker_env(
            sandbox, vault_root, COMPLIANCE_SUBMISSION_MAX_ATTEMPTS="3", **private_broker.worker_env
        )
    )
    sub_order = place_sandbox_order(sandbox, alice).sub_orders.get()
    patch_path = f"/v2/sub_number_orders/{sub_order.telnyx_id}"
    # Held PATCHes are applied once their hold ends: keep that after the test, and vetting off.
    sandbox.configure(vetting_seconds=300)
    sandbox.script(method="PATCH", path=patch_path, action="hold", seconds=90, times=20)
    document_id = upload(alice_client, sub_order)
    assert submit(alice_client, sub_order, form_data(sub_order, document_id)).status_code == 302
    submission = Submission.objects.get()
    killed = 0
    deadline = time.monotonic() + 100
    while submission.status != Submission.Status.FAILED:
        assert time.monotonic() < deadline, worker.log_text()[-4000:]
        if len(sandbox.requests(path=patch_path, method="PATCH")) > killed:
            for child in pool_children(worker.pid):
                os.kill(child, signal.SIGKILL)
            killed += 1
        time.sleep(0.1)
        submission.refresh_from_db()
    assert "Stopped after the worker failed 3 times" in submission.error
    assert killed == 3
    assert private_broker.queued() == 0
    assert app.control.ping(destination=[worker.hostname], timeout=2)  # the worker lives on
    # The delivery that stopped it reports to the outbox just after the status moved.
    job = OutboxMessage.objects.filter(kind="compliance.submission")
    deadline = time.monotonic() + 10
    while job.get().state != OutboxMessage.State.DONE and time.monotonic() < deadline:
        time.sleep(0.1)
    assert job.get().state == OutboxMessage.State.DONE
    page = alice_client.get(reverse("compliance:sub-order", args=[sub_order.public_id]))
    assert reverse("compliance:submission-retry", args=[submission.public_id]) in (
        page.content.decode()
    )

    sandbox.reset()  # whatever killed the worker is fixed
    sandbox.configure(vetting_seconds=300)
    retry_url = reverse("compliance:submission-retry", args=[submission.public_id])
    assert alice_client.post(retry_url).status_code == 302
    wait_for_status(submission, Submission.Status.SUBMITTED, timeout=60)
    assert len(sandbox.requests(path="/v2/documents", method="POST")) == 1


@pytest.mark.chaos
@pytest.mark.timeout(150)
def test_p18_jobs_lost_by_a_redis_shutdown_nosave_are_relayed_and_done_once(
    sandbox, celery_worker_factory, private_broker, vault_root, alice, alice_client
):
    """Queued messages vanish with ``SHUTDOWN NOSAVE``; the outbox rows in PostgreSQL bring
    back both the order and the submission: one POST /number_orders, one PATCH."""
    import uuid
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from compliance.models import SubmissionPolicy
    from orders.models import NumberOrder, PlacingState
    from orders.placing import OrderOptions, create_intent
    from orders.selection import SelectedNumber, Selection
    from orders.tasks import relay_outbox
    from portal import outbox

    SubmissionPolicy.objects.update_or_create(pk=1, defaults={"four_eyes_required": False})
    sub_order = place_sandbox_order(sandbox, alice).sub_orders.get()
    patch_path = f"/v2/sub_number_orders/{sub_order.telnyx_id}"
    document_id = upload(alice_client, sub_order)
    assert submit(alice_client, sub_order, form_data(sub_order, document_id)).status_code == 302
    submission = Submission.objects.get()
    selection = Selection({})
    selection.add(SelectedNumber(p, "US", "local") for p in sandbox.search("US", "local", 1))
    order, _ = create_intent(alice, str(uuid.uuid4()), selection, OrderOptions())
    assert private_broker.queued() == 2  # both published, no worker yet

    private_broker.shutdown_nosave()
    private_broker.start()
    assert private_broker.queued() == 0
    worker = celery_worker_factory(_worker_env(sandbox, vault_root, **private_broker.worker_env))
    later = timezone.now() + outbox.relay_after() + timedelta(seconds=1)
    with time_machine.travel(later, tick=True):
        assert relay_outbox()["jobs"] == 2  # the beat entry, once the relay interval passed
    try:
        wait_for_status(submission, Submission.Status.SUBMITTED, timeout=60)
    except AssertionError as exc:
        raise AssertionError(worker.log_text()[-4000:]) from exc
    deadline = time.monotonic() + 60
    while NumberOrder.objects.get(pk=order.pk).placing_state != PlacingState.PLACED:
        assert time.monotonic() < deadline, worker.log_text()[-4000:]
        time.sleep(0.2)
    posts = sandbox.requests(path="/v2/number_orders", method="POST")
    assert len([p for p in posts if order.customer_reference in p["body"]]) == 1
    assert len(sandbox.requests(path=patch_path, method="PATCH")) == 1
    assert len(sandbox.requests(path="/v2/documents", method="POST")) == 1


def test_a_resubmission_after_a_decline_sends_the_corrected_document_and_address(
    sandbox, worker, alice, alice_client, maria_client
):
    """The corrected document and address are new objects at Telnyx, and the PATCH carries
    their ids, not the declined ones."""
    import json

    from compliance.models import SubmissionItem

    order = place_sandbox_order(sandbox, alice)
    sub_order = order.sub_orders.get()
    patch_path = f"/v2/sub_number_orders/{sub_order.telnyx_id}"
    first_document = upload(alice_client, sub_order)
    first = fill_and_get_approved(
        alice_client,
        maria_client,
        sub_order,
        form_data(sub_order, first_document, name="REJECT AG"),
    )
    sandbox.advance(5)
    refresh_sub_order(sub_order)
    assert sub_order.numbers.get().requirements_status == "requirement-info-exception"

    second_document = upload(alice_client, sub_order, name="corrected-bill.pdf")
    corrected = form_data(
        sub_order, second_document, name="Acme AG", street_address="Unter den Linden 1"
    )
    second = fill_and_get_approved(alice_client, maria_client, sub_order, corrected)
    assert second.status == Submission.Status.SUBMITTED, second.error

    assert len(sandbox.requests(path="/v2/documents", method="POST")) == 2
    assert len(sandbox.requests(path="/v2/addresses", method="POST")) == 2
    old_ids = set(
        SubmissionItem.objects.filter(submission=first).values_list("telnyx_id", flat=True)
    )
    new_ids = set(
        SubmissionItem.objects.filter(submission=second).values_list("telnyx_id", flat=True)
    )
    assert len(new_ids) == 2 and not (old_ids & new_ids)
    last_patch = json.loads(sandbox.requests(path=patch_path, method="PATCH")[-1]["body"])
    sent = {r["field_value"] for r in last_patch["regulatory_requirements"]}
    assert new_ids <= sent and not (old_ids & sent)
