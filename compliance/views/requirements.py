"""The sub order compliance page and its requirement form (drafts, inline validation, submit).

The page shows every number's requirements with their review status, declined ones highlighted
next to the admin comments, the deadline countdown, the submissions and the comment thread.
The form is one view: full page, or for HTMX just the field being validated.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from compliance import catalogue, owners, preflight, review
from compliance import submission as submissions
from compliance.access import FILL_PERM, get_number, get_sub_order, get_submission, require
from compliance.forms import RequirementForm, data_from_values
from compliance.models import (
    ComplianceProfile,
    Document,
    RequirementDraft,
    SavedAddress,
    Submission,
)
from compliance.views.privacy import pii_page
from orders.models import OrderedNumber, SubNumberOrder
from portal.audit import record
from portal.htmx import HtmxHttpRequest
from portal.ids import parse_uuid


@login_required
@pii_page
def sub_order_page(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    sub_order = get_sub_order(request, public_id)
    requirement_ids = [r.get("requirement_id") for r in sub_order.regulatory_requirements or []]
    types = catalogue.ensure([i for i in requirement_ids if i])
    numbers = review.number_states(sub_order, types)
    recent = list(
        sub_order.compliance_submissions.select_related("submitted_by", "decided_by", "number")[:20]
    )
    active = any(s.status in submissions.ACTIVE for s in recent)
    context: dict[str, Any] = {
        "sub_order": sub_order,
        "numbers": numbers,
        "requirements": [
            {
                "requirement_id": r.get("requirement_id"),
                "field_type": r.get("field_type"),
                "type": types.get(str(r.get("requirement_id"))),
            }
            for r in sub_order.regulatory_requirements or []
        ],
        "any_declined": any(n.declined for n in numbers),
        "admin_comments": review.admin_comments(sub_order),
        "unread_count": sub_order.comments.filter(
            commenter_type="admin", read_at__isnull=True
        ).count(),
        "submissions": recent,
        "can_fill": request.user.has_perm(FILL_PERM),
        "can_make_profile": request.user.has_perm("compliance.add_complianceprofile"),
    }
    context["polling"] = active
    context["colleagues"] = owners.colleagues() if context["can_fill"] else []
    context["documents"] = sub_order.compliance_documents.filter(deleted_at__isnull=True)
    context["can_read_documents"] = request.user.has_perm("compliance.view_document")
    context["live_seconds"] = settings.PORTAL_LIVE_POLL_SECONDS
    if request.htmx and request.GET.get("part") == "live":
        return render(request, "compliance/sub_order.html#live", context)
    if request.htmx and request.GET.get("part") == "submissions":
        if not active:
            # The last answer carries the final state; 286 tells htmx to stop polling.
            response = render(request, "compliance/sub_order.html#submissions", context)
            response.status_code = 286
            return response
        return render(request, "compliance/sub_order.html#submissions", context)
    return render(request, "compliance/sub_order.html", context)


def _form_for(
    request: HtmxHttpRequest,
    sub_order: SubNumberOrder,
    number: OrderedNumber | None,
    data: Any = None,
    partial: bool = False,
) -> RequirementForm:
    requirements = list(sub_order.regulatory_requirements or [])
    types = catalogue.ensure([str(r.get("requirement_id")) for r in requirements])
    documents = Document.objects.filter(deleted_at__isnull=True).filter(
        sub_order=sub_order
    ) | Document.objects.filter(deleted_at__isnull=True, profile__isnull=False)
    return RequirementForm(
        data,
        requirements=requirements,
        types=types,
        declined=review.declined_ids(sub_order, number),
        documents=documents,
        addresses=SavedAddress.objects.all(),
        partial=partial,
    )


def _numbers_of(sub_order: SubNumberOrder, number: OrderedNumber | None) -> list[str]:
    if number is not None:
        return [number.phone_number]
    return list(sub_order.numbers.values_list("phone_number", flat=True))


def _initial_data(
    request: HtmxHttpRequest, sub_order: SubNumberOrder, number: OrderedNumber | None
) -> tuple[dict[str, Any], str]:
    """Pre-fill: a profile if chosen, else the draft, else the previous submission."""
    profile_id = parse_uuid(request.GET.get("profile"))
    if profile_id:
        profile = ComplianceProfile.objects.filter(public_id=profile_id).first()
        if profile is not None:
            return data_from_values(profile.values), f"Pre-filled from profile {profile.name}."
    if request.GET.get("correct") != "1":
        draft = RequirementDraft.objects.filter(sub_order=sub_order, number=number).first()
        if draft is not None:
            return dict(draft.values), "Your saved draft was restored."
    values = review.latest_values(sub_order, number)
    if values:
        return data_from_values(values), "Pre-filled with the previously submitted values."
    return {}, ""


@sensitive_post_parameters()
@login_required
@require_http_methods(["GET", "POST"])
@pii_page
def requirement_form(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    sub_order = get_sub_order(request, public_id)
    require(request, FILL_PERM)
    number = None
    number_id = request.GET.get("number") or request.POST.get("number")
    if number_id:
        number = get_number(request, number_id)
        if number.sub_order_id != sub_order.pk:
            number = None
    notice = ""
    warnings: list[preflight.PreflightWarning] = []
    if request.method == "GET":
        data, notice = _initial_data(request, sub_order, number)
        form = _form_for(request, sub_order, number, data or None, partial=True)
        if data:
            form.is_valid()
    else:
        action = request.POST.get("action", "submit")
        form = _form_for(request, sub_order, number, request.POST, partial=action != "submit")
        valid = form.is_valid()
        if action == "validate" and request.htmx:
            field = request.headers.get("HX-Trigger-Name") or request.POST.get("field", "")
            section = next((s for s in form.sections if field.startswith(s["name"])), None)
            return render(
                request,
                "compliance/requirement_form.html#section",
                {"form": form, "section": section},
            )
        if action == "draft":
            RequirementDraft.objects.update_or_create(
                sub_order=sub_order,
                number=number,
                defaults={"values": form.draft_data(), "updated_by_id": request.user.pk},
            )
            record(request.user, "requirements.draft_saved", sub_order, request=request)
            messages.success(request, "Draft saved. Nothing was sent to Telnyx.")
            return _back_to_form(request, sub_order, number)
        if valid:
            # Said before anything is sent; the person may correct, or submit anyway (the
            # same warnings, seen once, do not stop the second submit).
            warnings = preflight.warnings_for(form, _numbers_of(sub_order, number))
            valid = not warnings or request.POST.get("warnings_seen") == preflight.key(warnings)
        if valid:
            try:
                submission = submissions.create_submission(
                    sub_order,
                    form.values(user=request.user),
                    request.user,
                    number=number,
                    request=request,
                )
            except submissions.SubmissionError as exc:
                form.add_error(None, str(exc))
            else:
                RequirementDraft.objects.filter(sub_order=sub_order, number=number).delete()
                if submission.status == Submission.Status.AWAITING_APPROVAL:
                    messages.success(
                        request, "Submitted. A manager must approve it before it goes to Telnyx."
                    )
                elif submissions.waiting_for_broker(submission):
                    messages.warning(request, submissions.SAVED_NOT_SENT)
                else:
                    messages.success(request, "Submitted. The values are being sent to Telnyx.")
                target = reverse("compliance:sub-order", args=[sub_order.public_id])
                if request.htmx:
                    return HttpResponseClientRedirect(target)
                return redirect(target)
    context = {
        "sub_order": sub_order,
        "number": number,
        "form": form,
        "warnings": warnings,
        "warnings_key": preflight.key(warnings),
        "notice": notice,
        "correcting": request.GET.get("correct") == "1" or bool(form.declined),
        "profiles": sorted(ComplianceProfile.objects.all()[:50], key=lambda p: p.name.casefold()),
        "upload_url": reverse("compliance:document-upload"),
    }
    status = 200 if request.method == "GET" or form.is_valid() else 400
    if request.htmx and request.method == "POST":
        status = 200
    return render(request, "compliance/requirement_form.html", context, status=status)


def _back_to_form(
    request: HtmxHttpRequest, sub_order: SubNumberOrder, number: OrderedNumber | None
) -> HttpResponse:
    target = reverse("compliance:requirement-form", args=[sub_order.public_id])
    if number is not None:
        target += f"?number={number.public_id}"
    if request.htmx:
        return HttpResponseClientRedirect(target)
    return redirect(target)


@login_required
@require_POST
def submission_retry(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    submission = get_submission(request, public_id)
    require(request, FILL_PERM)
    try:
        submissions.retry(submission, request.user, request=request)
    except submissions.SubmissionError as exc:
        messages.error(request, str(exc))
    else:
        if submissions.waiting_for_broker(submission):
            messages.warning(request, submissions.SAVED_NOT_SENT)
        else:
            messages.success(request, "The submission was queued again.")
    target = reverse("compliance:sub-order", args=[submission.sub_order.public_id])
    return HttpResponseClientRedirect(target) if request.htmx else redirect(target)
