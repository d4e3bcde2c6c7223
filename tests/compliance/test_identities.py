"""Reusable identities (issue 11): saved addresses carry human labels, and the profile list
says where each profile's requirement groups are used."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from compliance.forms import prefix_for
from compliance.models import SavedAddress
from orders.models import GroupAttachment

from .helpers import form_data, requirement_ids, submit, upload

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_new_address_is_labelled_by_street_and_city_not_by_sub_order(
    sandbox, alice_client, de_sub_order
):
    document_id = upload(alice_client, de_sub_order)
    response = submit(alice_client, de_sub_order, form_data(de_sub_order, document_id))
    assert response.status_code == 302
    address = SavedAddress.objects.get()
    assert address.label == "Friedrichstrasse 68, Berlin"
    # The next form offers it under that label.
    url = reverse("compliance:requirement-form", args=[de_sub_order.public_id])
    html = alice_client.get(url).content.decode()
    assert ">Friedrichstrasse 68, Berlin</option>" in html
    assert "Sub order " not in html.split("<select", 1)[-1].split("</select>", 1)[0]


def test_a_label_the_user_types_is_kept(sandbox, alice_client, de_sub_order):
    document_id = upload(alice_client, de_sub_order)
    data = form_data(de_sub_order, document_id)
    data[f"{prefix_for(requirement_ids(de_sub_order)['address'])}__label"] = "Head office"
    assert submit(alice_client, de_sub_order, data).status_code == 302
    assert SavedAddress.objects.get().label == "Head office"


def test_old_sub_order_labels_are_replaced_by_street_and_city(db):
    kept = SavedAddress.objects.create(label="Warehouse", fields={"locality": "Hamburg"})
    old = SavedAddress.objects.create(
        label="Sub order d5dc3744",
        fields={"street_address": "Bahnhofstrasse 1", "locality": "Zürich"},
    )
    migration = importlib.import_module("compliance.migrations.0008_address_labels")
    migration.relabel(apps, None)
    old.refresh_from_db()
    kept.refresh_from_db()
    assert old.label == "Bahnhofstrasse 1, Zürich"
    assert kept.label == "Warehouse"


def test_the_profile_list_says_where_each_profile_is_used(sandbox, alice, alice_client):
    from tests.compliance.conftest import place_sandbox_order
    from tests.orders.groups import approved_group

    used = approved_group(sandbox, alice, "DE", "local")
    unused = approved_group(sandbox, alice, "GB", "local")
    unused.profile.name = "Unused Ltd"
    unused.profile.save()
    sub = place_sandbox_order(sandbox, alice).sub_orders.get()
    GroupAttachment.objects.create(
        group=used,
        group_telnyx_id=used.telnyx_id,
        sub_order=sub,
        state=GroupAttachment.State.DONE,
        requested_by=alice,
    )
    html = alice_client.get(reverse("compliance:profiles")).content.decode()
    rows = {
        name: html.split(name, 1)[1].split("</tr>", 1)[0] for name in ("Muster AG", "Unused Ltd")
    }
    assert reverse("compliance:sub-order", args=[sub.public_id]) in rows["Muster AG"]
    assert "DE local sub order (1 number" in rows["Muster AG"]
    assert "Not used yet" in rows["Unused Ltd"]
