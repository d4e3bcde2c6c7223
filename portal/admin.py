"""Admin registrations of the portal's own models: the outbox, for operators to see what is
waiting to be sent to Telnyx, what a worker holds and what keeps failing (P49, P22).

Read-only: a row is written with its intent and moved only by workers and the relay; a row made
or edited here would publish work nobody asked for.
"""

from __future__ import annotations

from django.contrib import admin

from portal.admin_site import ReadOnlyAdmin
from portal.models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = (
        "kind",
        "object_id",
        "state",
        "attempts",
        "crashes",
        "publishes",
        "next_attempt_at",
        "created_at",
        "done_at",
    )
    list_filter = ("state", "kind", "running")
    search_fields = ("kind", "last_error")
    date_hierarchy = "created_at"
    readonly_fields = (
        "kind",
        "object_id",
        "tasks",
        "state",
        "attempts",
        "crashes",
        "running",
        "publishes",
        "next_attempt_at",
        "last_error",
        "created_at",
        "taken_at",
        "done_at",
    )
