"""Phone numbers typed by people, read with Google's libphonenumber (the ``phonenumbers`` port).

Numbers are stored in E.164 (``+493012345678``), as Telnyx sends them. What people type varies:
``+49 30 1234567``, ``0049 30 1234567``, ``(030) 123 4567`` with a country. Parsing, validation
and formatting are the library's; this module only chooses which regions to try.
"""

from __future__ import annotations

from collections.abc import Iterable

import phonenumbers


def to_e164(text: str, region: str | None = None) -> str | None:
    """``text`` as an E.164 number if it is a valid number (national formats need ``region``)."""
    try:
        number = phonenumbers.parse(text, (region or "").upper() or None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def candidates(text: str, regions: Iterable[str] = ()) -> list[str]:
    """Every E.164 number ``text`` can be: international forms alone, national forms in each of
    ``regions`` where the library finds them valid (e.g. ``030 1234567`` in DE)."""
    found: list[str] = []
    international = to_e164(text)
    if international:
        return [international]
    for region in regions:
        number = to_e164(text, region)
        if number and number not in found:
            found.append(number)
    return found


def national_format(e164: str) -> str:
    """``+4930123456`` as people read it in the country (``030 123456``); E.164 if unknown."""
    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
