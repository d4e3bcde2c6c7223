"""The Celery application, configured from Django settings (``CELERY_*`` in settings.py).

What the settings guarantee (PROMISES P17-P24):

- JSON only, never pickle; task arguments are ids, never personal data.
- ``task_acks_late`` + ``task_reject_on_worker_lost``: a task whose worker dies is redelivered,
  so every task must be safe to run twice (conditional UPDATEs).
- One ``visibility_timeout`` (broker, result backend and top level) longer than the task time
  limit plus the longest countdown, or Redis would redeliver a still-running task.
- Beat schedules live in the database (django-celery-beat) so managers can edit them in admin.
- Tasks are ``celery.contrib.django.task.DjangoTask`` (set by Celery's Django fixup), so code
  publishes with ``task.delay_on_commit(...)``: nothing is enqueued for a rolled-back write.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
