"""The outbox (portal/outbox.py): every publishing path enqueues only after commit, through one
row per job, and the relay publishes what the broker never got (P6, P17, P18, P49).

These tests publish to a private redis-server (``private_broker``) and count what reached it,
so a path that published before commit, or twice, or not at all, fails here.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from compliance import profiles
from compliance import submission as submissions
from compliance.models import (
    ComplianceProfile,
    RequirementGroupLink,
    Submission,
    SubmissionPolicy,
)
from orders import bulk, placing, webhooks
from orders.models import BulkOrder, NumberOrder, PlacingState, WebhookEvent
from orders.placing import OrderOptions
from orders.selection import SelectedNumber, Selection
from orders.tasks import relay_outbox
from portal import outbox
from portal.models import OutboxMessage
from tests.orders.factories import SubNumberOrderFactory
from tests.orders.webhook_signing import Signer, order_event

pytestmark = pytest.mark.django_db(transaction=True)

TEXT = "00000000-0000-0000-0000-000000000003"


class Boom(Exception):
    pass


def _selection(count: int = 1) -> Selection:
    selection = Selection({})
    selection.add(SelectedNumber(f"+1555000{i:04d}", "US", "local") for i in range(count))
    return selection


def order_intent(alice, maria) -> None:
    placing.create_intent(alice, str(uuid.uuid4()), _selection(), OrderOptions())


def order_approval(alice, maria) -> None:
    order = NumberOrder.objects.create(
        customer_reference=str(uuid.uuid4()),
        placed_by=alice,
        placing_state=PlacingState.AWAITING_APPROVAL,
    )
    placing.approve(order, maria)


def bulk_intent(alice, maria) -> None:
    groups = [{"phone_number_type": "local", "country_iso": "US", "count_requested": 2}]
    bulk.create_intent(alice, str(uuid.uuid4()), groups, OrderOptions())


def bulk_approval(alice, maria) -> None:
    row = BulkOrder.objects.create(
        customer_reference=str(uuid.uuid4()),
        placed_by=alice,
        placing_state=PlacingState.AWAITING_APPROVAL,
        requested_groups=[{"country_iso": "US", "count_requested": 60}],
    )
    bulk.approve(row, maria)


def _values() -> dict:
    return {TEXT: {"type": "textual", "value": "Acme"}}


def submission_created(alice, maria) -> None:
    SubmissionPolicy.objects.update_or_create(pk=1, defaults={"four_eyes_required": False})
    submissions.create_submission(SubNumberOrderFactory(), _values(), alice)


def submission_approval(alice, maria) -> None:
    waiting = Submission.objects.create(
        sub_order=SubNumberOrderFactory(), submitted_by=alice, values=_values()
    )
    submissions.approve(waiting, maria, "checked")


def submission_retry(alice, maria) -> None:
    failed = Submission.objects.create(
        sub_order=SubNumberOrderFactory(),
        submitted_by=alice,
        values=_values(),
        status=Submission.Status.FAILED,
    )
    submissions.retry(failed, alice)


def group_build(alice, maria) -> None:
    profile = ComplianceProfile.objects.create(name="Acme", values=_values(), created_by=maria)
    profiles.create_group(profile, "DE", "local", [TEXT], maria)


def group_submission(alice, maria) -> None:
    profile = ComplianceProfile.objects.create(name="Acme", values=_values(), created_by=maria)
    link = RequirementGroupLink.objects.create(
        profile=profile, telnyx_id=str(uuid.uuid4()), country_code="DE", phone_number_type="local"
    )
    profiles.submit_group(link, maria)


def group_attachment(alice, maria) -> None:
    from orders import group_attach

    profile = ComplianceProfile.objects.create(name="Acme", values=_values(), created_by=maria)
    link = RequirementGroupLink.objects.create(
        profile=profile,
        telnyx_id=str(uuid.uuid4()),
        country_code="DE",
        phone_number_type="local",
        status="approved",
    )
    sub = SubNumberOrderFactory(country_code="DE", phone_number_type="local", status="pending")
    group_attach.request_attach(alice, sub, link)


PATHS: dict[str, Callable] = {
    "order": order_intent,
    "order approval": order_approval,
    "bulk order": bulk_intent,
    "bulk approval": bulk_approval,
    "submission": submission_created,
    "submission approval": submission_approval,
    "submission retry": submission_retry,
    "requirement group build": group_build,
    "requirement group submission": group_submission,
    "requirement group attachment": group_attachment,
}


def wait_until(predicate: Callable[[], object], timeout: float = 10.0) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


@pytest.mark.parametrize("path", list(PATHS))
def test_p17_a_rolled_back_intent_publishes_nothing_and_leaves_no_outbox_row(
    path, private_broker, alice, maria
):
    with pytest.raises(Boom), transaction.atomic():
        PATHS[path](alice, maria)
        raise Boom
    assert private_broker.queued() == 0
    assert OutboxMessage.objects.count() == 0


@pytest.mark.parametrize("path", list(PATHS))
def test_p17_a_committed_intent_publishes_exactly_one_message_after_commit(
    path, private_broker, alice, maria
):
    PATHS[path](alice, maria)
    message = OutboxMessage.objects.get()
    assert message.state == OutboxMessage.State.PENDING and message.publishes == 1
    assert private_broker.queued() == 1


def test_p17_a_webhook_event_is_published_only_after_its_row_commits(private_broker, settings):
    signer = Signer()
    settings.TELNYX_PUBLIC_KEY = signer.public_key
    body = order_event("order-1")
    with pytest.raises(Boom), transaction.atomic():
        webhooks.receive(body, signer.headers(body), len(body))
        raise Boom
    assert WebhookEvent.objects.count() == 0
    body = order_event("order-2")
    assert webhooks.receive(body, signer.headers(body), len(body)).status == 200
    wait_until(private_broker.queued)
    assert private_broker.queued() == 1


def test_p49_with_the_broker_down_the_intent_is_saved_and_the_relay_publishes_it_later(
    private_broker, alice, maria
):
    private_broker.stop()
    order = NumberOrder.objects.create(
        customer_reference=str(uuid.uuid4()),
        placed_by=alice,
        placing_state=PlacingState.AWAITING_APPROVAL,
    )
    assert placing.approve(order, maria)  # no exception although Redis is down
    order.refresh_from_db()
    assert order.placing_state == PlacingState.QUEUED and order.approved_by == maria
    assert placing.waiting_for_broker(order)
    message = OutboxMessage.objects.get()
    assert message.publishes == 0 and message.last_error.startswith("publish failed")

    private_broker.start()
    assert relay_outbox()["jobs"] == 1
    assert private_broker.queued() == 1
    assert not placing.waiting_for_broker(order)
    # Published and not yet due again: the next relay run leaves it alone.
    assert relay_outbox()["jobs"] == 0
    assert private_broker.queued() == 1


def test_p49_a_job_no_worker_took_is_published_again_after_the_relay_interval(
    private_broker, alice, maria
):
    order_intent(alice, maria)
    private_broker.shutdown_nosave()  # the message is lost with Redis' memory
    private_broker.start()
    assert relay_outbox()["jobs"] == 0  # not due yet: a worker may still take it
    later = timezone.now() + outbox.relay_after() + timedelta(seconds=1)
    with time_machine.travel(later, tick=True):
        assert relay_outbox()["jobs"] == 1
    assert private_broker.queued() == 1


def test_p49_a_taken_job_whose_worker_went_quiet_is_published_again_after_its_lease(
    private_broker, alice, maria
):
    order_intent(alice, maria)
    message = OutboxMessage.objects.get()
    assert outbox.begin(placing.JOB, message.object_id) == 0
    private_broker.client().delete(private_broker_queue())
    with time_machine.travel(timezone.now() + outbox.relay_after() * 2, tick=True):
        assert relay_outbox()["jobs"] == 0  # within the task time limit: still working
    with time_machine.travel(timezone.now() + outbox.lease() + timedelta(seconds=1), tick=True):
        assert relay_outbox()["jobs"] == 1
    # The delivery that never reported back counts as a crash for the next one (P22).
    assert outbox.begin(placing.JOB, message.object_id) == 1
    outbox.done(placing.JOB, message.object_id)
    with time_machine.travel(timezone.now() + outbox.lease() * 3, tick=True):
        assert relay_outbox()["jobs"] == 0


def private_broker_queue() -> str:
    from django.conf import settings

    return settings.CELERY_TASK_DEFAULT_QUEUE


def test_p6_with_the_broker_really_down_a_webhook_is_answered_fast_and_relayed_later(
    private_broker, settings
):
    signer = Signer()
    settings.TELNYX_PUBLIC_KEY = signer.public_key
    private_broker.stop()
    body = order_event("order-1")
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in signer.headers(body).items()}
    started = time.monotonic()
    response = Client().post(
        "/webhooks/telnyx", data=body, content_type="application/json", **extra
    )
    assert response.status_code == 200
    assert time.monotonic() - started < 0.5
    assert WebhookEvent.objects.get().state == "pending"
    assert webhooks.publisher.join(timeout=10)  # its attempt failed while the broker was down
    private_broker.start()
    settings.ORDERS_RELAY_EVENTS_AFTER_SECONDS = 0
    assert relay_outbox()["events"] == 1
    assert private_broker.queued() == 1


@pytest.mark.django_db
def test_every_outbox_job_names_registered_tasks():
    from portal.celery import app

    app.loader.import_default_modules()
    jobs = [placing.JOB, bulk.JOB, submissions.JOB, profiles.BUILD_JOB, profiles.SUBMIT_JOB]
    assert len({job.name for job in jobs}) == len(jobs)
    for job in jobs:
        assert all(name in app.tasks for name in job.tasks), job
    assert webhooks.PROCESS_TASK in app.tasks


def test_domain_modules_never_import_a_tasks_module():
    """Domain code publishes through the outbox by task name; only tasks import the domain."""
    root = Path(__file__).resolve().parents[2]
    offenders = []
    for app_dir in ("portal", "orders", "compliance"):
        for path in (root / app_dir).rglob("*.py"):
            if path.name in {"tasks.py", "celery.py"} or "migrations" in path.parts:
                continue
            if re.search(r"^\s*(from \S*tasks import|import \S*\.tasks)", path.read_text(), re.M):
                offenders.append(str(path.relative_to(root)))
    assert offenders == []


def test_p49_approving_an_order_with_the_broker_down_answers_saved_not_a_500(
    private_broker, alice, maria, maria_client
):
    order = NumberOrder.objects.create(
        customer_reference=str(uuid.uuid4()),
        placed_by=alice,
        placing_state=PlacingState.AWAITING_APPROVAL,
        phone_numbers_count=60,
    )
    private_broker.stop()
    started = time.monotonic()
    response = maria_client.post(reverse("orders:approve", args=[order.public_id]), follow=True)
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert "will be placed at Telnyx as soon as it is back" in response.content.decode()
    assert elapsed < 5, elapsed
    order.refresh_from_db()
    assert order.placing_state == PlacingState.QUEUED and order.approved_by == maria
