"""The requirement form of a sub order, built from the requirements the sub order lists.

One field per requirement, by type: textual (checked against the acceptance criteria before
anything is sent), datetime (a date picker, sent as ISO 8601), address (a saved address or a
structured new one) and document (the id of a document uploaded through the upload view).
Values move between three shapes: form data (drafts), value descriptors (submissions and
profiles: ``{"type": "textual", "value": ...}``) and the Telnyx PATCH body (``submission.py``).
"""

from __future__ import annotations

import re
from typing import Any

from django import forms

from compliance.models import Document, RequirementType, SavedAddress
from portal.countries import MESSAGE as COUNTRY_MESSAGE
from portal.countries import to_alpha2

ADDRESS_REQUIRED = (
    "first_name",
    "last_name",
    "business_name",
    "street_address",
    "locality",
    "country_code",
)
ADDRESS_LABELS = {
    "first_name": "First name",
    "last_name": "Last name",
    "business_name": "Business name",
    "street_address": "Street and number",
    "extended_address": "Address line 2",
    "locality": "City",
    "administrative_area": "State or region",
    "postal_code": "Postal code",
    "country_code": "Country (name or 2-letter code)",
}


def address_label(parts: dict[str, Any]) -> str:
    """A saved address's default label, "street, city" (personal: stored encrypted, P51)."""
    shown = ", ".join(str(parts.get(k) or "").strip() for k in ("street_address", "locality"))
    return shown.strip(", ") or str(parts.get("business_name") or "").strip() or "Address"


class SavedAddressChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.label or address_label(obj.fields or {})


def prefix_for(requirement_id: str) -> str:
    return "req_" + requirement_id.replace("-", "")


def criteria_errors(value: str, criteria: dict[str, Any]) -> list[str]:
    """Every acceptance criterion ``value`` breaks, worded for the person filling the form."""
    errors = []
    min_length, max_length = criteria.get("min_length"), criteria.get("max_length")
    if min_length is not None and len(value) < min_length:
        errors.append(f"Use at least {min_length} characters (this has {len(value)}).")
    if max_length is not None and len(value) > max_length:
        errors.append(f"Use at most {max_length} characters (this has {len(value)}).")
    allowed = criteria.get("acceptable_characters") or ""
    if allowed:
        bad = sorted({ch for ch in value if ch not in allowed and ch.upper() not in allowed})
        if bad:
            shown = " ".join(repr(ch) for ch in bad[:10])
            errors.append(f"These characters are not accepted: {shown}.")
    accepted = criteria.get("acceptable_values") or []
    if accepted:
        if criteria.get("case_sensitive"):
            ok = value in accepted
        else:
            ok = value.casefold() in {v.casefold() for v in accepted}
        if not ok:
            errors.append("Choose one of: " + ", ".join(accepted) + ".")
    pattern = criteria.get("regex") or ""
    if pattern:
        try:
            flags = 0 if criteria.get("case_sensitive", True) else re.IGNORECASE
            if not re.fullmatch(pattern, value, flags):
                errors.append("The value does not have the expected format.")
        except re.error:
            pass  # a malformed pattern from the catalogue is Telnyx's to enforce
    return errors


