"""Strip personal values from rows mirrored or stored before P51: requirement values of sub
orders and numbers become ``has_value`` flags, and stored webhook envelopes keep only the
event's identity and the order's ids and status (as ``orders.mirror.requirement_states`` and
``orders.webhooks.stored_envelope`` write them now; copied here so the migration stays fixed).
Comment bodies are encrypted in place."""

from typing import Any

from django.db import migrations

import portal.encryption

REQUIREMENT_KEYS = ("requirement_id", "field_type", "record_type", "status")
KEPT_EVENT = ("record_type", "event_type", "id", "occurred_at")
KEPT_PAYLOAD = (
    "id",
    "record_type",
    "status",
    "customer_reference",
    "requirements_met",
    "phone_numbers_count",
    "created_at",
    "updated_at",
)
KEPT_META = ("attempt", "delivered_to")


def states(items: Any) -> list[dict[str, Any]]:
    out = []
    for item in items or ():
        if not isinstance(item, dict):
            continue
        state = {k: item[k] for k in REQUIREMENT_KEYS if item.get(k) is not None}
        state["has_value"] = bool(item.get("field_value") or item.get("has_value"))
        out.append(state)
    return out


def scalars(source: Any, keys: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(source, dict):
        return {}
    return {k: source[k] for k in keys if isinstance(source.get(k), str | int | float | bool)}


def envelope(stored: Any) -> dict[str, Any]:
    data = stored.get("data") if isinstance(stored, dict) else None
    meta = stored.get("meta") if isinstance(stored, dict) else None
    kept = {"data": scalars(data, KEPT_EVENT), "meta": scalars(meta, KEPT_META)}
    if isinstance(data, dict):
        kept["data"]["payload"] = scalars(data.get("payload"), KEPT_PAYLOAD)
    return kept


def strip(apps: Any, schema_editor: Any) -> None:
    for name in ("SubNumberOrder", "OrderedNumber"):
        model = apps.get_model("orders", name)
        for row in model.objects.only("pk", "regulatory_requirements").iterator():
            cleaned = states(row.regulatory_requirements)
            if cleaned != row.regulatory_requirements:
                model.objects.filter(pk=row.pk).update(regulatory_requirements=cleaned)
    event_model = apps.get_model("orders", "WebhookEvent")
    for event in event_model.objects.only("pk", "payload").iterator():
        cleaned_envelope = envelope(event.payload)
        if cleaned_envelope != event.payload:
            event_model.objects.filter(pk=event.pk).update(payload=cleaned_envelope)


def encrypt_comments(apps: Any, schema_editor: Any) -> None:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT id, body FROM orders_subordercomment")
        for pk, plain in cursor.fetchall():
            if plain and not plain.startswith("gAAAAA"):  # not yet a Fernet token
                token = portal.encryption.encrypt(plain.encode()).decode()
                cursor.execute(
                    "UPDATE orders_subordercomment SET body = %s WHERE id = %s", [token, pk]
                )


class Migration(migrations.Migration):
    dependencies = [("orders", "0003_placing_touched_at")]

    operations = [
        migrations.RunPython(strip, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="subordercomment",
            name="body",
            field=portal.encryption.EncryptedTextField(),
        ),
        migrations.RunPython(encrypt_comments, migrations.RunPython.noop, elidable=True),
    ]
