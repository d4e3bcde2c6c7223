"""The Numbers Compliance Portal project: settings, URLs, Celery app and shared infrastructure."""

from portal.celery import app as celery_app

__all__ = ("celery_app",)
