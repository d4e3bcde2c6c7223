"""Per-object access with real objects (P34): every object URL by every kind of user.

Staff A owns a real object of every kind that has a URL (``tests.portal.world``). Each page,
htmx partial, download and POST action on those objects is requested as anonymous, staff A,
staff B, a manager and an outsider without a role, and only the cells the project's rules allow
may succeed. The rules (``orders/access.py``, ``compliance/access.py``): orders and compliance
work are shared by the whole compliance team, so staff B may work on A's orders exactly like A;
what is A's alone is a reservation and A's notifications. Approving and changing profiles are
for managers; cancelling a pending sub order for managers and for the staff member who placed
its order. A request that names A's object under someone else's parent (A's order with B's sub
order, A's sub order with B's number) is out of scope for everyone: 404. An outsider gets 403
or 404 everywhere, an anonymous visitor the login page.

The ids requested exist, so removing a per-object check from an access helper makes a denied
cell succeed and this test fail (the old outsider walk only asked for ids that do not exist).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.compliance import samples
from tests.fixtures.people import signed_in_client
from tests.portal.urlwalk import routes_with_ids
from tests.portal.world import World, admin_object_ids, url_kwargs

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

PEOPLE = ("anonymous", "alice", "bob", "maria", "olga")
TEAM = frozenset({"alice", "bob", "maria"})
MANAGER = frozenset({"maria"})
OWNER = frozenset({"alice"})
MANAGER_OR_PLACER = MANAGER | OWNER  # cancelling a pending sub order of A's order
NOBODY: frozenset[str] = frozenset()
SIGNED_IN = TEAM | {"olga"}  # one's own notifications need no role
HTMX = {"HX-Request": "true", "HX-Current-URL": "http://testserver/"}


@dataclass(frozen=True)
class Cell:
    """One request and who may get a successful answer to it."""

    label: str
    method: str
    url: str
    allowed: frozenset[str]
    data: Callable[[], dict[str, Any]] = dict
    headers: dict[str, str] = field(default_factory=dict)
    # Signed-in users who must get exactly 404 (object out of their scope), not just a refusal.
    must_404: frozenset[str] = NOBODY


def cells(w: World, manager: Any) -> list[Cell]:
    def url(name: str, *args: Any) -> str:
        return reverse(name, args=[str(a) for a in args])

    order, sub, bulk = w.order.public_id, w.sub_order.public_id, w.bulk.public_id
    doc, profile, group = w.document.public_id, w.profile.public_id, w.group.public_id
    other_sub, other_order = w.other_sub_order.public_id, w.other_order.public_id

    def upload() -> dict[str, Any]:
        return {
            "file": SimpleUploadedFile("bill.png", samples.png(), "image/png"),
            "sub_order": str(sub),
        }

    table = [
        # Orders: pages and htmx partials.
        Cell("order page", "get", url("orders:detail", order), TEAM),
        Cell(
            "order progress",
            "get",
            url("orders:detail", order) + "?part=progress",
            TEAM,
            headers=HTMX,
        ),
        Cell(
            "order sub orders",
            "get",
            url("orders:detail", order) + "?part=sub-orders",
            TEAM,
            headers=HTMX,
        ),
        Cell("bulk page", "get", url("orders:bulk-detail", bulk), TEAM),
        Cell(
            "bulk progress",
            "get",
            url("orders:bulk-detail", bulk) + "?part=progress",
            TEAM,
            headers=HTMX,
        ),
        Cell("cancel form", "get", url("orders:sub-order-cancel", order, sub), MANAGER_OR_PLACER),
        Cell(
            "cancel form htmx",
            "get",
            url("orders:sub-order-cancel", order, sub),
            MANAGER_OR_PLACER,
            headers=HTMX,
        ),
        # Orders: actions.
        Cell("refresh", "post", url("orders:refresh", order), TEAM),
        Cell("reselect", "post", url("orders:reselect", order), TEAM),
        Cell("approve", "post", url("orders:approve", order), MANAGER),
        Cell("bulk approve", "post", url("orders:bulk-approve", bulk), MANAGER),
        Cell("cancel", "post", url("orders:sub-order-cancel", order, sub), MANAGER_OR_PLACER),
        Cell(
            "extend reservation",
            "post",
            url("orders:reservation-extend", w.reservation.public_id),
            OWNER,
            must_404=frozenset({"bob", "maria"}),
        ),
        # Orders: A's order with B's sub order, and the other way round.
        Cell(
            "cancel B's sub order under A's order",
            "get",
            url("orders:sub-order-cancel", order, other_sub),
            NOBODY,
            must_404=MANAGER,
        ),
        Cell(
            "cancel A's sub order under B's order",
            "post",
            url("orders:sub-order-cancel", other_order, sub),
            NOBODY,
            must_404=MANAGER,
        ),
        # Compliance: pages, partials, downloads.
        Cell("sub order page", "get", url("compliance:sub-order", sub), TEAM),
        Cell(
            "submissions partial",
            "get",
            url("compliance:sub-order", sub) + "?part=submissions",
            TEAM,
            headers=HTMX,
        ),
        Cell("requirement form", "get", url("compliance:requirement-form", sub), TEAM),
        Cell("comment thread", "get", url("compliance:comments", sub), TEAM, headers=HTMX),
        Cell("download", "get", url("compliance:document-download", doc), TEAM),
        Cell("preview", "get", url("compliance:document-preview", doc), TEAM),
        Cell("profile page", "get", url("compliance:profile", profile), TEAM),
        Cell("groups list", "get", reverse("compliance:groups"), TEAM),
        Cell("new group form", "get", reverse("compliance:group-new"), TEAM),
        Cell("group page", "get", url("compliance:group", group), TEAM),
        Cell("group correction form", "get", url("compliance:group-edit", group), TEAM),
        # Compliance: actions.
        Cell(
            "save draft",
            "post",
            url("compliance:requirement-form", sub),
            TEAM,
            data=lambda: {"action": "draft"},
        ),
        Cell("comment", "post", url("compliance:comments", sub), TEAM, headers=HTMX),
        Cell(
            "ask for more time",
            "post",
            url("compliance:request-extension", sub),
            TEAM,
            headers=HTMX,
        ),
        # The inbox (its list is the whole team's) and its read marks, mirrored to Telnyx.
        Cell("inbox", "get", reverse("compliance:inbox"), TEAM),
        Cell("inbox list", "get", reverse("compliance:inbox-list"), TEAM, headers=HTMX),
        Cell(
            "mark a comment read from the inbox",
            "post",
            url("compliance:inbox-comment-read", sub, w.comment.telnyx_id),
            TEAM,
            headers=HTMX,
        ),
        Cell(
            "mark a comment read from the inbox, without JavaScript",
            "post",
            url("compliance:inbox-comment-read", sub, w.comment.telnyx_id),
            TEAM,
        ),
        Cell(
            "mark a sub order's comments read from the inbox",
            "post",
            url("compliance:inbox-sub-order-read", sub),
            TEAM,
        ),
        Cell(
            "retry submission",
            "post",
            url("compliance:submission-retry", w.submission.public_id),
            TEAM,
        ),
        Cell(
            "upload to the sub order",
            "post",
            reverse("compliance:document-upload"),
            TEAM,
            data=upload,
        ),
        Cell(
            "profile from submission",
            "post",
            reverse("compliance:profiles"),
            MANAGER,
            data=lambda: {
                "name": "Copy",
                "kind": "business",
                "submission": str(w.submission.public_id),
            },
        ),
        Cell(
            "build group",
            "post",
            url("compliance:profile-group", profile),
            MANAGER,
            data=lambda: {"sub_order": str(sub)},
        ),
        Cell("submit group", "post", url("compliance:group-submit", w.group.public_id), MANAGER),
        Cell(
            "send group for approval",
            "post",
            url("compliance:group-request-approval", group),
            TEAM,
        ),
        Cell("approve group", "post", url("compliance:group-approve", group), MANAGER),
        Cell(
            "return group",
            "post",
            url("compliance:group-reject", group),
            MANAGER,
            data=lambda: {"reason": "Use the new address"},
        ),
        Cell(
            "group owner",
            "post",
            url("compliance:group-owner", group),
            TEAM,
            data=lambda: {"action": "claim"},
        ),
        # A requirement group's comments: its thread, replies and read marks (Telnyx first),
        # on its page and from the inbox; the same people as the group's page.
        Cell("group comments", "get", url("compliance:group-comments", group), TEAM, headers=HTMX),
        Cell(
            "reply on a group",
            "post",
            url("compliance:group-comments", group),
            TEAM,
            data=lambda: {"body": "Is a scan enough?"},
            headers=HTMX,
        ),
        Cell(
            "mark a group comment read on its page",
            "post",
            url("compliance:group-comment-read", group, w.group_comment.telnyx_id),
            TEAM,
            headers=HTMX,
        ),
        Cell(
            "mark a group's comments read on its page",
            "post",
            url("compliance:group-comments-read", group),
            TEAM,
        ),
        Cell(
            "mark a group comment read from the inbox",
            "post",
            url("compliance:inbox-group-comment-read", group, w.group_comment.telnyx_id),
            TEAM,
            headers=HTMX,
        ),
        Cell(
            "mark a group's comments read from the inbox",
            "post",
            url("compliance:inbox-group-read", group),
            TEAM,
        ),
        Cell(
            "mark B's group comment read under A's group (inbox)",
            "post",
            url("compliance:inbox-group-comment-read", group, w.other_group_comment.telnyx_id),
            NOBODY,
            headers=HTMX,
            must_404=TEAM,
        ),
        Cell(
            "mark B's group comment read under A's group (page)",
            "post",
            url("compliance:group-comment-read", group, w.other_group_comment.telnyx_id),
            NOBODY,
            headers=HTMX,
            must_404=TEAM,
        ),
        # Compliance: A's sub order with B's comment.
        Cell(
            "mark B's comment read under A's sub order",
            "post",
            url("compliance:inbox-comment-read", sub, w.other_comment.telnyx_id),
            NOBODY,
            headers=HTMX,
            must_404=TEAM,
        ),
        # Compliance: A's sub order with B's number.
        Cell(
            "group for B's number under A's sub order",
            "post",
            url("compliance:profile-group", profile),
            NOBODY,
            data=lambda: {"sub_order": str(sub), "number": str(w.other_number.public_id)},
            must_404=MANAGER,
        ),
        Cell(
            "draft for B's number under A's sub order",
            "post",
            url("compliance:requirement-form", sub),
            TEAM,
            data=lambda: {"action": "draft", "number": str(w.other_number.public_id)},
        ),
    ]
    # Notifications: A's own, and only A's.
    table += [
        Cell("notification list", "get", reverse("notifications:list"), SIGNED_IN),
        Cell("notification bell", "get", reverse("notifications:bell"), SIGNED_IN, headers=HTMX),
        Cell(
            "mark A's notification read",
            "post",
            url("notifications:read", w.notification.public_id),
            OWNER,
            must_404=frozenset({"bob", "maria", "olga"}),
        ),
    ]
    # The admin's pages of each of A's objects: managers, where their role lets them view it.
    for prefix, pk in admin_object_ids(w).items():
        app, model = prefix.removeprefix("admin:").split("_", 1)
        viewer = MANAGER if manager.has_perm(f"{app}.view_{model}") else NOBODY
        for page in ("change", "history"):
            target = reverse(f"{prefix}_{page}", args=[pk])
            table.append(Cell(f"admin {page} {app}.{model}", "get", target, viewer))
    return table


def _to_login(response) -> bool:
    """A redirect to a sign-in page (the admin's sends signed-in users without the role on to
    a 403), or the ``HX-Redirect`` the middleware answers htmx requests with."""
    login = (reverse("login"), reverse("admin:login"), reverse("otp-verify"))
    if response.status_code in {301, 302, 303}:
        return response["Location"].startswith(login)
    return response.get("HX-Redirect", "").startswith(login)


def succeeded(response) -> bool:
    if _to_login(response):
        return False
    return 200 <= response.status_code < 300 or response.status_code in {301, 302, 303}


def refused_properly(person: str, response) -> bool:
    if person == "anonymous":
        return _to_login(response) and not response.get("Location", "").startswith(
            reverse("admin:login")
        )
    return response.status_code in {403, 404} or _to_login(response)


@pytest.fixture
def people(alice, bob, maria, olga) -> dict[str, Any]:
    return {"anonymous": None, "alice": alice, "bob": bob, "maria": maria, "olga": olga}


def test_p34_only_the_allowed_cells_of_every_object_url_succeed(world, people):
    table = cells(world, people["maria"])
    assert any(c.label.startswith("admin") and c.allowed for c in table)
    wrong = []
    for person in PEOPLE:
        user = people[person]
        client = Client() if user is None else signed_in_client(user)
        for cell in table:
            allowed = person in cell.allowed
            response = getattr(client, cell.method)(cell.url, cell.data(), headers=cell.headers)
            if allowed and not succeeded(response):
                wrong.append(f"{person} was refused {cell.label}: {response.status_code}")
            elif not allowed and succeeded(response):
                wrong.append(f"{person} got through to {cell.label}: {response.status_code}")
            elif not allowed and not refused_properly(person, response):
                wrong.append(f"{person} got {response.status_code} for {cell.label}")
            elif person in cell.must_404 and response.status_code != 404:
                wrong.append(f"{person} got {response.status_code}, not 404, for {cell.label}")
    assert not wrong, "\n".join(wrong)


def test_p34_every_app_url_that_takes_an_id_is_in_the_matrix(world, maria):
    kwargs = url_kwargs(world)
    in_matrix = {c.url.split("?")[0] for c in cells(world, maria)}
    with_ids = {r.path for r in routes_with_ids(kwargs, {}) if r.view_name in kwargs}
    assert len(with_ids) == len(kwargs)
    assert with_ids <= in_matrix, f"not in the P34 matrix: {sorted(with_ids - in_matrix)}"


def test_p34_every_access_helper_refuses_a_user_without_the_role_for_real_objects(world, olga):
    """The helpers' own checks, which the views' permission decorators hide from the HTTP
    matrix above: each must hold even if a decorator in front of it is dropped."""
    from django.http import Http404
    from django.test import RequestFactory

    from compliance import access as compliance_access
    from orders import access as orders_access

    request = RequestFactory().get("/")
    request.user = olga
    assert not orders_access.visible_orders(olga).exists()
    refusals = {
        "get_order": lambda: orders_access.get_order(olga, world.order.public_id),
        "get_bulk_order": lambda: orders_access.get_bulk_order(olga, world.bulk.public_id),
        "get_sub_order (compliance)": lambda: compliance_access.get_sub_order(
            request, world.sub_order.public_id
        ),
        "get_number": lambda: compliance_access.get_number(request, world.number.public_id),
        "get_submission": lambda: compliance_access.get_submission(
            request, world.submission.public_id
        ),
    }
    let_through = []
    for name, call in refusals.items():
        try:
            call()
        except Http404:
            continue
        let_through.append(name)
    assert not let_through, f"these helpers let an outsider through: {let_through}"
