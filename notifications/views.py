"""Notification screens: the bell (polled), the list, marking read, the preferences."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from notifications import inbox, preferences
from notifications.forms import PreferencesForm
from portal.htmx import HtmxHttpRequest
from portal.ids import uuid_or_404

PAGE_SIZE = 25


def _list_context(request: HtmxHttpRequest) -> dict[str, object]:
    page = Paginator(inbox.visible(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return {
        "page": page,
        "unread": inbox.unread_count(request.user),
        "poll_seconds": settings.PORTAL_LIVE_POLL_SECONDS,
    }


@login_required
@vary_on_headers("HX-Request")
def notification_list(request: HtmxHttpRequest) -> HttpResponse:
    context = _list_context(request)
    if request.htmx:
        return render(request, "notifications/list.html#list", context)
    return render(request, "notifications/list.html", context)


@login_required
def bell(request: HtmxHttpRequest) -> HttpResponse:
    """The bell with its unread count (polled by every page)."""
    return render(
        request,
        "notifications/bell.html",
        {
            "unread": inbox.unread_count(request.user),
            "poll_seconds": settings.PORTAL_LIVE_POLL_SECONDS,
        },
    )


def _after_marking(request: HtmxHttpRequest) -> HttpResponse:
    if request.htmx:
        # The list again, with the bell's new count swapped out of band.
        return render(request, "notifications/list.html#marked", _list_context(request))
    return redirect("notifications:list")


@login_required
@require_POST
def mark_read(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    if not inbox.mark_read(request.user, uuid_or_404(public_id)):
        raise Http404("Not found")
    return _after_marking(request)


@login_required
@require_POST
def mark_all_read(request: HtmxHttpRequest) -> HttpResponse:
    marked = inbox.mark_all_read(request.user)
    if not request.htmx:
        messages.success(request, f"Marked {marked} notification(s) read.")
    return _after_marking(request)


@login_required
def preferences_view(request: HtmxHttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            preferences.save(request.user, form.channels(), form.cleaned_data["digest"])
            messages.success(request, "Your notification choices are saved.")
            return redirect("notifications:preferences")
    else:
        initial: dict[str, object] = {
            f"event_{event.value}": channel for event, channel in preferences.table(request.user)
        }
        initial["digest"] = preferences.digest_enabled(request.user)
        form = PreferencesForm(initial=initial)
    return render(request, "notifications/preferences.html", {"form": form})
