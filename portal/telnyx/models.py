"""Typed views of Telnyx JSON.

Every model keeps unknown fields (``extra="allow"``, readable as attributes and in
``model_extra``) and every enum is a plain ``str``: Telnyx ships statuses such as ``cancelled``,
``deleted`` or ``no-longer-eligible`` before its spec lists them, and a new value must never
break a sync. Field names are exactly the spec's. Timestamps are parsed leniently into aware UTC
datetimes; a value that cannot be parsed becomes ``None`` instead of failing the whole record.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

logger = logging.getLogger("portal.telnyx.models")


def parse_timestamp(value: Any) -> datetime | None:
    """Accept ISO 8601 with ``Z`` or an offset, naive (taken as UTC) or epoch seconds."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, int | float):
        parsed = datetime.fromtimestamp(value, tz=UTC)
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            logger.warning("telnyx: unparseable timestamp ignored")
            return None
    else:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


Timestamp = Annotated[datetime | None, BeforeValidator(parse_timestamp)]


def _to_str(value: Any) -> Any:
    return None if value is None else str(value)


# Telnyx is inconsistent about ints vs strings (count_requested, max_length, address ids).
LooseStr = Annotated[str | None, BeforeValidator(_to_str)]


class TelnyxModel(BaseModel):
    """Base: keep unknown fields, accept field names, never validate on assignment."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, protected_namespaces=())

    def get(self, name: str, default: Any = None) -> Any:
        """Read a known or unknown field by name (handy for fields Telnyx added later)."""
        if name in type(self).model_fields:
            return getattr(self, name)
        return (self.model_extra or {}).get(name, default)


class Record(TelnyxModel):
    id: LooseStr = None
    record_type: str | None = None
    created_at: Timestamp = None
    updated_at: Timestamp = None


# --- search --------------------------------------------------------------------------------


class CostInformation(TelnyxModel):
    currency: str | None = None
    monthly_cost: LooseStr = None
    upfront_cost: LooseStr = None


class Feature(TelnyxModel):
    name: str | None = None


class RegionInformation(TelnyxModel):
    region_type: str | None = None
    region_name: str | None = None


class AvailablePhoneNumber(TelnyxModel):
    record_type: str | None = None
    phone_number: str
    vanity_format: str | None = None
    best_effort: bool | None = None
    quickship: bool | None = None
    reservable: bool | None = None
    cost_information: CostInformation | None = None
    features: list[Feature] = Field(default_factory=list)
    region_information: list[RegionInformation] = Field(default_factory=list)

    @property
    def feature_names(self) -> list[str]:
        return [f.name for f in self.features if f.name]


class AvailablePhoneNumberBlock(TelnyxModel):
    record_type: str | None = None
    phone_number: str
    range: int | None = None
    cost_information: CostInformation | None = None
    features: list[Feature] = Field(default_factory=list)
    region_information: list[RegionInformation] = Field(default_factory=list)


class SearchResult(TelnyxModel):
    numbers: list[AvailablePhoneNumber] = Field(default_factory=list)
    total_results: int | None = None
    best_effort_results: int | None = None


class BlockSearchResult(TelnyxModel):
    blocks: list[AvailablePhoneNumberBlock] = Field(default_factory=list)
    total_results: int | None = None
    best_effort_results: int | None = None


# --- orders, sub orders and their numbers --------------------------------------------------


class RegulatoryRequirementValue(TelnyxModel):
    """A requirement on an order, sub order or number: id and type, and on numbers the value
    and (in newer responses) the per-requirement ``status`` such as ``declined``."""

    requirement_id: LooseStr = None
    field_type: str | None = None
    field_value: LooseStr = None
    record_type: str | None = None
    status: str | None = None


class NumberOrderPhoneNumber(Record):
    phone_number: str | None = None
    order_request_id: LooseStr = None
    sub_number_order_id: LooseStr = None
    country_code: str | None = None
    country_iso_alpha2: str | None = None
    locality: str | None = None
    phone_number_type: str | None = None
    is_block_number: bool | None = None
    bundle_id: LooseStr = None
    status: str | None = None
    requirements_met: bool | None = None
    requirements_status: str | None = None
    regulatory_requirements: list[RegulatoryRequirementValue] = Field(default_factory=list)
    deadline: Timestamp = None


class NumberOrder(Record):
    status: str | None = None
    requirements_met: bool | None = None
    phone_numbers_count: int | None = None
    sub_number_orders_ids: list[str] = Field(default_factory=list)
    customer_reference: str | None = None
    connection_id: LooseStr = None
    messaging_profile_id: LooseStr = None
    billing_group_id: LooseStr = None
    phone_numbers: list[NumberOrderPhoneNumber] = Field(default_factory=list)


class SubNumberOrder(Record):
    order_request_id: LooseStr = None
    country_code: str | None = None
    phone_number_type: str | None = None
    phone_numbers_count: int | None = None
    status: str | None = None
    requirements_met: bool | None = None
    is_block_sub_number_order: bool | None = None
    customer_reference: str | None = None
    user_id: LooseStr = None
    regulatory_requirements: list[RegulatoryRequirementValue] = Field(default_factory=list)
    phone_numbers: list[NumberOrderPhoneNumber] = Field(default_factory=list)


# --- comments ------------------------------------------------------------------------------


class Comment(Record):
    body: str | None = None
    comment_record_type: str | None = None
    comment_record_id: LooseStr = None
    commenter: str | None = None
    commenter_type: str | None = None
    read_at: Timestamp = None

    @property
    def is_unread_admin(self) -> bool:
        return self.commenter_type == "admin" and self.read_at is None


# --- documents and addresses ---------------------------------------------------------------


class DocumentSize(TelnyxModel):
    amount: int | None = None
    unit: str | None = None


class Document(Record):
    filename: str | None = None
    content_type: str | None = None
    size: DocumentSize | None = None
    sha256: str | None = None
    customer_reference: str | None = None
    status: str | None = None
    av_scan_status: str | None = None


class DocumentLink(Record):
    document_id: LooseStr = None
    linked_record_type: str | None = None
    linked_resource_id: LooseStr = None


class Address(Record):
    # Address ids are numeric strings ("1293384261075731499"), never UUIDs.
    customer_reference: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    business_name: str | None = None
    phone_number: str | None = None
    street_address: str | None = None
    extended_address: str | None = None
    locality: str | None = None
    administrative_area: str | None = None
    neighborhood: str | None = None
    borough: str | None = None
    postal_code: LooseStr = None
    country_code: str | None = None
    address_book: bool | None = None
    validate_address: bool | None = None


# --- requirements catalogue ----------------------------------------------------------------


class AcceptanceCriteria(TelnyxModel):
    acceptable_characters: str | None = None
    acceptable_values: list[str] = Field(default_factory=list)
    locality_limit: str | None = None
    time_limit: str | None = None
    # int in /requirement_types, string in /regulatory_requirements: keep the text.
    max_length: LooseStr = None
    min_length: LooseStr = None
    regex: str | None = None
    case_sensitive: Any = None
    field_type: str | None = None
    field_value: Any = None


class RequirementType(Record):
    name: str | None = None
    description: str | None = None
    example: str | None = None
    type: str | None = None
    acceptance_criteria: AcceptanceCriteria | None = None


class Requirement(Record):
    country_code: str | None = None
    phone_number_type: str | None = None
    locality: str | None = None
    action: str | None = None
    version: int | None = None
    effective_start_at: Timestamp = None
    effective_end_at: Timestamp = None
    requirement_types: list[RequirementType] = Field(default_factory=list)


class RegulatoryRequirementDefinition(TelnyxModel):
    id: LooseStr = None
    name: str | None = None
    label: str | None = None
    field_type: str | None = None
    description: str | None = None
    example: str | None = None
    record_type: str | None = None
    acceptance_criteria: AcceptanceCriteria | None = None


class RegulatoryRequirements(TelnyxModel):
    """One (country, type, action) entry of ``GET /regulatory_requirements``."""

    action: str | None = None
    country_code: str | None = None
    phone_number_type: str | None = None
    regulatory_requirements: list[RegulatoryRequirementDefinition] = Field(default_factory=list)


class PhoneNumberRegulatoryRequirements(TelnyxModel):
    record_type: str | None = None
    phone_number: str | None = None
    phone_number_type: str | None = None
    region_information: list[RegionInformation] = Field(default_factory=list)
    regulatory_requirements: list[RegulatoryRequirementDefinition] = Field(default_factory=list)


# --- requirement groups --------------------------------------------------------------------


class UserRequirement(TelnyxModel):
    requirement_id: LooseStr = None
    field_type: str | None = None
    field_value: LooseStr = None
    status: str | None = None
    expires_at: Timestamp = None
    created_at: Timestamp = None
    updated_at: Timestamp = None


class RequirementGroup(Record):
    action: str | None = None
    country_code: str | None = None
    phone_number_type: str | None = None
    customer_reference: str | None = None
    status: str | None = None
    regulatory_requirements: list[UserRequirement] = Field(default_factory=list)


# --- bulk, blocks, reservations, reports ---------------------------------------------------


class InexplicitOrderRef(TelnyxModel):
    number_order_id: LooseStr = None
    sub_number_order_ids: list[str] = Field(default_factory=list)


class OrderingGroup(TelnyxModel):
    country_iso: str | None = None
    phone_number_type: str | None = None
    count_requested: int | None = None
    count_allocated: int | None = None
    administrative_area: str | None = None
    locality: str | None = None
    national_destination_code: LooseStr = None
    phone_number_contains: str | None = Field(default=None, alias="phone_number[contains]")
    phone_number_starts_with: str | None = Field(default=None, alias="phone_number[starts_with]")
    phone_number_ends_with: str | None = Field(default=None, alias="phone_number[ends_with]")
    quickship: bool | None = None
    exclude_held_numbers: bool | None = None
    strategy: str | None = None
    status: str | None = None
    error_reason: str | None = None
    orders: list[InexplicitOrderRef] = Field(default_factory=list)
    created_at: Timestamp = None
    updated_at: Timestamp = None


class InexplicitNumberOrder(Record):
    customer_reference: str | None = None
    connection_id: LooseStr = None
    messaging_profile_id: LooseStr = None
    billing_group_id: LooseStr = None
    ordering_groups: list[OrderingGroup] = Field(default_factory=list)


class NumberBlockOrder(Record):
    starting_number: str | None = None
    range: int | None = None
    phone_numbers_count: int | None = None
    status: str | None = None
    requirements_met: bool | None = None
    customer_reference: str | None = None
    connection_id: LooseStr = None
    messaging_profile_id: LooseStr = None
    errors: Any = None


class ReservedPhoneNumber(Record):
    phone_number: str | None = None
    status: str | None = None
    expired_at: Timestamp = None
    errors: Any = None


class NumberReservation(Record):
    status: str | None = None
    customer_reference: str | None = None
    phone_numbers: list[ReservedPhoneNumber] = Field(default_factory=list)
    errors: Any = None


class SubNumberOrdersReport(Record):
    status: str | None = None
    order_type: str | None = None
    user_id: LooseStr = None
    filters: dict[str, Any] = Field(default_factory=dict)


# --- webhooks ------------------------------------------------------------------------------


class WebhookEvent(TelnyxModel):
    """``data`` of a webhook envelope; ``payload`` stays a dict (it depends on event_type)."""

    id: LooseStr = None
    record_type: str | None = None
    event_type: str | None = None
    occurred_at: Timestamp = None
    payload: dict[str, Any] = Field(default_factory=dict)
