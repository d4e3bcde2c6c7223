"""Compliance profiles: list, create from a submission, build/submit/attach requirement groups."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from compliance import owners, profiles
from compliance.access import FILL_PERM, get_number, get_sub_order, get_submission
from compliance.models import ComplianceProfile, RequirementGroupLink
from compliance.views.privacy import pii_page
from portal import outbox
from portal.htmx import HtmxHttpRequest
from portal.ids import uuid_or_404

VIEW = "compliance.view_complianceprofile"
ADD = "compliance.add_complianceprofile"
CHANGE = "compliance.change_complianceprofile"
QUEUE_DOWN = (
    "Saved. The task queue is not reachable right now; it will be sent to Telnyx as soon as "
    "it is back. Nothing else to do."
)


class ProfileFromSubmissionForm(forms.Form):
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=ComplianceProfile.Kind.choices)
    submission = forms.UUIDField(widget=forms.HiddenInput)


def _profile(request: HtmxHttpRequest, public_id: str, perm: str = VIEW) -> ComplianceProfile:
    if not request.user.has_perm(perm):
        raise Http404("Not found")
    try:
        return ComplianceProfile.objects.get(public_id=uuid_or_404(public_id))
    except ComplianceProfile.DoesNotExist as exc:
        raise Http404("Not found") from exc


@login_required
@pii_page
def profile_list(request: HtmxHttpRequest) -> HttpResponse:
    if not request.user.has_perm(VIEW):
        raise Http404("Not found")
    if request.method == "POST":
        if not request.user.has_perm(ADD):
            raise Http404("Not found")
        form = ProfileFromSubmissionForm(request.POST)
        if form.is_valid():
            submission = get_submission(request, str(form.cleaned_data["submission"]))
            profile = profiles.profile_from_submission(
                form.cleaned_data["name"],
                form.cleaned_data["kind"],
                submission.values,
                request.user,
            )
            messages.success(request, "Profile saved.")
            return redirect("compliance:profile", profile.public_id)
    # Names are encrypted (P51): sorted here, not by the database.
    profiles_list = sorted(
        ComplianceProfile.objects.prefetch_related("requirement_groups"),
        key=lambda p: p.name.casefold(),
    )
    used = profiles.usage(profiles_list)
    for profile in profiles_list:
        profile.used_on = used.get(profile.pk, [])  # type: ignore[attr-defined]
    return render(request, "compliance/profiles.html", {"profiles": profiles_list})


@login_required
@pii_page
def profile_detail(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    profile = _profile(request, public_id)
    return render(
        request,
        "compliance/profile.html",
        {
            "profile": profile,
            "groups": profile.requirement_groups.select_related("assignee"),
            "can_own": request.user.has_perm(FILL_PERM),
            "colleagues": owners.colleagues() if request.user.has_perm(FILL_PERM) else [],
            "mandatory": sorted(settings.ORDERS_GROUP_MANDATORY_COUNTRIES),
            "can_change": request.user.has_perm(CHANGE),
            "can_build": request.user.has_perm(FILL_PERM),
        },
    )


@login_required
@require_POST
def build_group(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    """Create a group for a sub order's country, type and requirements, and attach it."""
    profile = _profile(request, public_id, CHANGE)
    sub_order = get_sub_order(request, request.POST.get("sub_order", ""))
    ids = [str(r["requirement_id"]) for r in sub_order.regulatory_requirements or []]
    number = None
    if request.POST.get("number"):
        number = get_number(request, request.POST["number"])
        if number.sub_order_id != sub_order.pk:
            raise Http404("Not found")
    try:
        link = profiles.create_group(
            profile,
            sub_order.country_code,
            sub_order.phone_number_type,
            ids,
            request.user,
            sub_order=sub_order if request.POST.get("attach") else None,
            number=number,
        )
    except profiles.ProfileError as exc:
        messages.error(request, str(exc))
    else:
        if outbox.deferred(profiles.BUILD_JOB, link.pk):
            messages.warning(request, QUEUE_DOWN)
        else:
            messages.success(request, "The requirement group is being created at Telnyx.")
    return redirect("compliance:profile", profile.public_id)


@login_required
@require_POST
def submit_group(request: HtmxHttpRequest, public_id: str) -> HttpResponse:
    if not request.user.has_perm(CHANGE):
        raise Http404("Not found")
    link = RequirementGroupLink.objects.filter(public_id=uuid_or_404(public_id)).first()
    if link is None or not link.telnyx_id:
        raise Http404("Not found")
    try:
        profiles.submit_group(link, request.user)
    except profiles.ProfileError as exc:
        messages.error(request, str(exc))
    else:
        if outbox.deferred(profiles.SUBMIT_JOB, link.pk):
            messages.warning(request, QUEUE_DOWN)
        else:
            messages.success(request, "The requirement group is being submitted for approval.")
    return redirect(link.get_absolute_url())
