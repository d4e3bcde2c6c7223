"""An approved requirement group at the sandbox, made over HTTP with the portal's client.

Building groups is another part of the portal (compliance); the ordering tests only need one
that Telnyx holds as fulfilled and approved, and the portal's row that mirrors it."""

from __future__ import annotations

import io
from datetime import timedelta

from django.utils import timezone

from compliance.models import ComplianceProfile, RequirementGroupLink
from portal.telnyx import get_client
from tests.compliance.samples import pdf


def approved_group(
    sandbox, user, country: str = "CH", number_type: str = "local", expires_in_days: int = 365
) -> RequirementGroupLink:
    """Create, fill, submit and let the sandbox approve a group; record the portal's row."""
    client = get_client()
    group = client.create_requirement_group(country, number_type)
    values = []
    for req in group.regulatory_requirements or []:
        kind = req.field_type or ""
        if kind.startswith("address"):
            value = client.create_address(
                first_name="Anna",
                last_name="Muster",
                business_name="Muster AG",
                street_address="Bahnhofstrasse 1",
                locality="Zürich",
                postal_code="8001",
                country_code=country,
            ).id
        elif kind == "document":
            value = client.upload_document(io.BytesIO(pdf()), "identity.pdf").id
        else:
            value = "Muster AG"
        values.append({"requirement_id": req.requirement_id, "field_value": value})
    client.update_requirement_group(str(group.id), regulatory_requirements=values)
    client.submit_requirement_group(str(group.id))
    sandbox.advance(5)
    assert client.get_requirement_group(str(group.id)).status == "approved"
    profile = ComplianceProfile.objects.create(name="Muster AG", created_by=user)
    return RequirementGroupLink.objects.create(
        profile=profile,
        telnyx_id=str(group.id),
        country_code=country,
        phone_number_type=number_type,
        status="approved",
        expires_at=timezone.now() + timedelta(days=expires_in_days),
        created_by=user,
    )
