"""P51 and P45: after a whole journey with canary values, no table, log line or Redis key holds
one in clear text, and after the retention period no copy is left at all.

The journey is the real one: alice fills the requirements (and saves a draft for one number)
with a canary name, passport document and address and quotes them in a comment, maria
approves, a Celery worker subprocess submits to the sandbox, the sandbox vets the values and
signs a webhook to the live server, the worker processes it, and the periodic sync mirrors
everything. Then every text and JSON column of every table in the test database (found through
``information_schema``), the captured logs of this process and of the worker, and every key and
value of the test's Redis database are searched for the canaries.
"""

from __future__ import annotations

import base64
import json
import logging
from datetime import timedelta

import pytest
import redis
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from compliance import retention
from compliance.documents import vault
from compliance.models import (
    AuditEntry,
    Document,
    RequirementDraft,
    SearchToken,
    Submission,
)
from orders import sync
from orders.models import SubOrderComment, WebhookEvent, WebhookEventState
from portal.encryption import EncryptedJSONField, EncryptedTextField
from tests.compliance import samples
from tests.compliance.conftest import place_sandbox_order
from tests.compliance.helpers import form_data, submit, upload
from tests.compliance.test_end_to_end import approve, wait_for_status
from tests.orders.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

CANARY_NAME = "Zofia Canarywicz"
CANARY_FIRST, CANARY_LAST = "Zofiacanary", "Canarywicz"
CANARY_PASSPORT = "CNRYPASS4711"
CANARY_STREET = "Canarygasse 17"
CANARY_FILE = "canaryscan"
# What is searched for (case-insensitive): each canary, alone, in every store.
CANARIES = ("Canarywicz", "Zofiacanary", CANARY_PASSPORT, "Canarygasse", CANARY_FILE)

TEXT_TYPES = ("text", "character varying", "character", "json", "jsonb", "bytea")


def database_hits(canaries: tuple[str, ...]) -> list[str]:
    """``table.column: canary`` for every text/JSON column of every table holding a canary."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.table_schema, c.table_name, c.column_name, c.data_type
            FROM information_schema.columns c
            JOIN information_schema.tables t
              ON t.table_schema = c.table_schema AND t.table_name = c.table_name
            WHERE t.table_type = 'BASE TABLE'
              AND c.table_schema NOT IN ('pg_catalog', 'information_schema')
              AND c.data_type = ANY(%s)
            """,
            [list(TEXT_TYPES)],
        )
        columns = cursor.fetchall()
        assert len(columns) > 100, "the scan found suspiciously few columns"
        tables = {(schema, table) for schema, table, _c, _t in columns}
        assert ("public", "django_session") in tables
        assert ("public", "django_admin_log") in tables
        assert ("public", "django_celery_beat_periodictask") in tables
        hits = []
        for schema, table, column, data_type in columns:
            quoted = f'"{column}"'
            as_text = (
                f"convert_from({quoted}, 'LATIN1')" if data_type == "bytea" else f"{quoted}::text"
            )
            for canary in canaries:
                cursor.execute(
                    f'SELECT count(*) FROM "{schema}"."{table}" WHERE {as_text} ILIKE %s',  # noqa: S608
                    [f"%{canary}%"],
                )
                if cursor.fetchone()[0]:
                    hits.append(f"{table}.{column}: {canary}")
    return hits


