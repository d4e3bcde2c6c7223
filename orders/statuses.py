"""Human labels and badge colours for every status value Telnyx is known to send.

Telnyx's enums drift between the spec, the guides and the SDK (``cancelled``, ``deleted``,
``declined``, ``partial_success`` ...), so statuses are open strings: every known value gets a
label and a colour class, and anything else gets a neutral badge showing the raw value, never
an error. Colour is never the only signal: the label is always shown as text.
"""

from __future__ import annotations

from typing import Final

NEUTRAL: Final = "badge-neutral"
INFO: Final = "badge-info"
OK: Final = "badge-ok"
WARN: Final = "badge-warn"
BAD: Final = "badge-bad"
MUTED: Final = "badge-muted"

# value -> (label, css class). One table for orders, sub orders, numbers, requirement values,
# bulk groups, reservations and our own placing states; the values do not collide in meaning.
_BADGES: Final[dict[str, tuple[str, str]]] = {
    # Order / sub order / number status.
    "pending": ("Pending", INFO),
    "success": ("Success", OK),
    "failure": ("Failure", BAD),
    "cancelled": ("Cancelled", MUTED),
    "partly_cancelled": ("Partly cancelled", WARN),
    "deleted": ("Deleted", MUTED),
    # Per-number requirements_status.
    "requirement-info-pending": ("Info needed", WARN),
    "requirement-info-under-review": ("Under review", INFO),
    "requirement-info-exception": ("Rejected, fix needed", BAD),
    "approved": ("Approved", OK),
    # Per-requirement value status.
    "declined": ("Declined", BAD),
    "awaiting-value": ("Awaiting value", WARN),
    "pending-approval": ("Pending approval", INFO),
    # Bulk (inexplicit) ordering groups and reservations.
    "processing": ("Processing", INFO),
    "partial_success": ("Partly filled", WARN),
    "failed": ("Failed", BAD),
    "expired": ("Expired", MUTED),
    # Our placing states.
    "awaiting_approval": ("Awaiting approval", WARN),
    "queued": ("Queued", INFO),
    "placing": ("Placing", INFO),
    "unknown": ("Reconciling", WARN),
    "placed": ("Placed", OK),
    "failed_exhausted": ("Failed after retries", BAD),
    "dead": ("Stopped", BAD),
}

KNOWN_STATUSES: Final = frozenset(_BADGES)


def badge(status: str | None) -> tuple[str, str]:
    """Return ``(label, css_class)``; unknown values keep their raw text on a neutral badge."""
    if status is None or status == "":
        return ("Not known yet", NEUTRAL)
    known = _BADGES.get(status)
    if known is not None:
        return known
    return (status.replace("_", " ").replace("-", " ").capitalize(), NEUTRAL)


def explain(status: str | None) -> str:
    """A one-line explanation for statuses that confuse people (shown as a tooltip/help text)."""
    return _EXPLANATIONS.get(status or "", "")


_EXPLANATIONS: Final[dict[str, str]] = {
    "partial_success": (
        "Telnyx found fewer numbers than requested and bought the ones it found "
        "(strategy 'always'). The allocated count says how many."
    ),
    "requirement-info-pending": "At least one requirement has no value yet: someone has to act.",
    "requirement-info-under-review": "All values are in; Telnyx Number Ops is reviewing them.",
    "requirement-info-exception": "A value was rejected. The reason is in the sub order comments.",
    "unknown": (
        "Telnyx did not answer clearly; the portal is checking whether the order exists "
        "before trying again, so nothing is bought twice."
    ),
    "cancelled": "Cancelled by a user or by Telnyx (for example after a missed deadline).",
    "partly_cancelled": "Some sub orders were cancelled; the others went on (see each one).",
    "deleted": "Every number of this order has since been deleted from the account.",
}
