"""Forms of the orders app: search filters, review/place, cancel, bulk ordering groups.

Every form lists its fields explicitly (P35); invalid combinations of Telnyx filters are caught
here so the message appears next to the field instead of as an empty result list.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from typing import Any, cast

from django import forms

from portal.countries import MESSAGE as COUNTRY_MESSAGE
from portal.countries import to_alpha2

PHONE_NUMBER_TYPES = [
    ("local", "Local"),
    ("toll_free", "Toll-free"),
    ("mobile", "Mobile"),
    ("national", "National"),
    ("shared_cost", "Shared cost"),
]
FEATURES = [
    ("sms", "SMS"),
    ("mms", "MMS"),
    ("voice", "Voice"),
    ("fax", "Fax"),
    ("emergency", "Emergency"),
    ("hd_voice", "HD voice"),
    ("international_sms", "International SMS"),
    ("local_calling", "Local calling"),
]
NANP = ("US", "CA")
_DIGITS = re.compile(r"^\d+$")
_TELNYX_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _tristate() -> forms.TypedChoiceField:
    """A yes/no/any select: Telnyx distinguishes "false" from "not sent"."""
    return forms.TypedChoiceField(
        choices=[("", "Any"), ("true", "Yes"), ("false", "No")],
        coerce=lambda v: v == "true",
        empty_value=None,
        required=False,
    )


class SearchForm(forms.Form):
    """Every filter `GET /available_phone_numbers` supports."""

    country_code = forms.CharField(
        label="Country", max_length=60, help_text="Name or ISO code, e.g. Germany or DE"
    )
    phone_number_type = forms.ChoiceField(
        label="Type", choices=[("", "Any"), *PHONE_NUMBER_TYPES], required=False
    )
    locality = forms.CharField(label="City / locality", max_length=100, required=False)
    administrative_area = forms.CharField(
        label="State / province", max_length=2, required=False, help_text="US and CA only"
    )
    national_destination_code = forms.CharField(label="Area code", max_length=6, required=False)
    starts_with = forms.CharField(max_length=15, required=False)
    contains = forms.CharField(max_length=15, required=False)
    ends_with = forms.CharField(max_length=15, required=False)
    features = forms.MultipleChoiceField(
        choices=FEATURES, required=False, widget=forms.CheckboxSelectMultiple
    )
    best_effort = _tristate()
    quickship = _tristate()
    reservable = _tristate()
    exclude_held_numbers = _tristate()
    limit = forms.IntegerField(min_value=1, max_value=250, initial=20, required=False)

    PATTERN_FIELDS = ("starts_with", "contains", "ends_with")

    def clean_country_code(self) -> str:
        code = to_alpha2(self.cleaned_data["country_code"])
        if code is None:
            raise forms.ValidationError(COUNTRY_MESSAGE)
        return code

    def clean_administrative_area(self) -> str:
        return self.cleaned_data["administrative_area"].strip().upper()

    def clean_national_destination_code(self) -> str:
        value = self.cleaned_data["national_destination_code"].strip()
        if value and not _DIGITS.match(value):
            raise forms.ValidationError("The area code is digits only.")
        return value

    def _clean_pattern(self, name: str) -> str:
        value = self.cleaned_data[name].strip()
        if value and not _DIGITS.match(value):
            # Telnyx returns nothing for wildcards or a leading +; say so instead.
            raise forms.ValidationError(
                "Digits only: no country code, no + and no wildcards (* or %)."
            )
        return value

    def clean_starts_with(self) -> str:
        return self._clean_pattern("starts_with")

    def clean_contains(self) -> str:
        return self._clean_pattern("contains")

    def clean_ends_with(self) -> str:
        return self._clean_pattern("ends_with")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        country = data.get("country_code")
        if not country:
            return data
        nanp = country in NANP
        if data.get("administrative_area") and not nanp:
            self.add_error("administrative_area", "State / province works for US and CA only.")
        if data.get("best_effort") and not nanp:
            self.add_error("best_effort", "Best effort works for US and CA only.")
        if data.get("quickship") and not (nanp and data.get("phone_number_type") == "toll_free"):
            self.add_error("quickship", "Quickship applies to US/CA toll-free numbers only.")
        return data

    def telnyx_filters(self) -> dict[str, Any]:
        """The cleaned filters as keyword arguments of `TelnyxClient.search_numbers`."""
        data = self.cleaned_data
        filters: dict[str, Any] = {"country_code": data["country_code"]}
        for name in (
            "phone_number_type",
            "locality",
            "administrative_area",
            "national_destination_code",
            "starts_with",
            "contains",
            "ends_with",
        ):
            if data.get(name):
                filters[name] = data[name]
        if data.get("features"):
            filters["features"] = list(data["features"])
        for name in ("best_effort", "quickship", "reservable", "exclude_held_numbers"):
            if data.get(name) is not None:
                filters[name] = data[name]
        filters["limit"] = data.get("limit") or 20
        return filters


def _telnyx_id_field(label: str) -> forms.CharField:
    return forms.CharField(label=label, max_length=64, required=False)


class PlaceOrderForm(forms.Form):
    """The review page's form. ``intent`` is minted when the form is rendered (P9)."""

    intent = forms.UUIDField(widget=forms.HiddenInput)
    connection_id = _telnyx_id_field("Connection id")
    messaging_profile_id = _telnyx_id_field("Messaging profile id")
    billing_group_id = _telnyx_id_field("Billing group id")

    #: The choice that orders nothing of a group now and keeps its numbers selected.
    LATER = "later"

    def __init__(self, *args: Any, groups: Iterable[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("intent", uuid.uuid4())
        # One select per future sub order that Telnyx refuses without a requirement group and
        # for which approved groups fit; a group none fits is held back without asking.
        self.group_fields: list[tuple[Any, forms.BoundField]] = []
        self.held_back: set[str] = set()
        for group in groups:
            if not group.needs_group:
                continue
            if not group.group_choices:
                self.held_back.add(group.key)
                continue
            self.fields[group.field_name] = forms.ChoiceField(
                label=f"Requirement group for the {group.country_code} {group.phone_number_type} "
                "numbers",
                choices=[
                    ("", "Choose a requirement group"),
                    *group.group_choices,
                    (self.LATER, "None: keep these numbers selected and place the others"),
                ],
                error_messages={
                    "required": "Choose a requirement group, or keep these numbers for later.",
                    "invalid_choice": "That group no longer fits; choose another.",
                },
            )
            self.group_fields.append((group, self[group.field_name]))

    def visible_option_fields(self) -> list[forms.BoundField]:
        """The optional Telnyx ids (the group selects are rendered with their group)."""
        names = ("connection_id", "messaging_profile_id", "billing_group_id")
        return [self[name] for name in names]

    def group_plan(self) -> tuple[dict[str, str], set[str]]:
        """After validation: {group key: chosen group public id} and the group keys held back."""
        chosen: dict[str, str] = {}
        held = set(self.held_back)
        for group, bound in self.group_fields:
            value = self.cleaned_data.get(bound.name) or ""
            if value == self.LATER:
                held.add(group.key)
            elif value:
                chosen[group.key] = value
        return chosen, held

    def _clean_id(self, name: str) -> str:
        value = self.cleaned_data[name].strip()
        if value and not _TELNYX_ID.match(value):
            raise forms.ValidationError("Letters, digits, - and _ only.")
        return value

    def clean_connection_id(self) -> str:
        return self._clean_id("connection_id")

    def clean_messaging_profile_id(self) -> str:
        return self._clean_id("messaging_profile_id")

    def clean_billing_group_id(self) -> str:
        return self._clean_id("billing_group_id")


class CancelSubOrderForm(forms.Form):
    """Cancelling is irreversible at Telnyx, so a reason and an explicit confirmation are asked."""

    reason = forms.CharField(
        label="Reason", max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    confirm = forms.BooleanField(label="Yes, cancel this sub order at Telnyx")


class BulkGroupForm(forms.Form):
    """One ordering group of a US/CA inexplicit (bulk) order."""

    # Initial values matter: an untouched extra group must count as unchanged (and be skipped).
    country_iso = forms.ChoiceField(
        label="Country", choices=[("US", "US"), ("CA", "CA")], initial="US"
    )
    count_requested = forms.IntegerField(label="How many", min_value=1, max_value=10_000)
    phone_number_type = forms.ChoiceField(
        label="Type", choices=[("local", "Local"), ("toll_free", "Toll-free")], initial="local"
    )
    administrative_area = forms.CharField(label="State / province", max_length=2, required=False)
    national_destination_code = forms.CharField(label="Area code", max_length=3, required=False)
    locality = forms.CharField(max_length=100, required=False)
    features = forms.MultipleChoiceField(
        choices=FEATURES, required=False, widget=forms.CheckboxSelectMultiple
    )
    starts_with = forms.CharField(max_length=15, required=False)
    contains = forms.CharField(max_length=15, required=False)
    ends_with = forms.CharField(max_length=15, required=False)
    strategy = forms.ChoiceField(
        choices=[
            ("always", "Always: buy as many as are available"),
            ("never", "Never: only if the whole count can be filled"),
        ],
        initial="always",
    )

    def clean_administrative_area(self) -> str:
        return self.cleaned_data["administrative_area"].strip().upper()

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        for name in ("national_destination_code", "starts_with", "contains", "ends_with"):
            value = (data.get(name) or "").strip()
            if value and not _DIGITS.match(value):
                self.add_error(name, "Digits only.")
        return data

    def as_ordering_group(self) -> dict[str, Any]:
        """Telnyx's request shape; note ``count_requested`` is a string there."""
        data = self.cleaned_data
        group: dict[str, Any] = {
            "country_iso": data["country_iso"],
            "count_requested": str(data["count_requested"]),
            "phone_number_type": data["phone_number_type"],
            "strategy": data["strategy"],
        }
        for name in ("administrative_area", "national_destination_code", "locality"):
            if data.get(name):
                group[name] = data[name]
        if data.get("features"):
            group["features"] = list(data["features"])
        pattern = {k: data[k] for k in ("starts_with", "contains", "ends_with") if data.get(k)}
        if pattern:
            group["phone_number"] = pattern
        return group


class BaseBulkGroupFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        total = sum(
            f.cleaned_data.get("count_requested") or 0
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        )
        if total == 0:
            raise forms.ValidationError("Add at least one group.")
        if total > 10_000:
            raise forms.ValidationError(
                f"A bulk order can request at most 10,000 numbers in total (this one: {total:,})."
            )


MAX_BULK_GROUPS = 20


def bulk_group_formset(extra: int = 1) -> type[BaseBulkGroupFormSet]:
    """The groups formset with ``extra`` blank groups (the "Add a group" link raises it)."""
    # formset_factory builds a subclass of the ``formset`` class it is given; its stub only
    # promises BaseFormSet.
    return cast(
        type[BaseBulkGroupFormSet],
        forms.formset_factory(
            BulkGroupForm,
            formset=BaseBulkGroupFormSet,
            extra=max(1, min(extra, MAX_BULK_GROUPS)),
            max_num=MAX_BULK_GROUPS,
            validate_max=True,
        ),
    )


class BulkOrderForm(forms.Form):
    """The bulk order's common part; the groups come from ``BulkGroupFormSet``."""

    intent = forms.UUIDField(widget=forms.HiddenInput)
    connection_id = _telnyx_id_field("Connection id")
    messaging_profile_id = _telnyx_id_field("Messaging profile id")
    billing_group_id = _telnyx_id_field("Billing group id")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("intent", uuid.uuid4())


class ReportRequestForm(forms.Form):
    """Filters of a Telnyx sub number orders report (all optional)."""

    STATUSES = [
        ("", "Any status"),
        ("pending", "Pending"),
        ("success", "Success"),
        ("failure", "Failure"),
    ]

    country_code = forms.CharField(
        label="Country (2 letters)",
        required=False,
        max_length=2,
        min_length=2,
        help_text="ISO 3166 code, e.g. DE; empty for every country.",
    )
    status = forms.ChoiceField(label="Sub order status", choices=STATUSES, required=False)
    created_from = forms.DateField(
        label="Created from", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    created_to = forms.DateField(
        label="Created until", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean_country_code(self) -> str:
        value = (self.cleaned_data.get("country_code") or "").strip().upper()
        if value and not value.isalpha():
            raise forms.ValidationError("Use the two-letter country code, e.g. DE.")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("created_from"), data.get("created_to")
        if start and end and end < start:
            raise forms.ValidationError("“Created until” is before “Created from”.")
        return data


class UseGroupForm(forms.Form):
    """Apply an approved requirement group to a pending sub order or one of its numbers."""

    ALL = "all"

    group = forms.ChoiceField(label="Requirement group")
    target = forms.ChoiceField(label="Apply to")

    def __init__(
        self,
        *args: Any,
        groups: Iterable[tuple[str, str]] = (),
        numbers: Iterable[tuple[str, str]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["group"]).choices = [
            ("", "Choose a requirement group"),
            *groups,
        ]
        cast(forms.ChoiceField, self.fields["target"]).choices = [
            (self.ALL, "Every number of this sub order"),
            *numbers,
        ]
