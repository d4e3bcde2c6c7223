"""Project-level periodic work."""

from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone


@shared_task(ignore_result=True)
def clear_expired_sessions() -> int:
    """Delete sessions past their expiry so ended sessions leave no server-side data behind."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted
