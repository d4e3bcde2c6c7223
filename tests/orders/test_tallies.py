"""The dashboard's tallies of numbers follow every change PostgreSQL sees (orders.tallies): the
charts summed from them equal the charts counted from the numbers themselves."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from compliance import dashboard
from orders import tasks
from orders.models import NumberTally, OrderedNumber
from tests.orders.factories import NumberOrderFactory, OrderedNumberFactory, SubNumberOrderFactory

RANGE = dashboard.DateRange(date(2026, 10, 1), date(2026, 11, 30))
R1, R2 = "req-1", "req-2"


def _req(rid: str, status: str) -> dict[str, str]:
    return {"requirement_id": rid, "field_type": "textual", "status": status}


def _order(at: datetime, country: str = "DE"):
    order = NumberOrderFactory(created_at=at, placed_at=at)
    return SubNumberOrderFactory(number_order=order, country_code=country)


def figures(monkeypatch: pytest.MonkeyPatch | None = None) -> tuple[object, ...]:
    """What the two tallied charts show, as plain values."""
    states, vetting, statuses = dashboard.numbers_by_state(RANGE)
    per_type, per_country = dashboard.rejection_rates(RANGE)
    return (
        [(r.country, r.total, r.by_vetting, r.by_status) for r in states],
        vetting,
        statuses,
        [(r.key, r.decided, r.declined) for r in per_type],
        [(r.key, r.decided, r.declined) for r in per_country],
    )


def counted_from_numbers(monkeypatch: pytest.MonkeyPatch) -> tuple[object, ...]:
    with monkeypatch.context() as patch:
        patch.setattr(dashboard, "TALLIED", ())
        return figures()


def _data_set() -> tuple[OrderedNumber, OrderedNumber, OrderedNumber]:
    sub = _order(datetime(2026, 10, 5, 12, tzinfo=UTC))
    a = OrderedNumberFactory(
        sub_order=sub,
        country_code="DE",
        status="pending",
        requirements_status="requirement-info-under-review",
        regulatory_requirements=[_req(R1, "approved"), _req(R2, "declined")],
    )
    b = OrderedNumberFactory(
        sub_order=sub,
        country_code="DE",
        status="pending",
        requirements_status="requirement-info-pending",
        regulatory_requirements=[_req(R1, "awaiting-value")],
    )
    other = _order(datetime(2026, 11, 20, 8, tzinfo=UTC), "FR")
    c = OrderedNumberFactory(
        sub_order=other,
        country_code="FR",
        status="success",
        requirements_status="approved",
        regulatory_requirements=[_req(R2, "approved")],
    )
    # Before the range: never counted.
    OrderedNumberFactory(
        sub_order=_order(datetime(2026, 9, 30, 12, tzinfo=UTC)),
        regulatory_requirements=[_req(R1, "declined")],
    )
    return a, b, c


@pytest.mark.django_db
def test_the_tallies_follow_creation_updates_saves_and_deletions(monkeypatch):
    a, b, c = _data_set()
    assert figures() == counted_from_numbers(monkeypatch)
    states = figures()[0]
    assert states == [
        (
            "DE",
            2,
            {"requirement-info-under-review": 1, "requirement-info-pending": 1},
            {"pending": 2},
        ),
        ("FR", 1, {"approved": 1}, {"success": 1}),
    ]
    # A bulk update (as the mirror does), a save, a deletion: the charts follow each.
    OrderedNumber.objects.filter(pk=a.pk).update(
        status="success",
        requirements_status="approved",
        regulatory_requirements=[_req(R1, "approved"), _req(R2, "approved")],
    )
    b.regulatory_requirements = [_req(R1, "declined")]
    b.requirements_status = "requirement-info-exception"
    b.save()
    c.delete()
    after = figures()
    assert after == counted_from_numbers(monkeypatch)
    assert after[0] == [
        (
            "DE",
            2,
            {"approved": 1, "requirement-info-exception": 1},
            {"success": 1, "pending": 1},
        )
    ]
    assert after[3] == [(R1, 2, 1), (R2, 1, 0)]  # R1: approved on a, declined on b
    # A save that changes nothing counted adds no line.
    lines = NumberTally.objects.count()
    b.locality = "Berlin"
    b.save()
    assert NumberTally.objects.count() == lines


@pytest.mark.django_db
def test_compacting_folds_the_ledger_and_changes_no_figure(monkeypatch):
    a, _, _ = _data_set()
    for status in ("success", "pending", "success"):
        OrderedNumber.objects.filter(pk=a.pk).update(status=status)
    before, lines = figures(), NumberTally.objects.count()
    left = tasks.compact_number_tallies()  # what beat runs
    assert left == NumberTally.objects.count() < lines
    assert figures() == before == counted_from_numbers(monkeypatch)
    # Nothing cancelled out is kept: no line sums to nothing.
    assert not NumberTally.objects.filter(numbers=0, decided=0, declined=0).exists()


@pytest.mark.django_db
def test_a_range_in_another_time_zone_counts_its_first_and_last_hours_too(settings, monkeypatch):
    settings.TIME_ZONE = "Europe/Berlin"
    _data_set()
    # 23:30 UTC on 30 September is 1 October in Berlin: inside the range, but on a UTC day
    # the range only partly covers, so counted from the numbers themselves.
    early = _order(datetime(2026, 9, 30, 23, 30, tzinfo=UTC), "NL")
    OrderedNumberFactory(sub_order=early, country_code="NL", regulatory_requirements=[])
    # 23:30 UTC on 30 November is 1 December in Berlin: outside.
    late = _order(datetime(2026, 11, 30, 23, 30, tzinfo=UTC), "SE")
    OrderedNumberFactory(sub_order=late, country_code="SE", regulatory_requirements=[])
    found = figures()
    assert found == counted_from_numbers(monkeypatch)
    assert [row[0] for row in found[0]] == ["DE", "FR", "NL"]


@pytest.mark.django_db
def test_the_migration_counts_the_numbers_already_there(monkeypatch):
    before = ("orders", "0010_comment_rejections")
    added = ("orders", "0011_number_tallies")
    executor = MigrationExecutor(connection)
    executor.migrate([before])  # no table, no triggers
    old = executor.loader.project_state([before]).apps
    sub = _order(datetime(2026, 10, 5, 12, tzinfo=UTC))
    old.get_model("orders", "OrderedNumber").objects.create(
        telnyx_id="before-the-tallies",
        sub_order_id=sub.pk,
        number_order_id=sub.number_order_id,
        phone_number="+4930123456",
        country_code="DE",
        status="pending",
        requirements_status="requirement-info-exception",
        regulatory_requirements=[_req(R1, "declined")],
    )
    with connection.cursor() as cursor:  # run the deferred foreign-key checks now: a later
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # migration adds an index to the table
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([added])
    assert figures()[0] == [("DE", 1, {"requirement-info-exception": 1}, {"pending": 1})]
    assert figures() == counted_from_numbers(monkeypatch)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_beat_compacts_the_ledger_every_few_minutes():
    from django.conf import settings

    import orders.tasks  # noqa: F401  (registers the tasks)
    from portal.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["orders-compact-number-tallies"]
    assert entry["task"] in app.tasks
    assert 0 < entry["options"]["expires"] < entry["schedule"] <= 600


@pytest.mark.django_db
def test_the_rebuild_command_recounts_tallies_lost_behind_the_triggers_back(monkeypatch):
    from django.core.management import call_command

    _data_set()
    expected = figures()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM orders_numbertally")  # as after a restore without them
    assert figures() != expected
    call_command("rebuild_number_tallies")
    assert figures() == expected == counted_from_numbers(monkeypatch)


def _activations() -> list[tuple[object, ...]]:
    return [
        (r.country, r.month, r.numbers, r.median_hours, r.p90_hours)
        for r in dashboard.activation_times(RANGE)
    ]


@pytest.mark.django_db
def test_the_copy_of_activations_follows_orders_numbers_and_history(monkeypatch):
    from datetime import timedelta

    from orders.models import NumberOrder, NumberStatusChange

    def joined() -> list[tuple[object, ...]]:
        with monkeypatch.context() as patch:
            patch.setattr(dashboard, "TALLIED", ())
            return _activations()

    a, b, c = _data_set()
    for number, hours in ((a, 10), (b, 30), (c, 20), (a, 50)):  # a became active twice
        NumberStatusChange.objects.create(
            number=number,
            field="status",
            old_value="pending",
            new_value="success",
            at=number.number_order.placed_at + timedelta(hours=hours),
            source="sync",
        )
    NumberStatusChange.objects.create(number=b, field="requirements_status", source="sync")
    assert _activations() == joined()
    assert _activations()[0] == ("DE", date(2026, 10, 1), 2, 30.0, 46.0)  # 10, 30, 50 h
    # The order is placed two hours later than recorded, c moves to another country, b's
    # activation is deleted: the copy follows each.
    NumberOrder.objects.filter(pk=a.number_order_id).update(
        placed_at=a.number_order.placed_at + timedelta(hours=2)
    )
    OrderedNumber.objects.filter(pk=c.pk).update(country_code="BE")
    NumberStatusChange.objects.filter(number=b, field="status").delete()
    assert _activations() == joined()
    assert _activations() == [
        ("BE", date(2026, 11, 1), 1, 20.0, 20.0),
        ("DE", date(2026, 10, 1), 1, 28.0, 44.0),  # 8 h and 48 h
    ]
