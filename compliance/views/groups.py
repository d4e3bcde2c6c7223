"""Requirement group pages: the list (filters in the query string), a new group for a country
and type picked from the catalogue (from scratch or pre-filled from a profile), its page, the
correction form, and the four-eyes actions. Logic lives in `compliance.groups`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from compliance import catalogue, groups, owners
from compliance.access import APPROVE_PERM, FILL_PERM, VIEW_PERM, get_group, require
from compliance.filters import GroupFilter
from compliance.forms import RequirementForm, data_from_values
from compliance.models import ComplianceProfile, Document, RequirementGroupLink, SavedAddress
from compliance.submission import display_value
from compliance.views import group_comments
from compliance.views.privacy import pii_page
from portal import outbox
from portal.csv_export import filters_query
from portal.htmx import HtmxHttpRequest

SENT = "The group is being sent to Telnyx and submitted for approval."
QUEUE_DOWN = (
    "Saved. The task queue is not reachable right now; the group will be sent to Telnyx as "
    "soon as it is back. Nothing else to do."
)


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=2000, strip=True)


class _ProfileChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class ScopeForm(forms.Form):
    """Country and type from the catalogue, and optionally a profile: lists, never typed ids."""

    scope = forms.ChoiceField(label="Country and number type")
    profile = _ProfileChoice(
        queryset=ComplianceProfile.objects.all(),
        required=False,
        to_field_name="public_id",
        label="Pre-fill from a compliance profile",
        empty_label="No profile: start from scratch",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scopes = groups.scope_choices()
        self.fields["scope"].choices = [("", "Choose..."), *self.scopes]  # type: ignore[attr-defined]


@login_required
@pii_page
def group_list(request: HtmxHttpRequest) -> HttpResponse:
    if not request.user.has_perm(VIEW_PERM):
        raise Http404("Not found")
    base = RequirementGroupLink.objects.select_related("profile", "assignee")
    filterset = GroupFilter(request.GET, queryset=base, request=request)
    paginator: Paginator[Any] = Paginator(filterset.qs, int(settings.ORDERS_LIST_PAGE_SIZE))
    page = paginator.get_page(request.GET.get("page"))
    rows = [{"group": g, "words": groups.describe(g), "flags": groups.flags(g)} for g in page]
    context = {
        "filter": filterset,
        "form": filterset.form,
        "page": page,
        "rows": rows,
        "query": filters_query(request),
        "can_fill": request.user.has_perm(FILL_PERM),
        "warning_days": settings.COMPLIANCE_GROUP_EXPIRY_WARNING_DAYS,
    }
    template = "compliance/groups.html" + ("#table" if request.htmx else "")
    return render(request, template, context)


def _requirement_form(
    request: HtmxHttpRequest,
    country: str,
    ntype: str,
    data: Any,
    partial: bool,
    link: RequirementGroupLink | None = None,
) -> RequirementForm:
    requirements = catalogue.requirements_in(country, ntype)
    # A group Telnyx has keeps the requirements it was built with; a draft follows the catalogue.
    if link is not None and link.telnyx_id:
        kinds = {r["requirement_id"]: r["field_type"] for r in requirements}
        requirements = [
            {"requirement_id": rid, "field_type": kinds.get(rid, "")}
            for rid in link.requirement_ids
        ]
    types = catalogue.ensure([r["requirement_id"] for r in requirements])
    mine = Q(sub_order__isnull=True, profile__isnull=True, uploaded_by=request.user)
    usable = Q(profile__isnull=False) | mine
    if link is not None:
        usable |= Q(requirement_group=link)
    return RequirementForm(
        data,
        requirements=requirements,
        types=types,
        documents=Document.objects.filter(deleted_at__isnull=True).filter(usable),
        addresses=SavedAddress.objects.all(),
        partial=partial,
    )


def _validated_section(request: HtmxHttpRequest, form: RequirementForm) -> HttpResponse:
    field = request.headers.get("HX-Trigger-Name") or request.POST.get("field", "")
    section = next((s for s in form.sections if field.startswith(s["name"])), None)
    return render(
        request, "compliance/requirement_form.html#section", {"form": form, "section": section}
    )


def _after_save(request: HtmxHttpRequest, link: RequirementGroupLink, action: str) -> HttpResponse:
    if action == "request":
        try:
            waits = groups.request_approval(link, request.user, request=request)
        except groups.GroupError as exc:
            messages.error(request, str(exc))
        else:
            if waits:
                messages.success(
                    request, "Saved. A manager must approve the group before it goes to Telnyx."
                )
            elif outbox.deferred(groups.profiles.BUILD_JOB, link.pk):
                messages.warning(request, QUEUE_DOWN)
            else:
                messages.success(request, SENT)
    else:
        messages.success(request, "Draft saved. Nothing was sent to Telnyx.")
    target = link.get_absolute_url()
    return HttpResponseClientRedirect(target) if request.htmx else redirect(target)


@sensitive_post_parameters()
@login_required
@require_http_methods(["GET", "POST"])
@pii_page
def group_new(request: HtmxHttpRequest) -> HttpResponse:
    if not request.user.has_perm(VIEW_PERM):
        raise Http404("Not found")
    require(request, FILL_PERM)
    source = request.POST if request.method == "POST" else request.GET
    if source.get("scope"):
        picker = ScopeForm(source)
    else:
        picker = ScopeForm(initial={"profile": source.get("profile", "")})
    form = None
    scope = None
    profile = None
    if picker.is_bound and picker.is_valid():
        scope = groups.parse_scope(picker.cleaned_data["scope"])
        profile = picker.cleaned_data.get("profile")
    if scope is not None:
        country, ntype = scope
        if request.method == "GET":
            data = data_from_values(profile.values) if profile else None
            form = _requirement_form(request, country, ntype, data, partial=True)
            if data:
                form.is_valid()
        else:
            action = request.POST.get("action", "draft")
            form = _requirement_form(
                request, country, ntype, request.POST, partial=action != "request"
            )
            valid = form.is_valid()
            if action == "validate" and request.htmx:
                return _validated_section(request, form)
            if valid:
                try:
                    link = groups.create(
                        request.user,
                        country,
                        ntype,
                        form.values(user=request.user, label=f"{country} {ntype} group"),
                        profile=profile,
                        request=request,
                    )
                except groups.GroupError as exc:
                    form.add_error(None, str(exc))
                else:
                    return _after_save(request, link, action)
    context = {
        "picker": picker,
        "form": form,
        "scope": scope,
        "profile": profile,
        "upload_url": reverse("compliance:document-upload"),
        "catalogue_empty": not picker.scopes,
    }
    status = 400 if request.method == "POST" and not (request.htmx) else 200
    return render(request, "compliance/group_form.html", context, status=status)


@sensitive_post_parameters()
@login_required
@require_http_methods(["GET", "POST"])
@pii_page
def group_edit(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    link = get_group(request, public_id)
    require(request, FILL_PERM)
    if not groups.editable(link):
        messages.error(request, "This group cannot be changed now.")
        return redirect(link.get_absolute_url())
    country, ntype = link.country_code, link.phone_number_type
    if request.method == "GET":
        form = _requirement_form(
            request, country, ntype, data_from_values(link.values) or None, True, link
        )
        if link.values:
            form.is_valid()
    else:
        action = request.POST.get("action", "draft")
        form = _requirement_form(request, country, ntype, request.POST, action != "request", link)
        valid = form.is_valid()
        if action == "validate" and request.htmx:
            return _validated_section(request, form)
        if valid:
            try:
                groups.update_values(
                    link,
                    request.user,
                    form.values(user=request.user, label=link.label),
                    request=request,
                )
            except groups.GroupError as exc:
                form.add_error(None, str(exc))
            else:
                return _after_save(request, link, action)
    context = {"group": link, "form": form, "upload_url": reverse("compliance:document-upload")}
    status = 400 if request.method == "POST" and not request.htmx else 200
    return render(request, "compliance/group_form.html", context, status=status)


def _summary(link: RequirementGroupLink) -> list[dict[str, str]]:
    """Each requirement with its value in words; documents by kind and date, never content."""
    types = catalogue.cached(link.requirement_ids)
    values = groups.profiles.group_values(link)
    rows = []
    for rid in link.requirement_ids:
        value = values.get(rid)
        if value is None:
            shown = "No value yet"
        elif value.get("type") == "document":
            document = Document.objects.filter(public_id=str(value.get("document"))).first()
            shown = (
                f"Document ({document.content_type}, uploaded {document.uploaded_at:%Y-%m-%d})"
                if document is not None and document.deleted_at is None
                else "Document (deleted)"
            )
        else:
            shown = display_value(value)
        rows.append({"label": types[rid].name if rid in types else rid[:8], "value": shown})
    return rows


@login_required
@pii_page
def group_detail(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    link = get_group(request, public_id)
    user = request.user
    can_fill = user.has_perm(FILL_PERM)
    context = {
        "group": link,
        "words": groups.describe(link),
        "flags": groups.flags(link),
        "summary": _summary(link),
        "usage": groups.usage(link),
        "can_fill": can_fill,
        "can_edit": can_fill and groups.editable(link),
        "can_request": can_fill
        and link.stage == RequirementGroupLink.Stage.DRAFT
        and not link.pending_job,
        "can_approve": user.has_perm(APPROVE_PERM)
        and link.stage == RequirementGroupLink.Stage.AWAITING_APPROVAL
        and link.requested_by_id != user.pk,
        "own_request": link.stage == RequirementGroupLink.Stage.AWAITING_APPROVAL
        and link.requested_by_id == user.pk,
        "colleagues": owners.colleagues() if can_fill else [],
        "warning_days": settings.COMPLIANCE_GROUP_EXPIRY_WARNING_DAYS,
    }
    # The comment thread (a template's text in the reply box after "Use template" without JS).
    chosen = {}
    if "template" in request.GET and can_fill:
        chosen = group_comments.template_choice(link, request.GET)
    context.update(group_comments.thread_context(request, link, **chosen))
    context["group"] = link
    return render(request, "compliance/group.html", context)


def _action(request: HtmxHttpRequest, public_id: str, perm: str) -> RequirementGroupLink:
    link = get_group(request, public_id)
    require(request, perm)
    return link


@login_required
@require_POST
def group_request_approval(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    link = _action(request, public_id, FILL_PERM)
    return _after_save(request, link, "request")


@login_required
@require_POST
def group_approve(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    link = _action(request, public_id, APPROVE_PERM)
    try:
        groups.approve(link, request.user, request=request)
    except groups.GroupError as exc:
        messages.error(request, str(exc))
    else:
        if outbox.deferred(groups.profiles.BUILD_JOB, link.pk):
            messages.warning(request, QUEUE_DOWN)
        else:
            messages.success(request, "Approved. " + SENT)
    return redirect(link.get_absolute_url())


@login_required
@require_POST
def group_reject(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    link = _action(request, public_id, APPROVE_PERM)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why in at most 2000 characters, so the author can correct it.")
        return redirect(link.get_absolute_url())
    try:
        groups.reject(link, request.user, form.cleaned_data["reason"], request=request)
    except groups.GroupError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Returned to its author as a draft.")
    return redirect(link.get_absolute_url())
