"""The four-eyes rule for submissions, and why one manager alone cannot switch it off (P15).

Turning the rule off is a two-person change: the first manager's request is recorded (and
audited) without effect; a different manager's confirmation applies it (audited with both
names). Turning it on takes effect at once and cancels any pending request.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from compliance.models import SubmissionPolicy
from portal.audit import record

PERMISSION = "compliance.change_submissionpolicy"


class PolicyRefused(Exception):
    """The change is not allowed; ``str()`` is shown to the user."""


def change_four_eyes(user: Any, required: bool, request: Any = None) -> str:
    """Ask for the four-eyes rule to be ``required`` (on) or not; returns what happened."""
    if not (user.has_perm(PERMISSION) and user.has_perm("compliance.approve_submission")):
        raise PolicyRefused("Only a compliance manager can change the four-eyes rule.")
    with transaction.atomic():
        SubmissionPolicy.current()
        policy = SubmissionPolicy.objects.select_for_update().get(pk=1)
        if required:
            changed = not policy.four_eyes_required or policy.off_requested_by_id is not None
            policy.four_eyes_required = True
            policy.off_requested_by = None
            policy.off_requested_at = None
            policy.save()
            if changed:
                record(
                    user,
                    "submission_policy.changed",
                    policy,
                    request=request,
                    four_eyes_required=True,
                )
            return "Four-eyes approval is on."
        if not policy.four_eyes_required:
            return "Four-eyes approval is already off."
        requester = policy.off_requested_by
        if requester is None or requester.pk == user.pk:
            policy.off_requested_by = user
            policy.off_requested_at = timezone.now()
            policy.save()
            record(user, "submission_policy.off_requested", policy, request=request)
            return "Four-eyes approval stays on until another manager confirms turning it off."
        policy.four_eyes_required = False
        policy.off_requested_by = None
        policy.off_requested_at = None
        policy.save()
        record(
            user,
            "submission_policy.changed",
            policy,
            request=request,
            four_eyes_required=False,
            requested_by=requester.get_username(),
        )
        return "Four-eyes approval is off (requested by another manager, confirmed by you)."
