"""The regulatory requirements catalogue: what each country and number type needs at order time.

Requirement *types* (an address, a proof of address, an identity document, a registration
number, a date...) carry acceptance criteria; each (country, number type) has a set of them.
Ids are stable UUIDv5 values, so a requirement id seen on a sub order is the id to look up in
``/requirement_types/{id}``, before and after a restart.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .state import Sandbox

NS = uuid.UUID("5b1f3c9e-8c1d-4f2e-9a57-0d6a1b2c3d4e")
CATALOGUE_DATE = "2025-01-15T09:00:00.000000Z"

# Countries where Telnyx refuses an order without a fulfilled requirement group.
GROUP_MANDATORY = frozenset({"CH", "DK", "IT", "NO", "PT", "SE"})
# Countries without pre-approval of requirement groups.
NO_PREAPPROVAL = frozenset({"IT"})


@dataclass(frozen=True)
class RequirementType:
    key: str
    name: str
    field_type: str  # textual | datetime | address | document
    description: str
    example: str
    min_length: int | None = None
    max_length: int | None = None
    acceptable_characters: str = ""
    acceptable_values: tuple[str, ...] = ()
    regex: str = ""
    locality_limit: str = ""
    time_limit: str = ""

    @property
    def id(self) -> str:
        return str(uuid.uuid5(NS, self.key))

    def to_requirement_type(self) -> dict[str, Any]:
        """Shape of ``/requirement_types`` (the document-requirements service)."""
        criteria: dict[str, Any] = {"acceptable_values": list(self.acceptable_values)}
        if self.acceptable_characters:
            criteria["acceptable_characters"] = self.acceptable_characters
        if self.locality_limit:
            criteria["locality_limit"] = self.locality_limit
        if self.time_limit:
            criteria["time_limit"] = self.time_limit
        if self.min_length is not None:
            criteria["min_length"] = self.min_length
        if self.max_length is not None:
            criteria["max_length"] = self.max_length
        return {
            "id": self.id,
            "record_type": "requirement_type",
            "name": self.name,
            "description": self.description,
            "example": self.example,
            # The service's enum has no datetime: dates are textual there.
            "type": "textual" if self.field_type == "datetime" else self.field_type,
            "acceptance_criteria": criteria,
            "created_at": CATALOGUE_DATE,
            "updated_at": CATALOGUE_DATE,
        }

    def to_regulatory(self) -> dict[str, Any]:
        """Shape of ``/regulatory_requirements``: lengths are strings, address is ``address_id``."""
        criteria: dict[str, Any] = {
            "acceptable_values": list(self.acceptable_values),
            "case_sensitive": "false",
        }
        if self.acceptable_characters:
            criteria["acceptable_characters"] = self.acceptable_characters
        if self.locality_limit:
            criteria["locality_limit"] = self.locality_limit
        if self.time_limit:
            criteria["time_limit"] = self.time_limit
        if self.min_length is not None:
            criteria["min_length"] = str(self.min_length)
        if self.max_length is not None:
            criteria["max_length"] = str(self.max_length)
        if self.regex:
            criteria["regex"] = self.regex
        return {
            "id": self.id,
            "name": self.name,
            "field_type": "address_id" if self.field_type == "address" else self.field_type,
            "description": self.description,
            "example": self.example,
            "acceptance_criteria": criteria,
        }

    def to_phone_number_requirement(self) -> dict[str, Any]:
        """Shape of ``/phone_numbers_regulatory_requirements`` items."""
        criteria: dict[str, Any] = {"field_type": self.field_type}
        if self.locality_limit:
            criteria["locality_limit"] = self.locality_limit
        return {
            "id": self.id,
            "label": self.name,
            "field_type": "address_id" if self.field_type == "address" else self.field_type,
            "description": self.description,
            "example": self.example,
            "acceptance_criteria": criteria,
            "record_type": "regulatory_requirement",
        }

    def check_text(self, value: str) -> str | None:
        """Why a textual or date value fails the acceptance criteria, or ``None`` when it passes."""
        if self.field_type == "datetime":
            from .clock import parse_iso

            return None if parse_iso(value) is not None else "is not an ISO 8601 date"
        if self.min_length is not None and len(value) < self.min_length:
            return f"is shorter than {self.min_length} characters"
        if self.max_length is not None and len(value) > self.max_length:
            return f"is longer than {self.max_length} characters"
        if self.acceptable_characters:
            allowed = set(self.acceptable_characters)
            if any(ch not in allowed for ch in value.upper()):
                return "contains characters that are not accepted"
        if self.acceptable_values and value not in self.acceptable_values:
            return "is not one of the accepted values"
        if self.regex and not re.fullmatch(self.regex, value):
            return "does not have the expected format"
        return None


_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
TYPES: dict[str, RequirementType] = {
    t.key: t
    for t in [
        RequirementType(
            "address_locality",
            "Address matching the DID area code",
            "address",
            "Address matching the DID area code (street, building number, postal code, city "
            "and country)",
            "600 Congress Avenue, 14th Floor, Austin, TX 78701",
            locality_limit="Identical locality as the numbers desired",
        ),
        RequirementType(
            "address_country",
            "Address in the country of the numbers",
            "address",
            "Business or residential address in the same country as the numbers",
            "Friedrichstrasse 68, 10117 Berlin, Germany",
            locality_limit="Within the country of the numbers desired",
        ),
        RequirementType(
            "proof_of_address",
            "Proof of Address",
            "document",
            "Proves the customer has a physical address in the same locality as the phone number",
            "Utility bill, internet bill, phone bill, or lease",
            locality_limit="Same locality as the address",
            time_limit="Less than 3 months old",
        ),
        RequirementType(
            "identity_document",
            "Passport or national ID card",
            "document",
            "Identity document of the end user or of the company's legal representative",
            "Passport, national identity card",
            time_limit="Current and not expired",
            locality_limit="Issued by any country",
        ),
        RequirementType(
            "business_registration",
            "Business registration certificate",
            "document",
            "Extract from the commercial register proving the company exists",
            "Trade register extract (Handelsregisterauszug, Kbis)",
            time_limit="Less than 6 months old",
            locality_limit="Issued by the same country that the phone number belongs to",
        ),
        RequirementType(
            "end_user_name",
            "End user name",
            "textual",
            "Full name of the person or company that will use the numbers",
            "Acme Widgets GmbH",
            min_length=2,
            max_length=100,
        ),
        RequirementType(
            "company_registration_number",
            "Company registration number",
            "textual",
            "Registration number in the national commercial register",
            "HRB 123456",
            min_length=5,
            max_length=20,
            acceptable_characters=_ALNUM + " -",
        ),
        RequirementType(
            "vat_number",
            "VAT or tax identification number",
            "textual",
            "Value added tax or tax identification number of the end user",
            "PT123456789",
            min_length=8,
            max_length=15,
            acceptable_characters=_ALNUM,
        ),
        RequirementType(
            "tax_code",
            "Codice fiscale",
            "textual",
            "Italian tax code of the end user (16 characters)",
            "RSSMRA85T10A562S",
            min_length=16,
            max_length=16,
            acceptable_characters=_ALNUM,
        ),
        RequirementType(
            "intended_use",
            "Intended use of the numbers",
            "textual",
            "What the numbers will be used for",
            "Customer support",
            acceptable_values=(
                "Business communications",
                "Customer support",
                "Marketing",
                "Personal use",
            ),
        ),
        RequirementType(
            "business_tax_id",
            "Business tax identifier",
            "textual",
            "National business identifier (ABN, CNPJ, RFC)",
            "12345678000195",
            min_length=9,
            max_length=14,
            acceptable_characters=_ALNUM,
        ),
        RequirementType(
            "date_of_birth",
            "Date of birth",
            "datetime",
            "Date of birth of the end user (ISO 8601)",
            "1985-12-10",
            time_limit="End user must be at least 18 years old",
        ),
    ]
}

_A, _C = "address_locality", "address_country"
SETS: dict[tuple[str, str], tuple[str, ...]] = {
    ("US", "local"): (),
    ("US", "toll_free"): (),
    ("CA", "local"): (),
    ("CA", "toll_free"): (),
    ("GB", "local"): (_A, "end_user_name"),
    ("GB", "national"): (_C, "end_user_name"),
    ("GB", "mobile"): ("identity_document", "end_user_name"),
    ("GB", "toll_free"): ("end_user_name", "intended_use"),
    ("GB", "shared_cost"): (_C, "end_user_name"),
    ("DE", "local"): (_A, "proof_of_address", "end_user_name"),
    ("DE", "national"): (_C, "business_registration", "company_registration_number"),
    ("DE", "mobile"): ("identity_document", _C, "end_user_name"),
    ("DE", "toll_free"): (_C, "end_user_name"),
    ("FR", "local"): (_A, "proof_of_address", "identity_document"),
    ("FR", "national"): (_C, "identity_document"),
    ("FR", "mobile"): (_C, "identity_document"),
    ("FR", "toll_free"): (_C, "business_registration"),
    ("FR", "shared_cost"): (_C, "business_registration"),
    ("ES", "local"): (_A, "identity_document", "vat_number"),
    ("ES", "mobile"): (_C, "identity_document"),
    ("ES", "toll_free"): (_C, "business_registration", "vat_number"),
    ("ES", "shared_cost"): (_C, "business_registration"),
    ("IT", "local"): (_A, "identity_document", "tax_code"),
    ("IT", "mobile"): ("identity_document", "tax_code"),
    ("IT", "toll_free"): (_C, "business_registration", "vat_number"),
    ("NL", "local"): (_A, "end_user_name"),
    ("NL", "national"): (_C, "end_user_name"),
    ("NL", "mobile"): (_C, "end_user_name"),
    ("NL", "toll_free"): (_C, "end_user_name"),
    ("SE", "local"): (_A, "identity_document"),
    ("SE", "mobile"): ("identity_document",),
    ("SE", "toll_free"): (_C, "business_registration"),
    ("CH", "local"): (_A, "identity_document", "end_user_name"),
    ("CH", "national"): (_C, "business_registration"),
    ("CH", "mobile"): ("identity_document",),
    ("CH", "toll_free"): (_C, "business_registration"),
    ("AU", "local"): (_A, "end_user_name"),
    ("AU", "mobile"): ("identity_document", "date_of_birth"),
    ("AU", "toll_free"): ("end_user_name", "business_tax_id"),
    ("BR", "local"): (_A, "business_tax_id", "business_registration"),
    ("BR", "toll_free"): ("business_tax_id", "business_registration"),
    ("MX", "local"): (_A, "identity_document"),
    ("MX", "mobile"): ("identity_document",),
    ("MX", "toll_free"): ("business_tax_id", "business_registration"),
    ("JP", "local"): (_A, "identity_document", "business_registration"),
    ("JP", "toll_free"): (_C, "business_registration"),
    ("DK", "local"): (_C, "identity_document"),
    ("DK", "mobile"): ("identity_document",),
    ("NO", "local"): (_C, "identity_document"),
    ("NO", "mobile"): ("identity_document",),
    ("PT", "local"): (_A, "identity_document", "vat_number"),
    ("PT", "mobile"): ("identity_document",),
    ("PT", "toll_free"): (_C, "business_registration"),
    ("AT", "local"): (_A, "proof_of_address"),
    ("AT", "toll_free"): (_C,),
    ("BE", "local"): (_A, "end_user_name"),
    ("BE", "national"): (_C,),
    ("BE", "toll_free"): (_C, "business_registration"),
    ("IE", "local"): (_A, "proof_of_address"),
    ("IE", "toll_free"): (_C,),
}

TYPES_BY_ID: dict[str, RequirementType] = {t.id: t for t in TYPES.values()}


def requirements_for(country: str, number_type: str) -> list[RequirementType]:
    """The requirement types a number of this country and type needs (empty when none)."""
    return [TYPES[key] for key in SETS.get((country, number_type), ())]


@dataclass
class Requirement:
    """A ``/requirements`` record: the parent of one (country, type, action) set."""

    country_code: str
    phone_number_type: str
    action: str = "ordering"
    types: list[RequirementType] = field(default_factory=list)

    @property
    def id(self) -> str:
        return str(
            uuid.uuid5(NS, f"req:{self.country_code}:{self.phone_number_type}:{self.action}")
        )

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "record_type": "requirement",
            "country_code": self.country_code,
            "phone_number_type": self.phone_number_type,
            "locality": "",
            "action": self.action,
            "version": 1,
            "effective_start_at": CATALOGUE_DATE,
            "effective_end_at": None,
            "requirement_types": [t.to_requirement_type() for t in self.types],
            "created_at": CATALOGUE_DATE,
            "updated_at": CATALOGUE_DATE,
        }


# The document-requirements service only knows local, national and toll_free.
REQUIREMENTS: list[Requirement] = [
    Requirement(country, ntype, "ordering", requirements_for(country, ntype))
    for (country, ntype) in SETS
    if ntype in ("local", "national", "toll_free") and SETS[(country, ntype)]
]
REQUIREMENTS_BY_ID = {r.id: r for r in REQUIREMENTS}


# --- the catalogue changing over time (``POST /_sandbox/catalogue/change``) ------------------

ADDITIONS_KEY = "catalogue_additions"


def additions(sb: Sandbox) -> dict[str, list[str]]:
    """Requirement type keys added at runtime, per ``"CC:type"`` (kept with the state)."""
    return dict(sb.store.meta.get(ADDITIONS_KEY) or {})


def current_requirements(sb: Sandbox, country: str, number_type: str) -> list[RequirementType]:
    """What a number of this country and type needs now: the base set plus any additions."""
    base = requirements_for(country, number_type)
    keys = [t.key for t in base]
    extra = [k for k in additions(sb).get(f"{country}:{number_type}", []) if k not in keys]
    return base + [TYPES[k] for k in extra]


def current_catalogue(sb: Sandbox) -> list[Requirement]:
    """The ``/requirements`` records as they are now (additions included)."""
    scopes = dict.fromkeys(SETS)
    for key in additions(sb):
        country, _, ntype = key.partition(":")
        scopes[(country, ntype)] = None
    return [
        Requirement(country, ntype, "ordering", current_requirements(sb, country, ntype))
        for (country, ntype) in scopes
        if ntype in ("local", "national", "toll_free") and current_requirements(sb, country, ntype)
    ]
