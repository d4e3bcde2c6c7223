"""Using an approved requirement group afterwards on a pending sub order or one number: an
outbox job (P49), audited, with Telnyx's answer mirrored on the order page."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from compliance.models import AuditEntry
from orders import group_attach
from orders.models import GroupAttachment
from portal.models import OutboxMessage

from .groups import approved_group
from .helpers import place_now

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _url(sub) -> str:
    return reverse("orders:sub-order-group", args=[sub.number_order.public_id, sub.public_id])


def _attach_posts(sandbox) -> list[dict]:
    return [r for r in sandbox.requests(method="POST") if r["path"].endswith("/requirement_group")]


def test_a_group_is_applied_to_a_pending_sub_order_through_the_outbox(sandbox, alice, alice_client):
    order = place_now(alice, sandbox, [("DE", "local", 2)])
    sub = order.sub_orders.get()
    assert sub.status == "pending"
    link = approved_group(sandbox, alice, "DE", "local")
    page = alice_client.get(order.get_absolute_url()).content.decode()
    assert "Use requirement group" in page
    form = alice_client.get(_url(sub)).content.decode()
    assert str(link.public_id) in form and "Muster AG" in form
    sandbox.clear_requests()
    response = alice_client.post(_url(sub), {"group": str(link.public_id), "target": "all"})
    assert response.status_code == 302
    row = GroupAttachment.objects.get()
    # Nothing is sent from the request: the job waits in the outbox.
    assert OutboxMessage.objects.filter(kind=group_attach.JOB.name, object_id=row.pk).exists()
    assert not _attach_posts(sandbox)
    assert group_attach.run(row.pk) == GroupAttachment.State.DONE
    posts = _attach_posts(sandbox)
    assert [p["path"].rsplit("/", 2)[-2] for p in posts] == [sub.telnyx_id]
    assert json.loads(posts[0]["body"]) == {"requirement_group_id": link.telnyx_id}
    assert AuditEntry.objects.filter(action="orders.group_attached").exists()
    link.refresh_from_db()
    assert str(sub.public_id) in link.attached_to
    # The mirror shows the group's values under review: no value is awaited any more.
    statuses = set(sub.numbers.values_list("requirements_status", flat=True))
    assert statuses == {"requirement-info-under-review"}, statuses
    history = alice_client.get(_url(sub)).content.decode()
    assert "Applied at Telnyx" in history
    # Running the job again sends nothing more.
    assert group_attach.run(row.pk) == GroupAttachment.State.DONE
    assert len(_attach_posts(sandbox)) == 1


def test_a_group_can_be_applied_to_one_number_only(sandbox, alice, alice_client):
    order = place_now(alice, sandbox, [("DE", "local", 2)])
    sub = order.sub_orders.get()
    first, second = sub.numbers.order_by("phone_number")
    link = approved_group(sandbox, alice, "DE", "local")
    # The sub order's requirements page links each pending number to the form, preselected.
    page = alice_client.get(reverse("compliance:sub-order", args=[sub.public_id])).content
    assert f"{_url(sub)}?number={first.public_id}".encode() in page
    form = alice_client.get(f"{_url(sub)}?number={first.public_id}").content.decode()
    assert f'<option value="{first.public_id}" selected>' in form
    sandbox.clear_requests()
    alice_client.post(_url(sub), {"group": str(link.public_id), "target": str(first.public_id)})
    row = GroupAttachment.objects.get()
    assert row.number == first
    assert group_attach.run(row.pk) == GroupAttachment.State.DONE
    posts = _attach_posts(sandbox)
    assert len(posts) == 1 and first.telnyx_id in posts[0]["path"]
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.requirements_status == "requirement-info-under-review"
    assert second.requirements_status != "requirement-info-under-review"


def test_a_group_that_does_not_fit_is_not_offered_and_cannot_be_forged(
    sandbox, alice, alice_client
):
    order = place_now(alice, sandbox, [("DE", "local", 1)])
    sub = order.sub_orders.get()
    other = approved_group(sandbox, alice, "GB", "local")
    html = alice_client.get(_url(sub)).content.decode()
    assert str(other.public_id) not in html and "No approved group fits" in html
    response = alice_client.post(_url(sub), {"group": str(other.public_id), "target": "all"})
    assert response.status_code == 200
    assert not GroupAttachment.objects.exists()


def test_a_refusal_is_recorded_and_shown(sandbox, alice, alice_client):
    order = place_now(alice, sandbox, [("DE", "local", 1)])
    sub = order.sub_orders.get()
    link = approved_group(sandbox, alice, "DE", "local")
    alice_client.post(_url(sub), {"group": str(link.public_id), "target": "all"})
    row = GroupAttachment.objects.get()
    sandbox.http.patch(f"/sub_number_orders/{sub.telnyx_id}/cancel")  # cancelled meanwhile
    assert group_attach.run(row.pk) == GroupAttachment.State.FAILED
    row.refresh_from_db()
    assert "Telnyx refused" in row.error
    assert AuditEntry.objects.filter(action="orders.group_refused").exists()
    assert "Refused: Telnyx refused" in alice_client.get(_url(sub)).content.decode()


def test_a_double_click_queues_one_attachment(sandbox, alice, alice_client):
    order = place_now(alice, sandbox, [("DE", "local", 1)])
    sub = order.sub_orders.get()
    link = approved_group(sandbox, alice, "DE", "local")
    data = {"group": str(link.public_id), "target": "all"}
    alice_client.post(_url(sub), data)
    html = alice_client.post(_url(sub), data).content.decode()
    assert "already on its way" in html
    assert GroupAttachment.objects.count() == 1


def test_outsiders_cannot_use_groups_on_a_real_sub_order(sandbox, alice, olga_client):
    order = place_now(alice, sandbox, [("DE", "local", 1)])
    sub = order.sub_orders.get()
    link = approved_group(sandbox, alice, "DE", "local")
    response = olga_client.post(_url(sub), {"group": str(link.public_id), "target": "all"})
    assert response.status_code in (403, 404)
    assert not GroupAttachment.objects.exists()
