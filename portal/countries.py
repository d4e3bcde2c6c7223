"""A country typed by a person, as the ISO 3166 alpha-2 code Telnyx wants.

People type "DE", "de" or "Germany"; a two-character input box used to cut "Germany" to "Ge"
without a word. Fields take the text whole and read it here (django-countries' names);
anything that is neither a known code nor a country name is refused with a message.
"""

from __future__ import annotations

from django_countries import countries

MESSAGE = "Enter a country name or its two-letter code, e.g. Germany or DE."


def to_alpha2(value: str) -> str | None:
    """``"de"``/``"DE"``/``"Germany"`` -> ``"DE"``; None when it is not a known country."""
    text = (value or "").strip()
    if not text:
        return None
    if len(text) == 2 and text.isalpha():
        code = countries.alpha2(text.upper())
        return code or None
    return countries.by_name(text) or None
