"""The events a user can be notified of, the channels, and who gets what by default."""

from __future__ import annotations

from django.db import models


class Event(models.TextChoices):
    REJECTED = "rejected", "A number was rejected (fix needed)"
    COMMENT = "comment", "New comment from Telnyx"
    DEADLINE_72H = "deadline_72h", "Deadline within 72 hours"
    DEADLINE_24H = "deadline_24h", "Deadline within 24 hours"
    AUTO_CANCELLED = "auto_cancelled", "Cancelled by Telnyx (deadline passed)"
    ORDER_COMPLETED = "order_completed", "Order completed"
    SUBMISSION_FAILED = "submission_failed", "Submission failed"
    APPROVAL = "approval", "Waiting for my approval"


class Channel(models.TextChoices):
    OFF = "off", "Off"
    IN_APP = "in_app", "In the portal"
    EMAIL = "email", "E-mail"
    BOTH = "both", "In the portal and by e-mail"


# Everything in the portal; what needs someone's hands soon also by e-mail.
DEFAULT_CHANNELS: dict[str, str] = {
    Event.REJECTED: Channel.BOTH,
    Event.COMMENT: Channel.IN_APP,
    Event.DEADLINE_72H: Channel.BOTH,
    Event.DEADLINE_24H: Channel.BOTH,
    Event.AUTO_CANCELLED: Channel.IN_APP,
    Event.ORDER_COMPLETED: Channel.IN_APP,
    Event.SUBMISSION_FAILED: Channel.IN_APP,
    Event.APPROVAL: Channel.BOTH,
}

# What each event's title starts with (the record's description follows).
HEADLINES: dict[str, str] = {
    Event.REJECTED: "Rejected, fix needed",
    Event.COMMENT: "New comment from Telnyx",
    Event.DEADLINE_72H: "Deadline within 72 h",
    Event.DEADLINE_24H: "Deadline within 24 h",
    Event.AUTO_CANCELLED: "Cancelled by Telnyx (deadline passed)",
    Event.ORDER_COMPLETED: "Order completed",
    Event.SUBMISSION_FAILED: "Submission failed",
    Event.APPROVAL: "Waiting for your approval",
}


def in_app(channel: str) -> bool:
    return channel in (Channel.IN_APP, Channel.BOTH)


def by_email(channel: str) -> bool:
    return channel in (Channel.EMAIL, Channel.BOTH)


def deadline_event(hours: int) -> Event:
    """The reminder event of a threshold: the last day, or the earlier warning."""
    return Event.DEADLINE_24H if hours <= 24 else Event.DEADLINE_72H
