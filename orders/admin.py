"""Admin registrations of the orders app: read-only mirrors, searchable and filterable.

Everything here is either Telnyx's data as mirrored (orders, sub orders, numbers, comments,
reservations) or the portal's record of talking to Telnyx (who placed an order, the webhook
inbox, sync runs). None of it may be added, changed or deleted in admin, whatever the user's
model permissions (P35): a row made here would look like Telnyx data (an "admin" comment, an
order placed by someone else). Operators change things through the portal screens, which call
Telnyx and audit the change.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from orders import webhooks
from orders.models import (
    BulkOrder,
    NumberOrder,
    NumberReservation,
    NumberStatusChange,
    OrderedNumber,
    SubNumberOrder,
    SubOrderComment,
    SyncRun,
    WebhookEvent,
)
from orders.phone_search import PhoneSearchMixin
from portal import bounded_json
from portal.admin_site import ReadOnlyAdmin

PAYLOAD_SHOWN_CHARS = 20_000


class SubNumberOrderInline(admin.TabularInline):
    model = SubNumberOrder
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("telnyx_id", "country_code", "phone_number_type", "status", "phone_numbers_count")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(NumberOrder)
class NumberOrderAdmin(PhoneSearchMixin, ReadOnlyAdmin):
    list_display = (
        "customer_reference",
        "telnyx_id",
        "status",
        "placing_state",
        "phone_numbers_count",
        "placed_by",
        "created_at",
        "next_deadline",
        "last_synced_at",
    )
    list_filter = ("status", "placing_state", "needs_action", "requirements_met", "created_at")
    search_fields = ("customer_reference", "telnyx_id", "public_id", "numbers__phone_number")
    phone_search_paths = ("numbers__phone_number",)
    date_hierarchy = "created_at"
    list_select_related = ("placed_by",)
    inlines = [SubNumberOrderInline]
    readonly_fields = (
        "public_id",
        "telnyx_id",
        "customer_reference",
        "status",
        "requirements_met",
        "phone_numbers_count",
        "placing_attempts",
        "placing_errors",
        "requested_numbers",
        "telnyx_created_at",
        "telnyx_updated_at",
        "last_synced_at",
        "last_event_at",
        "next_deadline",
        "version",
    )


@admin.register(SubNumberOrder)
class SubNumberOrderAdmin(PhoneSearchMixin, ReadOnlyAdmin):
    list_display = (
        "telnyx_id",
        "number_order",
        "country_code",
        "phone_number_type",
        "status",
        "requirements_met",
        "phone_numbers_count",
        "last_synced_at",
    )
    list_filter = ("status", "country_code", "phone_number_type", "is_block_sub_number_order")
    search_fields = (
        "telnyx_id",
        "public_id",
        "number_order__customer_reference",
        "numbers__phone_number",
    )
    phone_search_paths = ("numbers__phone_number",)
    list_select_related = ("number_order",)
    raw_id_fields = ("number_order", "cancelled_by")
    readonly_fields = ("public_id", "regulatory_requirements", "last_synced_at")


@admin.register(OrderedNumber)
class OrderedNumberAdmin(PhoneSearchMixin, ReadOnlyAdmin):
    list_display = (
        "phone_number",
        "country_code",
        "phone_number_type",
        "status",
        "requirements_status",
        "deadline",
        "last_synced_at",
    )
    list_filter = ("status", "requirements_status", "country_code", "phone_number_type")
    search_fields = ("phone_number", "telnyx_id", "public_id")
    phone_search_paths = ("phone_number",)
    raw_id_fields = ("sub_order", "number_order")
    readonly_fields = ("public_id", "regulatory_requirements", "last_synced_at")


@admin.register(NumberStatusChange)
class NumberStatusChangeAdmin(ReadOnlyAdmin):
    list_display = ("number", "field", "old_value", "new_value", "source", "at")
    list_filter = ("field", "source")
    search_fields = ("number__phone_number",)
    raw_id_fields = ("number",)


@admin.register(SubOrderComment)
class SubOrderCommentAdmin(ReadOnlyAdmin):
    list_display = ("telnyx_id", "sub_order", "commenter_type", "read_at", "telnyx_created_at")
    list_filter = ("commenter_type",)
    search_fields = ("telnyx_id", "sub_order__telnyx_id")
    raw_id_fields = ("sub_order",)


@admin.register(NumberReservation)
class NumberReservationAdmin(ReadOnlyAdmin):
    list_display = ("telnyx_id", "status", "expires_at", "created_by", "created_at")
    list_filter = ("status",)
    search_fields = ("telnyx_id",)


@admin.register(BulkOrder)
class BulkOrderAdmin(ReadOnlyAdmin):
    list_display = ("customer_reference", "telnyx_id", "placing_state", "placed_by", "created_at")
    list_filter = ("placing_state", "created_at")
    search_fields = ("customer_reference", "telnyx_id", "public_id")
    readonly_fields = ("public_id", "requested_groups", "ordering_groups", "last_synced_at")


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ("event_id", "event_type", "state", "occurred_at", "received_at", "attempts")
    list_filter = ("state", "event_type")
    search_fields = ("event_id", "record_id")
    # The payload is never loaded by the JSON field: a row stored before intake was bounded can
    # nest too deeply for Python's parser. It is shown from PostgreSQL's text of it instead.
    exclude = ("payload",)
    readonly_fields = ("payload_view",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookEvent]:
        return super().get_queryset(request).defer("payload")

    @admin.display(description="Payload")
    def payload_view(self, event: WebhookEvent) -> str:
        text = webhooks.stored_payload_text(event.pk)
        try:
            shown = json.dumps(bounded_json.loads(text), indent=2, ensure_ascii=False)
            note = ""
        except bounded_json.JSONRefused as exc:
            shown, note = text, f"Shown as stored ({exc.reason})."
        if len(shown) > PAYLOAD_SHOWN_CHARS:
            shown = shown[:PAYLOAD_SHOWN_CHARS] + " …"
            note = (note + f" First {PAYLOAD_SHOWN_CHARS} characters.").strip()
        return format_html('<pre class="payload">{}</pre>{}', shown, note)


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = (
        "started_at",
        "state",
        "finished_at",
        "checked",
        "changed_rows",
        "history",
        "api_calls",
    )
    list_filter = ("state",)
    readonly_fields = (
        "state",
        "started_at",
        "finished_at",
        "cursor",
        "resumed_from",
        "checked",
        "changed_rows",
        "history",
        "api_calls",
        "error",
    )
