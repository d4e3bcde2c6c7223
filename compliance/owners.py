"""Who works on a sub order or a requirement group: claim, assign to a colleague, release.

Every change is a compare-and-set on the current assignee, so two people claiming at once
cannot both win (the second is told who was faster), and every change is in the audit trail.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Model, Q

from compliance.access import VIEW_PERM
from portal.audit import record

ACTIONS = ("claim", "assign", "release")


class OwnerError(Exception):
    """The change is not possible; ``str()`` is shown to the user and nothing changed."""


def colleagues() -> list[Any]:
    """Active users who can see sub orders (through a group or directly), by username."""
    app, codename = VIEW_PERM.split(".")
    perm = Q(
        groups__permissions__codename=codename,
        groups__permissions__content_type__app_label=app,
    ) | Q(
        user_permissions__codename=codename,
        user_permissions__content_type__app_label=app,
    )
    users = get_user_model().objects.filter(is_active=True).filter(perm | Q(is_superuser=True))
    return list(users.distinct().order_by("username"))


def _name(user: Any) -> str:
    return user.get_username() if user is not None else "nobody"


def change(
    actor: Any,
    target: Model,
    action: str,
    assignee_name: str = "",
    request: Any = None,
) -> Any:
    """Apply ``action`` to ``target``; return the new assignee (or None)."""
    if action not in ACTIONS:
        raise OwnerError("Choose claim, assign or release.")
    current = getattr(target, "assignee", None)
    if action == "claim":
        new = actor
    elif action == "release":
        new = None
    else:
        assignee_name = (assignee_name or "").strip()
        new = next((u for u in colleagues() if u.get_username() == assignee_name), None)
        if new is None:
            raise OwnerError("Choose a colleague from the list to assign it to.")
    if current == new:
        return current
    if action == "claim" and current is not None:
        raise OwnerError(
            f"{_name(current)} already works on this. Assign it to yourself to take it over."
        )
    model = type(target)
    updated = model._default_manager.filter(  # type: ignore[attr-defined]
        pk=target.pk, assignee=current
    ).update(assignee=new)
    if not updated:
        raise OwnerError("Someone changed the owner a moment ago. Reload and try again.")
    target.assignee = new  # type: ignore[attr-defined]
    record(
        actor,
        f"compliance.{model._meta.model_name}_{'released' if new is None else 'assigned'}",
        target=target,
        request=request,
        assignee=_name(new),
        previous=_name(current),
    )
    return new
