"""Filling a sub order's requirement form the way a user does, through the views."""

from __future__ import annotations

import html
import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from compliance.forms import prefix_for
from tests.compliance import samples


def requirement_ids(sub_order) -> dict[str, str]:
    """field_type -> requirement id of the sub order."""
    return {r["field_type"]: r["requirement_id"] for r in sub_order.regulatory_requirements}


def upload(client, sub_order, data: bytes | None = None, name: str = "utility-bill.pdf") -> str:
    response = client.post(
        reverse("compliance:document-upload"),
        {
            "file": SimpleUploadedFile(name, data or samples.pdf(), "application/pdf"),
            "sub_order": str(sub_order.public_id),
        },
    )
    assert response.status_code == 201, response.content
    from compliance.models import Document

    return str(Document.objects.latest("uploaded_at").public_id)


def form_data(sub_order, document_id: str, name: str = "Acme Widgets GmbH", **address) -> dict:
    ids = requirement_ids(sub_order)
    a = prefix_for(ids["address"])
    fields = {
        "first_name": "Jane",
        "last_name": "Doe",
        "business_name": "Acme Widgets GmbH",
        "street_address": "Friedrichstrasse 68",
        "locality": "Berlin",
        "postal_code": "10117",
        "country_code": "DE",
        **address,
    }
    data = {f"{a}__{k}": v for k, v in fields.items()}
    data[prefix_for(ids["document"])] = document_id
    data[prefix_for(ids["textual"])] = name
    return data


def submit(client, sub_order, data: dict, number=None, *, anyway: bool = True):
    """Submit the form; with ``anyway`` a page of pre-flight warnings is answered with
    "Submit anyway", as a person who read them and still wants to send would."""
    url = reverse("compliance:requirement-form", args=[sub_order.public_id])
    payload = {**data, "action": "submit"}
    if number is not None:
        payload["number"] = str(number.public_id)
    response = client.post(url, payload)
    seen = re.search(r'name="warnings_seen" value="([^"]*)"', response.content.decode())
    if anyway and response.status_code == 200 and seen:
        response = client.post(url, {**payload, "warnings_seen": html.unescape(seen.group(1))})
    return response
