"""Each user's channel per event (a row overrides the default) and the digest switch."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from notifications.events import DEFAULT_CHANNELS, Channel, Event
from notifications.models import MailDigest, NotificationPreference


def channels(users: Iterable[Any], event: str) -> dict[int, str]:
    """User id -> channel for ``event``, in one query."""
    ids = [u.pk for u in users]
    chosen = dict(
        NotificationPreference.objects.filter(user_id__in=ids, event=event).values_list(
            "user_id", "channel"
        )
    )
    default = DEFAULT_CHANNELS.get(event, Channel.IN_APP)
    return {pk: chosen.get(pk, default) for pk in ids}


def digest_users(users: Iterable[Any]) -> set[int]:
    """Ids of those among ``users`` whose e-mails go into the daily digest."""
    ids = [u.pk for u in users]
    return set(
        MailDigest.objects.filter(user_id__in=ids, enabled=True).values_list("user_id", flat=True)
    )


def table(user: Any) -> list[tuple[Event, str]]:
    """Every event with the user's channel for it, in the order of ``Event``."""
    chosen = dict(NotificationPreference.objects.filter(user=user).values_list("event", "channel"))
    return [(event, chosen.get(event, DEFAULT_CHANNELS[event])) for event in Event]


def digest_enabled(user: Any) -> bool:
    return MailDigest.objects.filter(user=user, enabled=True).exists()


def save(user: Any, chosen: dict[str, str], digest: bool) -> None:
    """Store the user's channels (only those that differ from the default) and the digest."""
    with transaction.atomic():
        NotificationPreference.objects.filter(user=user).delete()
        NotificationPreference.objects.bulk_create(
            NotificationPreference(user=user, event=event, channel=channel)
            for event, channel in chosen.items()
            if channel != DEFAULT_CHANNELS.get(event)
        )
        MailDigest.objects.update_or_create(user=user, defaults={"enabled": digest})
