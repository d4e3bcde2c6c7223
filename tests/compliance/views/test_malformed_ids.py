"""Malformed ids in query strings and form fields are 404 (or ignored), never 500 (P53).

Each of these was a 500 (``ValidationError`` from the UUID lookup) before ids went through
``portal.ids``.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from compliance.models import ComplianceProfile, Document, RequirementDraft
from tests.compliance import samples

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

MALFORMED = ["x", "9" * 23, "\x00", "A" * 5000]


def test_p53_a_malformed_number_on_the_requirement_form_is_404(de_sub_order, alice_client):
    url = reverse("compliance:requirement-form", args=[de_sub_order.public_id])
    for value in MALFORMED:
        assert alice_client.get(url, {"number": value}).status_code == 404
        assert alice_client.post(url, {"number": value, "action": "draft"}).status_code == 404
    assert not RequirementDraft.objects.exists()


def test_p53_a_malformed_profile_on_the_requirement_form_is_ignored(de_sub_order, alice_client):
    url = reverse("compliance:requirement-form", args=[de_sub_order.public_id])
    for value in MALFORMED:
        response = alice_client.get(url, {"profile": value})
        assert response.status_code == 200
        assert b"Pre-filled from profile" not in response.content


def test_p53_a_malformed_sub_order_on_upload_is_404_and_stores_nothing(de_sub_order, alice_client):
    for value in MALFORMED:
        upload = SimpleUploadedFile("bill.png", samples.png(), "image/png")
        response = alice_client.post(
            reverse("compliance:document-upload"), {"file": upload, "sub_order": value}
        )
        assert response.status_code == 404
    assert not Document.objects.exists()


def test_p53_a_malformed_sub_order_or_number_on_the_group_form_is_404(
    de_sub_order, maria, maria_client
):
    profile = ComplianceProfile.objects.create(name="Acme", values={}, created_by=maria)
    url = reverse("compliance:profile-group", args=[profile.public_id])
    for field in ("sub_order", "number"):
        for value in MALFORMED:
            data = {"sub_order": str(de_sub_order.public_id), field: value}
            assert maria_client.post(url, data).status_code == 404
    assert not profile.requirement_groups.exists()
