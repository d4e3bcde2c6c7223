from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_save


class OrdersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "orders"
    verbose_name = "Orders"

    def ready(self) -> None:
        from django_celery_beat.models import PeriodicTask

        from orders.schedule import clamp_expiry

        pre_save.connect(clamp_expiry, sender=PeriodicTask, dispatch_uid="orders-clamp-expiry")
        post_migrate.connect(_ensure_beat_entries, sender=self, dispatch_uid="orders-beat")


def _ensure_beat_entries(sender: Any, **kwargs: Any) -> None:
    """Re-create missing beat entries after every migrate/flush (an admin edit is kept)."""
    from django.conf import settings
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from orders.schedule import ensure_entries

    ensure_entries(PeriodicTask, IntervalSchedule, int(settings.ORDERS_SYNC_INTERVAL_SECONDS))
