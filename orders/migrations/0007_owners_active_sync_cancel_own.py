"""Sub orders get an owner (assignee); the short-cadence sync of active sub orders gets its
beat entry (``ORDERS_SYNC_ACTIVE_SECONDS``, editable in the admin); staff may be allowed to
cancel the sub orders of orders they placed (``cancel_own_subnumberorder``)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def create_active_entry(apps, schema_editor):
    from orders.schedule import ensure_active_entry

    ensure_active_entry(
        apps.get_model("django_celery_beat", "PeriodicTask"),
        apps.get_model("django_celery_beat", "IntervalSchedule"),
        int(settings.ORDERS_SYNC_ACTIVE_SECONDS),
    )


def remove_active_entry(apps, schema_editor):
    from orders.schedule import ACTIVE_ENTRY

    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=ACTIVE_ENTRY).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0006_sub_orders_reports_activation_index"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="subnumberorder",
            name="assignee",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="assigned_sub_orders",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterModelOptions(
            name="numberorder",
            options={
                "ordering": ["-created_at"],
                "permissions": [
                    ("place_numberorder", "Can place number orders at Telnyx"),
                    ("approve_numberorder", "Can approve large number orders"),
                    ("cancel_subnumberorder", "Can cancel pending sub number orders"),
                    (
                        "cancel_own_subnumberorder",
                        "Can cancel pending sub orders of orders they placed",
                    ),
                    ("refresh_numberorder", "Can refresh an order from Telnyx"),
                ],
            },
        ),
        migrations.RunPython(create_active_entry, remove_active_entry),
    ]
