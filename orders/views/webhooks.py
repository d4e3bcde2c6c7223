"""``POST /webhooks/telnyx``: the only CSRF-exempt POST endpoint (P8); logic in orders.webhooks."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from orders.webhooks import receive


@csrf_exempt
@require_POST
def telnyx_webhook(request: HttpRequest) -> HttpResponse:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return JsonResponse({"error": "bad content length"}, status=400)
    # Refuse before reading: a declared oversize body is never buffered (P26).
    if length > int(settings.ORDERS_WEBHOOK_MAX_BYTES):
        return JsonResponse({"error": "payload too large"}, status=413)
    receipt = receive(request.body, request.headers, length)
    return JsonResponse({"status": receipt.message}, status=receipt.status)
