"""Create the periodic sync and outbox relay beat entries (editable in the admin)."""

from django.conf import settings
from django.db import migrations


def create_entries(apps, schema_editor):
    from orders.schedule import ensure_entries

    ensure_entries(
        apps.get_model("django_celery_beat", "PeriodicTask"),
        apps.get_model("django_celery_beat", "IntervalSchedule"),
        int(settings.ORDERS_SYNC_INTERVAL_SECONDS),
    )


def remove_entries(apps, schema_editor):
    from orders.schedule import ENTRIES

    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=ENTRIES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_entries, remove_entries)]
