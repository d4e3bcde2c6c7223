"""Pre-flight warnings: what Telnyx is likely to send to manual review or decline, said before
anything is sent. Warnings, not errors: the person may submit anyway.

* An address whose city is not the area of the numbers (``phonenumbers``' geocoder), for
  requirements whose locality limit asks for the numbers' locality.
* A document older than the requirement's age limit ("Less than 3 months old"). The portal
  keeps no issue date, so the upload date stands in for it (a document reused from a profile
  is the usual case).
* An end-user name that is neither the address's business name nor its person's name.

The texts name values the person typed and are shown only on their page: never logged (P51).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import phonenumbers
from django.utils import timezone
from phonenumbers import geocoder

from compliance.models import Document, RequirementType

GEOCODER_LANGUAGES = ("en", "de", "fr", "it", "es", "nl", "sv", "pt", "da", "nb", "fi", "pl")
_AGE = re.compile(r"less than (\d+)\s*(day|week|month|year)s?\s+old", re.IGNORECASE)
_UNIT_DAYS = {"day": 1, "week": 7, "month": 31, "year": 366}
_NAME = re.compile(r"\bname\b", re.IGNORECASE)


@dataclass(frozen=True)
class PreflightWarning:
    requirement_id: str
    kind: str  # locality | document_age | name
    message: str


def key(warnings: Iterable[PreflightWarning]) -> str:
    """Which warnings were shown (kinds and requirement ids, no values): the form sends it back
    with "Submit anyway", so a different warning after a correction is shown again."""
    return ",".join(sorted(f"{w.kind}:{w.requirement_id}" for w in warnings))


def _plain(text: str) -> str:
    """Case-, accent- and punctuation-blind form: "Zürich" and "zurich" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    letters = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^\w]+", " ", letters.casefold()).split())


def number_areas(phone_number: str) -> set[str]:
    """The places the number's area code stands for, in several languages (empty when the
    geocoder only knows the country, e.g. mobile numbers)."""
    try:
        parsed = phonenumbers.parse(phone_number)
    except phonenumbers.NumberParseException:
        return set()
    country = geocoder.country_name_for_number(parsed, "en")
    names = set()
    for lang in GEOCODER_LANGUAGES:
        text = geocoder.description_for_number(parsed, lang)
        if text and text != country and text != geocoder.country_name_for_number(parsed, lang):
            names.add(_plain(text.split(",")[0]))
    return names


def wants_same_locality(row: RequirementType | None) -> bool:
    limit = str((row.acceptance_criteria or {}).get("locality_limit") or "") if row else ""
    return "locality" in limit.casefold() and "country" not in limit.casefold()


def age_limit(row: RequirementType | None) -> timedelta | None:
    """``time_limit`` (or the description) "Less than N months old" as a duration."""
    if row is None:
        return None
    text = f"{(row.acceptance_criteria or {}).get('time_limit') or ''} {row.description or ''}"
    match = _AGE.search(text)
    if not match:
        return None
    return timedelta(days=int(match.group(1)) * _UNIT_DAYS[match.group(2).lower()])


def locality_warnings(
    rid: str, row: RequirementType | None, address: dict[str, Any], phone_numbers: Iterable[str]
) -> list[PreflightWarning]:
    city = _plain(str(address.get("locality") or ""))
    if not city or not wants_same_locality(row):
        return []
    out = []
    for phone in phone_numbers:
        areas = number_areas(phone)
        if areas and city not in areas:
            shown = sorted(areas)[0].title()
            out.append(
                PreflightWarning(
                    rid,
                    "locality",
                    f"The address is in {address.get('locality')}, but {phone} is a {shown} "
                    "number: Telnyx sends such orders to manual review.",
                )
            )
    return out


def document_warning(
    rid: str, row: RequirementType | None, document: Document | None, now: datetime | None = None
) -> PreflightWarning | None:
    limit = age_limit(row)
    if limit is None or document is None:
        return None
    dated = document.uploaded_at
    if (now or timezone.now()) - dated <= limit:
        return None
    wanted = str((row.acceptance_criteria or {}).get("time_limit") or "") if row else ""
    return PreflightWarning(
        rid,
        "document_age",
        f"This document was uploaded on {dated:%d %b %Y}; the requirement asks for one "
        f"{(wanted or 'more recent').lower()}. Telnyx may decline it.",
    )


def name_warnings(
    names: dict[str, str], addresses: Iterable[dict[str, Any]]
) -> list[PreflightWarning]:
    """An end-user name matching no name on the addresses of the same submission."""
    known = set()
    for address in addresses:
        known.add(_plain(str(address.get("business_name") or "")))
        person = f"{address.get('first_name') or ''} {address.get('last_name') or ''}"
        known.add(_plain(person))
    known.discard("")
    if not known:
        return []
    return [
        PreflightWarning(
            rid,
            "name",
            f"The end-user name “{value}” is not the name on the address. Telnyx declines "
            "mismatched names; check that both are the same person or company.",
        )
        for rid, value in names.items()
        if _plain(value) and _plain(value) not in known
    ]


def warnings_for(form: Any, phone_numbers: list[str]) -> list[PreflightWarning]:
    """Every warning for a valid `RequirementForm` about ``phone_numbers`` (nothing is saved)."""
    found: list[PreflightWarning] = []
    addresses: list[dict[str, Any]] = []
    names: dict[str, str] = {}
    for section in form.sections:
        rid, kind = section["requirement_id"], section["kind"]
        row = form.types.get(rid)
        if kind == "address":
            address = form.address_parts(section)
            if address:
                addresses.append(address)
                found.extend(locality_warnings(rid, row, address, phone_numbers))
        elif kind == "document":
            value = form.cleaned_data.get(section["name"])
            document = form.documents.filter(public_id=value).first() if value else None
            warning = document_warning(rid, row, document)
            if warning:
                found.append(warning)
        elif kind == "textual" and row is not None and _NAME.search(row.name or ""):
            value = str(form.cleaned_data.get(section["name"]) or "")
            if value:
                names[rid] = value
    found.extend(name_warnings(names, addresses))
    return found
