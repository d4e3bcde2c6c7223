"""Rejection reasons are parsed once, when a comment is mirrored, and stored encrypted with a
keyed digest (P51): the dashboard counts them without decrypting every comment."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

from orders import mirror, rejections
from orders.models import CommentRejection, SubOrderComment
from tests.orders.factories import SubNumberOrderFactory

DECLINED = (
    "Some requirement values were declined:\n"
    "- +15550000001 - Identity document: the value was not accepted\n"
    "- +15550000003 - Proof of address: the name REJECT Widgets GmbH does not match.\n"
    "Please provide corrected values before 2026-10-08T00:00:00Z."
)


def test_a_declined_list_gives_one_pair_per_line_and_anything_else_its_first_line():
    assert rejections.parse_rejections(DECLINED) == [
        ("Identity document", "the value was not accepted"),
        ("Proof of address", "the name REJECT Widgets GmbH does not match"),
    ]
    assert rejections.parse_rejections("\n  Cancelled: deadline passed.\nBye") == [
        ("", "Cancelled: deadline passed.")
    ]
    assert rejections.parse_rejections("  \n") == []


def test_equal_pairs_have_equal_digests_and_the_digest_depends_on_the_key(settings):
    one = rejections.reason_digest("Proof of address", "the value was not accepted")
    assert one == rejections.reason_digest("Proof of address", "the value was not accepted")
    assert one != rejections.reason_digest("Proof of addres", "s the value was not accepted")
    settings.SEARCH_INDEX_KEY = "another-key-" + "x" * 32
    assert one != rejections.reason_digest("Proof of address", "the value was not accepted")


@pytest.mark.django_db
def test_a_mirrored_comment_records_its_reasons_encrypted_without_the_phone_numbers():
    sub = SubNumberOrderFactory()
    item = {"id": "c-1", "body": DECLINED, "commenter_type": "admin"}
    mirror.apply_comments(sub, [item])
    rows = list(CommentRejection.objects.order_by("position"))
    assert [(r.requirement, r.reason) for r in rows] == [
        ("Identity document", "the value was not accepted"),
        ("Proof of address", "the name REJECT Widgets GmbH does not match"),
    ]
    assert rows[0].comment == SubOrderComment.objects.get(telnyx_id="c-1")
    assert rows[1].digest == rejections.reason_digest(rows[1].requirement, rows[1].reason)
    # What a database dump shows: neither the quoted name nor the number nor the reason.
    with connection.cursor() as cursor:
        cursor.execute("SELECT requirement || reason || digest FROM orders_commentrejection")
        stored = " ".join(value for (value,) in cursor.fetchall())
    for clear in ("REJECT", "Widgets", "+1555", "not accepted", "Proof of address"):
        assert clear not in stored
    # The next sync lists the same comment again: nothing is added twice.
    mirror.apply_comments(sub, [item])
    assert CommentRejection.objects.count() == 2


@pytest.mark.django_db
def test_reindex_search_recomputes_the_digests_after_a_key_change(settings, capsys):
    sub = SubNumberOrderFactory()
    mirror.apply_comments(sub, [{"id": "c-1", "body": DECLINED, "commenter_type": "admin"}])
    CommentRejection.objects.filter(position=0).delete()  # as if from before the table
    settings.SEARCH_INDEX_KEY = "rotated-key-" + "y" * 32
    call_command("reindex_search")
    assert "Recorded 2 rejection reasons" in capsys.readouterr().out
    digests = set(CommentRejection.objects.values_list("digest", flat=True))
    assert digests == {
        rejections.reason_digest("Identity document", "the value was not accepted"),
        rejections.reason_digest("Proof of address", "the name REJECT Widgets GmbH does not match"),
    }


@pytest.mark.django_db
def test_the_migration_records_the_reasons_of_comments_mirrored_before_it():
    from django.db.migrations.executor import MigrationExecutor

    before, added = (
        ("orders", "0009_group_need_and_attachments"),
        (
            "orders",
            "0010_comment_rejections",
        ),
    )
    sub = SubNumberOrderFactory()
    # Foreign keys are checked at commit: fire those checks now, or PostgreSQL refuses the
    # later migrations' CREATE INDEX on tables with "pending trigger events".
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    old = executor.loader.project_state([before]).apps
    old.get_model("orders", "SubOrderComment").objects.create(
        telnyx_id="old-1", sub_order_id=sub.pk, body=DECLINED, commenter_type="admin"
    )
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([added])
    found = CommentRejection.objects.filter(comment__telnyx_id="old-1")
    assert sorted(r.reason for r in found) == [
        "the name REJECT Widgets GmbH does not match",
        "the value was not accepted",
    ]
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
