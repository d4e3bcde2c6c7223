"""Bulk orders record who approved them and when placing finished (like single orders), and
intents still on their way to Telnyx get an outbox job so the new relay carries them (P49)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

ACTIVE = ("queued", "placing", "unknown")
JOBS = (
    ("NumberOrder", "orders.place", "orders.tasks.place_number_order"),
    ("BulkOrder", "orders.place_bulk", "orders.tasks.place_bulk_order"),
)


def enqueue_active_intents(apps, schema_editor):
    from django.utils import timezone

    outbox = apps.get_model("portal", "OutboxMessage")
    for model_name, kind, task in JOBS:
        model = apps.get_model("orders", model_name)
        for pk in model.objects.filter(placing_state__in=ACTIVE).values_list("pk", flat=True):
            outbox.objects.get_or_create(
                kind=kind,
                object_id=pk,
                defaults={"tasks": [task], "next_attempt_at": timezone.now()},
            )


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0004_mirror_without_personal_values"),
        ("portal", "0003_outbox"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="bulkorder",
            name="approved_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="approved_bulk_orders",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="bulkorder",
            name="placing_finished_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(enqueue_active_intents, migrations.RunPython.noop),
    ]
