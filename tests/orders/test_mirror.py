"""Mirroring Telnyx data: only changed rows are written, with a history per number."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from orders.mirror import SubOrderSnapshot, apply_order, apply_sub_order
from orders.models import NumberStatusChange, OrderedNumber, SubNumberOrder, SubOrderComment
from portal.telnyx.models import (
    Comment,
    NumberOrder,
    NumberOrderPhoneNumber,
)
from portal.telnyx.models import (
    SubNumberOrder as TSub,
)

from .factories import NumberOrderFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def telnyx_sub(sub_id: str, order_id: str, status: str = "pending", updated: datetime = T0):
    return TSub(
        id=sub_id,
        order_request_id=order_id,
        country_code="DE",
        phone_number_type="local",
        status=status,
        requirements_met=False,
        phone_numbers_count=1,
        regulatory_requirements=[{"requirement_id": "r1", "field_type": "address"}],
        created_at=T0,
        updated_at=updated,
    )


def telnyx_number(number_id: str, sub_id: str, **kw):
    values = {
        "id": number_id,
        "sub_number_order_id": sub_id,
        "phone_number": "+4930123456",
        "country_code": "DE",
        "phone_number_type": "local",
        "status": "pending",
        "requirements_status": "requirement-info-pending",
        "requirements_met": False,
        "deadline": T0 + timedelta(hours=72),
        "regulatory_requirements": [
            {"requirement_id": "r1", "field_type": "address", "status": "awaiting-value"}
        ],
    }
    values.update(kw)
    return NumberOrderPhoneNumber(**values)


def comment(comment_id: str, sub_id: str, read_at=None):
    return Comment(
        id=comment_id,
        body="Address must be in Berlin",
        comment_record_type="sub_number_order",
        comment_record_id=sub_id,
        commenter="ops@telnyx.example",
        commenter_type="admin",
        read_at=read_at,
        created_at=T0,
    )


def xmins() -> dict[str, list[str]]:
    """PostgreSQL's row versions: an UPDATE, even to the same values, changes them."""
    out = {}
    with connection.cursor() as cursor:
        for table in (
            "orders_numberorder",
            "orders_subnumberorder",
            "orders_orderednumber",
            "orders_subordercomment",
        ):
            cursor.execute(f"SELECT xmin::text FROM {table} ORDER BY id")  # noqa: S608
            out[table] = [r[0] for r in cursor.fetchall()]
    return out


@pytest.fixture
def mirrored():
    order = NumberOrderFactory(status="pending")
    sub_id, number_id = str(uuid.uuid4()), str(uuid.uuid4())
    snapshot = SubOrderSnapshot(
        telnyx_sub(sub_id, order.telnyx_id),
        [telnyx_number(number_id, sub_id)],
        [comment("c1", sub_id)],
    )
    changes = apply_sub_order(order, snapshot, "sync")
    return order, sub_id, number_id, changes


def test_a_new_sub_order_is_created_with_its_numbers_and_comments(mirrored):
    order, sub_id, number_id, changes = mirrored
    sub = SubNumberOrder.objects.get(telnyx_id=sub_id)
    number = OrderedNumber.objects.get(telnyx_id=number_id)
    assert sub.number_order == order and sub.country_code == "DE"
    assert number.sub_order == sub and number.deadline == T0 + timedelta(hours=72)
    assert SubOrderComment.objects.get(sub_order=sub).commenter_type == "admin"
    order.refresh_from_db()
    assert order.next_deadline == T0 + timedelta(hours=72)
    assert order.needs_action is True
    assert changes.rows >= 3


def test_applying_the_same_data_again_writes_nothing(mirrored):
    order, sub_id, number_id, _ = mirrored
    before = xmins()
    snapshot = SubOrderSnapshot(
        telnyx_sub(sub_id, order.telnyx_id),
        [telnyx_number(number_id, sub_id)],
        [comment("c1", sub_id)],
    )
    changes = apply_sub_order(order, snapshot, "sync")
    assert changes.rows == 0
    assert xmins() == before
    assert NumberStatusChange.objects.count() == 0