class RequirementForm(forms.Form):
    """Dynamic form: ``requirements`` is the sub order's ``regulatory_requirements`` list."""

    def __init__(
        self,
        *args: Any,
        requirements: list[dict[str, Any]],
        types: dict[str, RequirementType],
        declined: set[str] | frozenset[str] = frozenset(),
        documents: Any = None,
        addresses: Any = None,
        partial: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.requirements = [r for r in requirements if r.get("requirement_id")]
        self.types = types
        self.declined = set(declined)
        self.partial = partial
        self.documents = documents if documents is not None else Document.objects.none()
        self.addresses = addresses if addresses is not None else SavedAddress.objects.none()
        self.sections: list[dict[str, Any]] = []
        for requirement in self.requirements:
            self._add(requirement)

    def field_type(self, requirement: dict[str, Any]) -> str:
        from compliance.catalogue import normalise_field_type

        row = self.types.get(requirement["requirement_id"])
        return normalise_field_type(
            requirement.get("field_type") or (row.field_type if row else "")
        )

    def _add(self, requirement: dict[str, Any]) -> None:
        rid = requirement["requirement_id"]
        row = self.types.get(rid)
        kind = self.field_type(requirement)
        name = prefix_for(rid)
        label = row.name if row else f"Requirement {rid[:8]}"
        help_text = (row.description if row else "") or ""
        section = {
            "requirement_id": rid,
            "name": name,
            "kind": kind,
            "label": label,
            "type": row,
            "declined": rid in self.declined,
            "address_fields": [],
        }
        if kind == "action":
            # Completed outside the portal (e.g. an identity check through a link Telnyx
            # gives); there is no value to send.
            section["field"] = ""
        elif kind == "address":
            self.fields[f"{name}__saved"] = SavedAddressChoiceField(
                queryset=self.addresses,
                required=False,
                to_field_name="public_id",
                label=f"{label}: saved address",
                empty_label="Enter a new address below",
            )
            for part, part_label in ADDRESS_LABELS.items():
                key = f"{name}__{part}"
                self.fields[key] = forms.CharField(
                    required=False,
                    max_length=60 if part == "country_code" else 255,
                    label=part_label,
                )
                section["address_fields"].append(key)
            self.fields[f"{name}__label"] = forms.CharField(
                required=False,
                max_length=100,
                label="Label for the saved address (optional)",
                help_text="How it appears in the list of saved addresses; "
                "by default its street and city.",
            )
            section["address_fields"].append(f"{name}__label")
            section["field"] = f"{name}__saved"
        elif kind == "document":
            self.fields[name] = forms.UUIDField(
                required=False, label=label, help_text=help_text, widget=forms.HiddenInput
            )
            section["field"] = name
        elif kind == "datetime":
            self.fields[name] = forms.DateField(
                required=False,
                label=label,
                help_text=help_text,
                input_formats=["%Y-%m-%d"],
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            )
            section["field"] = name
        else:
            criteria = row.acceptance_criteria if row else {}
            attrs: dict[str, Any] = {}
            if criteria.get("max_length"):
                attrs["maxlength"] = criteria["max_length"]
            field: forms.Field
            if criteria.get("acceptable_values"):
                choices = [("", "Choose...")] + [(v, v) for v in criteria["acceptable_values"]]
                field = forms.ChoiceField(
                    choices=choices, required=False, label=label, help_text=help_text
                )
            else:
                field = forms.CharField(
                    required=False,
                    label=label,
                    help_text=help_text,
                    strip=True,
                    max_length=2000,
                    widget=forms.TextInput(attrs=attrs),
                )
            self.fields[name] = field
            section["field"] = name
        self.sections.append(section)

    # --- validation ------------------------------------------------------------------------

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for section in self.sections:
            rid, name, kind = section["requirement_id"], section["name"], section["kind"]
            if kind == "action":
                continue
            if kind == "address":
                self._clean_address(section, cleaned)
                continue
            value = cleaned.get(name)
            if value in (None, ""):
                if not self.partial:
                    self.add_error(name, "This requirement needs a value.")
                continue
            if kind == "document":
                if not self.documents.filter(public_id=value, deleted_at__isnull=True).exists():
                    self.add_error(name, "Upload the document again; this one is not available.")
            elif kind == "textual":
                row = self.types.get(rid)
                for message in criteria_errors(str(value), row.acceptance_criteria if row else {}):
                    self.add_error(name, message)
        return cleaned

    def _clean_address(self, section: dict[str, Any], cleaned: dict[str, Any]) -> None:
        name = section["name"]
        if cleaned.get(f"{name}__saved"):
            return
        parts = {p: (cleaned.get(f"{name}__{p}") or "").strip() for p in ADDRESS_LABELS}
        if not any(parts.values()):
            if not self.partial:
                self.add_error(f"{name}__saved", "Choose a saved address or enter a new one.")
            return
        for part in ADDRESS_REQUIRED:
            if not parts[part]:
                self.add_error(f"{name}__{part}", f"{ADDRESS_LABELS[part]} is required.")
        country = parts["country_code"]
        if country and to_alpha2(country) is None:
            self.add_error(f"{name}__country_code", COUNTRY_MESSAGE)

    # --- conversions -----------------------------------------------------------------------

    def address_parts(self, section: dict[str, Any]) -> dict[str, str]:
        """The address a valid form holds for ``section`` (saved or typed), saving nothing."""
        name = section["name"]
        saved = self.cleaned_data.get(f"{name}__saved")
        if saved is not None:
            return {k: str(v or "") for k, v in (saved.fields or {}).items()}
        parts = {p: (self.cleaned_data.get(f"{name}__{p}") or "").strip() for p in ADDRESS_LABELS}
        return parts if any(parts.values()) else {}

    def draft_data(self) -> dict[str, str]:
        """The raw values of this form's own fields, for saving a draft."""
        data = {}
        for key in self.fields:
            raw = self.data.get(key, "")
            if raw:
                data[key] = str(raw)
        return data

    def values(self, user: Any = None, label: str = "") -> dict[str, dict[str, Any]]:
        """Value descriptors of a valid form; new addresses become ``SavedAddress`` rows."""
        values: dict[str, dict[str, Any]] = {}
        for section in self.sections:
            rid, name, kind = section["requirement_id"], section["name"], section["kind"]
            if kind == "action":
                continue
            if kind == "address":
                saved = self.cleaned_data.get(f"{name}__saved")
                if saved is None:
                    parts = {
                        p: (self.cleaned_data.get(f"{name}__{p}") or "").strip()
                        for p in ADDRESS_LABELS
                    }
                    if not any(parts.values()):
                        continue
                    parts["country_code"] = to_alpha2(parts["country_code"]) or ""
                    typed = (self.cleaned_data.get(f"{name}__label") or "").strip()
                    saved = SavedAddress.objects.create(
                        label=typed or label or address_label(parts),
                        fields=parts,
                        created_by=user,
                    )
                values[rid] = {"type": "address", "address": str(saved.public_id)}
                continue
            value = self.cleaned_data.get(name)
            if value in (None, ""):
                continue
            if kind == "document":
                values[rid] = {"type": "document", "document": str(value)}
            elif kind == "datetime":
                values[rid] = {"type": "datetime", "value": value.isoformat()}
            else:
                values[rid] = {"type": "textual", "value": str(value)}
        return values


def data_from_values(values: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Form data that pre-fills the form with stored value descriptors."""
    data: dict[str, str] = {}
    for rid, value in values.items():
        name = prefix_for(rid)
        kind = value.get("type")
        if kind == "address":
            data[f"{name}__saved"] = str(value.get("address", ""))
        elif kind == "document":
            data[name] = str(value.get("document", ""))
        else:
            data[name] = str(value.get("value", ""))
    return data


class CommentForm(forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, label="Reply", strip=True
    )


class ExtensionRequestForm(forms.Form):
    days = forms.IntegerField(min_value=1, max_value=30, initial=7, label="Extra days needed")
    reason = forms.CharField(max_length=500, label="Why", strip=True)


class DashboardRangeForm(forms.Form):
    """The dashboard's date range (orders and submissions created from ``start`` to ``end``)."""

    start = forms.DateField(
        label="From", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end = forms.DateField(
        label="To", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    MAX_DAYS = 3 * 366

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                raise forms.ValidationError("The end of the range is before its start.")
            if (end - start).days > self.MAX_DAYS:
                raise forms.ValidationError("Choose a range of at most three years.")
        return data
