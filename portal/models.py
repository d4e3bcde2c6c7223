"""Project-wide models that belong to no app: permissions holder and the outbox.

``PortalAccess`` is unmanaged (no table) and exists only so that permissions such as "may use
the admin site" can be granted to a group like any other. ``OutboxMessage`` is the outbox of
`portal.outbox`: one row per job the portal must run against Telnyx.
"""

from django.db import models
from django.utils import timezone


class PortalAccess(models.Model):
    """Holder of project-wide permissions (no table)."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("use_admin", "Can use the Django admin site")]
        verbose_name = "portal access"

    def __str__(self) -> str:
        return "portal access"


class OutboxMessage(models.Model):
    """A job committed together with its intent and relayed until a worker finished it (P49)."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting for a worker"
        TAKEN = "taken", "Taken by a worker"
        DONE = "done", "Done"

    kind = models.CharField(max_length=64)
    object_id = models.BigIntegerField()
    # The Celery task names run (as a chain) with ``(object_id,)``; kept on the row so the
    # relay needs no registry of kinds.
    tasks = models.JSONField(default=list)
    state = models.CharField(
        max_length=16, choices=State.choices, default=State.PENDING, db_index=True
    )
    # Deliveries a worker started, and how many of them died before reporting back (a worker
    # killed, a time limit hit): the crash-loop counter (P22).
    attempts = models.PositiveIntegerField(default=0)
    crashes = models.PositiveIntegerField(default=0)
    running = models.BooleanField(default=False)
    # Times the message was handed to the broker (after commit, then by the relay).
    publishes = models.PositiveIntegerField(default=0)
    # The relay publishes the row again once this passes without the job being done.
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    taken_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="portal_one_outbox_per_job")
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="portal_outbox_due",
                condition=~models.Q(state="done"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.object_id} ({self.state})"