def test_a_status_and_deadline_change_is_written_with_history(mirrored):
    order, sub_id, number_id, _ = mirrored
    snapshot = SubOrderSnapshot(
        telnyx_sub(sub_id, order.telnyx_id, updated=T0 + timedelta(minutes=5)),
        [
            telnyx_number(
                number_id,
                sub_id,
                requirements_status="requirement-info-under-review",
                deadline=None,
            )
        ],
        None,
    )
    changes = apply_sub_order(order, snapshot, "webhook")
    assert changes.history == 2
    history = {h.field: h for h in NumberStatusChange.objects.all()}
    assert history["requirements_status"].old_value == "requirement-info-pending"
    assert history["requirements_status"].new_value == "requirement-info-under-review"
    assert (
        history["deadline"].new_value == "" and history["requirements_status"].source == "webhook"
    )
    order.refresh_from_db()
    assert order.next_deadline is None and order.needs_action is False
    # The work queue sorts by when the vetting state changed, kept on the number itself.
    number = OrderedNumber.objects.get(telnyx_id=number_id)
    assert number.requirements_status_changed_at == history["requirements_status"].at


def test_a_change_of_status_only_keeps_when_the_vetting_state_changed(mirrored):
    order, sub_id, number_id, _ = mirrored
    since = OrderedNumber.objects.get(telnyx_id=number_id).requirements_status_changed_at
    snapshot = SubOrderSnapshot(
        telnyx_sub(sub_id, order.telnyx_id, updated=T0 + timedelta(minutes=5)),
        [telnyx_number(number_id, sub_id, status="success")],
        None,
    )
    apply_sub_order(order, snapshot, "sync")
    number = OrderedNumber.objects.get(telnyx_id=number_id)
    assert number.status == "success" and number.requirements_status_changed_at == since


def test_a_final_sub_order_never_goes_back_to_pending(mirrored):
    order, sub_id, number_id, _ = mirrored
    SubNumberOrder.objects.filter(telnyx_id=sub_id).update(status="success")
    snapshot = SubOrderSnapshot(
        telnyx_sub(sub_id, order.telnyx_id, status="pending", updated=T0 + timedelta(hours=1)),
        [telnyx_number(number_id, sub_id)],
        None,
    )
    apply_sub_order(order, snapshot, "webhook")
    assert SubNumberOrder.objects.get(telnyx_id=sub_id).status == "success"


def test_an_older_read_of_the_order_is_ignored():
    order = NumberOrderFactory(status="pending", telnyx_updated_at=T0 + timedelta(hours=1))
    stale = NumberOrder(id=order.telnyx_id, status="failure", updated_at=T0)
    assert apply_order(order, stale).rows == 0
    fresh = NumberOrder(id=order.telnyx_id, status="success", updated_at=T0 + timedelta(hours=2))
    assert apply_order(order, fresh).status_changed
    order.refresh_from_db()
    assert order.status == "success"


def test_a_comment_marked_read_at_telnyx_is_updated_once(mirrored):
    order, sub_id, number_id, _ = mirrored
    read = T0 + timedelta(hours=1)
    snapshot = SubOrderSnapshot(
        telnyx_sub(sub_id, order.telnyx_id),
        [telnyx_number(number_id, sub_id)],
        [comment("c1", sub_id, read_at=read)],
    )
    assert apply_sub_order(order, snapshot, "sync").rows >= 1
    assert SubOrderComment.objects.get(telnyx_id="c1").read_at == read
    assert apply_sub_order(order, snapshot, "sync").rows == 0


def test_p51_requirement_values_are_mirrored_as_a_flag_never_as_the_value():
    order = NumberOrderFactory(status="pending")
    sub_id, number_id = str(uuid.uuid4()), str(uuid.uuid4())
    filled = [
        {"requirement_id": "r1", "field_type": "textual", "field_value": "Jane Canary"},
        {"requirement_id": "r2", "field_type": "address", "status": "awaiting-value"},
    ]
    snapshot = SubOrderSnapshot(
        telnyx_sub(sub_id, order.telnyx_id),
        [telnyx_number(number_id, sub_id, regulatory_requirements=filled)],
    )
    apply_sub_order(order, snapshot, "sync")
    number = OrderedNumber.objects.get(telnyx_id=number_id)
    assert number.regulatory_requirements == [
        {"requirement_id": "r1", "field_type": "textual", "has_value": True},
        {
            "requirement_id": "r2",
            "field_type": "address",
            "status": "awaiting-value",
            "has_value": False,
        },
    ]
    # The same data again is recognised as unchanged (the sync compares cheaply, P51 + bench).
    before = xmins()
    assert apply_sub_order(order, snapshot, "sync").rows == 0
    assert xmins() == before