def redis_dump() -> bytes:
    """Every key and value of the test's Redis database (broker, cache, locks)."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    out = []
    for key in client.scan_iter(count=500):
        out.append(key)
        kind = client.type(key).decode()
        if kind == "string":
            out.append(client.get(key) or b"")
        elif kind == "list":
            out.extend(client.lrange(key, 0, -1))
        elif kind == "hash":
            for field, value in client.hgetall(key).items():
                out.extend((field, value))
        elif kind == "set":
            out.extend(client.smembers(key))
        elif kind == "zset":
            out.extend(client.zrange(key, 0, -1))
    return b"\n".join(out)


def text_hits(blob: bytes, canaries: tuple[str, ...]) -> list[str]:
    low = blob.lower()
    found = []
    for canary in canaries:
        token = canary.lower().encode()
        if token in low or base64.b64encode(canary.encode())[:12] in blob:
            found.append(canary)
    return found


def journey(sandbox, live_server, alice_client, maria_client, alice) -> Submission:
    """Fill with canaries, approve, submit with the worker, vet, webhook, sync; see module doc."""
    sandbox.configure(webhook_url=f"{live_server.url}/webhooks/telnyx")
    order = place_sandbox_order(sandbox, alice)
    sub_order = order.sub_orders.get()
    number = sub_order.numbers.get()

    document_id = upload(
        alice_client,
        sub_order,
        samples.pdf(text_marker=f"PASSPORT {CANARY_PASSPORT} {CANARY_NAME}"),
        name=f"{CANARY_FILE}-{CANARY_PASSPORT}.pdf",
    )
    data = form_data(
        sub_order,
        document_id,
        name=CANARY_NAME,
        first_name=CANARY_FIRST,
        last_name=CANARY_LAST,
        street_address=CANARY_STREET,
    )
    # A draft for the single number stays behind (saved, never submitted).
    draft = alice_client.post(
        reverse("compliance:requirement-form", args=[sub_order.public_id]),
        {**data, "action": "draft", "number": str(number.public_id)},
    )
    assert draft.status_code == 302
    assert RequirementDraft.objects.filter(number=number).exists()
    assert submit(alice_client, sub_order, data).status_code == 302
    # A reply in the comment thread that quotes a value (mirrored from Telnyx like any comment).
    reply = alice_client.post(
        reverse("compliance:comments", args=[sub_order.public_id]),
        {"body": f"The end user is {CANARY_NAME}, passport {CANARY_PASSPORT}."},
    )
    assert reply.status_code == 200
    assert sub_order.comments.filter(commenter_type="user").exists()
    submission = Submission.objects.get()
    approve(maria_client, submission)
    submission = wait_for_status(submission, Submission.Status.SUBMITTED, Submission.Status.FAILED)
    assert submission.status == Submission.Status.SUBMITTED, submission.error

    # The values are at the sandbox and under review; the sync mirrors the number as it is.
    sync.sync_pending()
    number.refresh_from_db()
    assert number.requirements_status == "requirement-info-under-review"

    # Vetting approves; the order completes and its signed webhook reaches the live server,
    # where the worker processes it by re-fetching the order.
    sandbox.advance(5)
    wait_for(
        lambda: WebhookEvent.objects.filter(state=WebhookEventState.PROCESSED).exists(),
        45,
        "the webhook to be received and processed",
    )
    order.refresh_from_db()
    assert order.status == "success"
    assert alice_client.get(reverse("compliance:sub-order", args=[sub_order.public_id]))
    return submission


def test_p51_a_whole_journey_leaves_no_personal_value_in_clear_anywhere(
    sandbox, live_server, worker, alice, alice_client, maria_client, caplog
):
    caplog.set_level(logging.DEBUG)
    submission = journey(sandbox, live_server, alice_client, maria_client, alice)
    # The manager who decides still sees the values (decrypted for her page only).
    admin_url = reverse("admin:compliance_submission_change", args=[submission.pk])
    assert CANARY_NAME in maria_client.get(admin_url).content.decode()

    hits = database_hits(CANARIES)
    assert not hits, "personal values in clear in the database:\n" + "\n".join(hits)
    logged = "\n".join(r.getMessage() for r in caplog.records) + worker.log_text()
    assert not text_hits(logged.encode(), CANARIES), "personal values in the logs"
    assert not text_hits(redis_dump(), CANARIES), "personal values in Redis"


def decrypted_hits(canaries: tuple[str, ...]) -> list[str]:
    """Canaries in any encrypted column (decrypted) or any vault file (decrypted)."""
    hits = []
    for model in apps.get_models():
        encrypted = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, EncryptedJSONField | EncryptedTextField)
        ]
        for name in encrypted:
            for value in model._base_manager.values_list(name, flat=True):
                found = text_hits(json.dumps(value).encode(), canaries)
                hits.extend(f"{model._meta.label}.{name}: {c}" for c in found)
    for stored in vault.names():
        found = text_hits(vault.get(stored), canaries)
        hits.extend(f"vault file {stored}: {c}" for c in found)
    return hits


def test_p45_after_the_retention_period_no_copy_of_a_journeys_values_is_left(
    sandbox, live_server, worker, alice, alice_client, maria_client, settings
):
    submission = journey(sandbox, live_server, alice_client, maria_client, alice)
    assert decrypted_hits(CANARIES), "the journey stored no encrypted copy: the test is blind"
    audit_rows = AuditEntry.objects.count()

    # Telnyx's timestamps come from the sandbox clock, which earlier tests may have moved on.
    latest = max(timezone.now(), sandbox.now())
    later = latest + timedelta(days=settings.DOCUMENT_RETENTION_DAYS + 1)
    assert retention.purge_expired(now=timezone.now()) == 0
    assert retention.purge_expired(now=later) >= 4

    hits = decrypted_hits(CANARIES) + database_hits(CANARIES)
    assert not hits, "copies left after retention:\n" + "\n".join(hits)
    submission.refresh_from_db()
    assert submission.purged_at is not None and submission.values == {}
    assert submission.patch_payload is None
    assert not SearchToken.objects.filter(submission=submission).exists()
    assert submission.status == Submission.Status.SUBMITTED
    assert not RequirementDraft.objects.exists()
    assert not SubOrderComment.objects.exists()
    assert not WebhookEvent.objects.exists()
    assert Document.objects.get().deleted_at is not None
    assert retention.orphans() == set()
    # The audit trail stays and records each purge.
    assert AuditEntry.objects.count() > audit_rows
    assert AuditEntry.objects.filter(action="submission.purged").count() == 1


def test_p33_key_rotation_covers_every_encrypted_column():
    from compliance.documents.rotation import ENCRYPTED_FIELDS

    encrypted = {
        (model, f.name)
        for model in apps.get_models()
        for f in model._meta.concrete_fields
        if isinstance(f, EncryptedJSONField | EncryptedTextField)
    }
    rotated = {(model, name) for model, names in ENCRYPTED_FIELDS.items() for name in names}
    assert encrypted == rotated
