"""Notifications, each user's choice of channel per event, and the daily digest switch.

A ``Notification`` is created once per (recipient, event, dedupe_key): a retried task or a
second sync pass that reports the same fact finds the row and creates nothing. Its title and
details never carry a personal requirement value (P51); the link is the page where the work
is done.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from notifications.events import DEFAULT_CHANNELS, Channel, Event


class Notification(models.Model):
    class Mail(models.TextChoices):
        NONE = "", "No e-mail"
        NOW = "now", "E-mail at once"
        DIGEST = "digest", "In the daily digest"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    event = models.CharField(max_length=32, choices=Event.choices)
    dedupe_key = models.CharField(max_length=200)
    title = models.CharField(max_length=300)
    # Further lines without personal values (counts, requirement names, deadlines).
    details = models.TextField(blank=True)
    # Path of the exact page (absolute in e-mails: COMPLIANCE_PORTAL_URL + url).
    url = models.CharField(max_length=500)
    # False when the user wants this event by e-mail only: the row still dedupes and is mailed.
    in_app = models.BooleanField(default=True)
    mail = models.CharField(max_length=8, choices=Mail.choices, blank=True, default=Mail.NONE)
    emailed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "event", "dedupe_key"], name="notifications_once"
            ),
        ]
        indexes = [
            # The bell: one user's unread in-app rows.
            models.Index(
                fields=["recipient", "created_at"],
                name="notifications_unread",
                condition=Q(in_app=True, read_at__isnull=True),
            ),
            # The digest and the mail relay: rows whose e-mail is still owed.
            models.Index(
                fields=["mail", "recipient"],
                name="notifications_mail_owed",
                condition=Q(emailed_at__isnull=True) & ~Q(mail=""),
            ),
        ]

    def __str__(self) -> str:
        return f"Notification {self.public_id} ({self.event})"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(models.Model):
    """A user's channel for one event; without a row the event's default applies."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    event = models.CharField(max_length=32, choices=Event.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "event"], name="notifications_one_pref"),
        ]

    def __str__(self) -> str:
        return f"{self.event}: {self.channel}"

    @staticmethod
    def default(event: str) -> str:
        return DEFAULT_CHANNELS.get(event, Channel.IN_APP)


class MailDigest(models.Model):
    """A user's daily digest switch: e-mail events batched into one mail a day."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mail_digest"
    )
    enabled = models.BooleanField(default=False)
    # The day the last digest was claimed (compare-and-set: one digest per user and day).
    last_sent_on = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Digest of user {self.user_id}: {'on' if self.enabled else 'off'}"