def test_p51_the_migration_strips_values_and_encrypts_comments_stored_before(mirrored):
    import importlib

    from django.apps import apps

    from orders.models import WebhookEvent

    migration = importlib.import_module("orders.migrations.0004_mirror_without_personal_values")
    _order, _sub_id, number_id, _ = mirrored
    old = [{"requirement_id": "r1", "field_type": "textual", "field_value": "Jane Canary"}]
    OrderedNumber.objects.filter(telnyx_id=number_id).update(regulatory_requirements=old)
    WebhookEvent.objects.create(
        event_id="evt-old",
        payload={
            "data": {
                "id": "evt-old",
                "payload": {"id": "o1", "phone_numbers": [{"regulatory_requirements": old}]},
            }
        },
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE orders_subordercomment SET body = %s", ["Jane Canary's passport is expired"]
        )
    migration.strip(apps, None)
    migration.encrypt_comments(apps, connection.schema_editor())
    assert SubOrderComment.objects.get().body == "Jane Canary's passport is expired"
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM orders_subordercomment")
        assert "Canary" not in cursor.fetchone()[0]
    number = OrderedNumber.objects.get(telnyx_id=number_id)
    assert number.regulatory_requirements == [
        {"requirement_id": "r1", "field_type": "textual", "has_value": True}
    ]
    assert WebhookEvent.objects.get().payload == {
        "data": {"id": "evt-old", "payload": {"id": "o1"}},
        "meta": {},
    }


def test_p51_known_comments_are_compared_without_reading_their_encrypted_bodies(mirrored):
    from django.test.utils import CaptureQueriesContext

    order, sub_id, number_id, _ = mirrored
    read = comment("c1", sub_id, read_at=T0 + timedelta(hours=1))
    snapshot = SubOrderSnapshot(
        telnyx_sub(sub_id, order.telnyx_id), [telnyx_number(number_id, sub_id)], [read]
    )
    with CaptureQueriesContext(connection) as queries:
        assert apply_sub_order(order, snapshot, "sync").rows == 1  # read_at moved
        assert apply_sub_order(order, snapshot, "sync").rows == 0
    assert not [q["sql"] for q in queries if '"body"' in q["sql"]]
    stored = SubOrderComment.objects.get(telnyx_id="c1")
    assert stored.read_at == T0 + timedelta(hours=1)
    assert stored.body == "Address must be in Berlin"
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM orders_subordercomment")
        assert "Berlin" not in cursor.fetchone()[0]


# --- notifications of what the mirror records ----------------------------------------------


@pytest.fixture
def placed_by_alice(mirrored, alice):
    order = mirrored[0]
    order.placed_by = alice
    order.save()
    return mirrored


def _told(event: str) -> list[str]:
    from notifications.models import Notification

    return list(
        Notification.objects.filter(event=event).values_list("recipient__username", flat=True)
    )


def test_a_number_entering_exception_tells_its_owner_once(placed_by_alice, maria):
    order, sub_id, number_id, _ = placed_by_alice
    declined = SubOrderSnapshot(
        telnyx_sub(sub_id, order.telnyx_id, updated=T0 + timedelta(minutes=5)),
        [telnyx_number(number_id, sub_id, requirements_status="requirement-info-exception")],
        None,
    )
    apply_sub_order(order, declined, "webhook")
    apply_sub_order(order, declined, "sync")  # the sync reads the same decision again
    assert _told("rejected") == ["alice"]


def test_a_new_admin_comment_tells_the_owner_once_and_our_own_replies_do_not(
    placed_by_alice, alice
):
    order, sub_id, number_id, _ = placed_by_alice
    ours = comment("c3", sub_id)
    ours.commenter_type = "user"
    again = SubOrderSnapshot(
        telnyx_sub(sub_id, order.telnyx_id),
        [telnyx_number(number_id, sub_id)],
        [comment("c1", sub_id), comment("c2", sub_id), ours],
    )
    apply_sub_order(order, again, "sync")
    apply_sub_order(order, again, "webhook")
    assert _told("comment") == ["alice"]  # c2 only: c1 came before, c3 is our own


def test_an_order_turning_success_tells_whoever_placed_it_once(alice):
    order = NumberOrderFactory(status="pending", placed_by=alice)
    done = NumberOrder(id=order.telnyx_id, status="success", updated_at=T0)
    apply_order(order, done)
    apply_order(order, NumberOrder(id=order.telnyx_id, status="success", updated_at=T0))
    assert _told("order_completed") == ["alice"]
