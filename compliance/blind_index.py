"""A blind index of personal values, so names are found without decrypting the tables (P51).

Names and other textual requirement values are stored encrypted (``EncryptedJSONField``); a
query cannot look inside them. Each saved value is cut into normalised words (Unicode NFKC,
accents removed, case folded: ``Müller`` = ``MULLER``), and each word is stored as its
HMAC-SHA256 under ``settings.SEARCH_INDEX_KEY`` in ``SearchToken`` next to the row holding it.
A search hashes the words typed the same way and asks for rows holding all of them. The digests
reveal nothing without the key (they are keyed, unlike a plain hash, which a dictionary of names
would reverse); equal words do give equal digests, which is what makes them searchable.

Whole words only, any order: ``acme gmbh`` finds "ACME GmbH & Co. KG", ``acm`` finds nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from django.conf import settings

_WORD = re.compile(r"\w+")
# A word that short matches too much to say anything (initials, "&"): not indexed, not searched.
MIN_WORD = 2
# Address parts that name someone (the rest of an address is not searchable).
ADDRESS_NAME_PARTS = ("first_name", "last_name", "business_name")


def words(text: str) -> list[str]:
    """The normalised words of ``text``, in order, without repeats."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    seen: dict[str, None] = {}
    for word in _WORD.findall(plain):
        if len(word) >= MIN_WORD:
            seen.setdefault(word, None)
    return list(seen)


def digest(word: str) -> str:
    """The keyed digest of one normalised word (64 hex characters)."""
    key = settings.SEARCH_INDEX_KEY.encode()
    return hmac.new(key, word.encode(), hashlib.sha256).hexdigest()


def digests(texts: Iterable[str]) -> set[str]:
    """The digests of every word of ``texts``."""
    return {digest(w) for text in texts for w in words(text)}


def value_texts(values: dict[str, Any], addresses: dict[str, dict[str, Any]]) -> list[str]:
    """The searchable texts of requirement value descriptors: textual values, and the name parts
    of the saved addresses they point at (``addresses``: public id → address fields)."""
    texts: list[str] = []
    for value in (values or {}).values():
        if not isinstance(value, dict):
            continue
        if value.get("type") == "textual":
            texts.append(str(value.get("value", "")))
        elif value.get("type") == "address":
            fields = addresses.get(str(value.get("address", ""))) or {}
            texts.extend(str(fields.get(part, "")) for part in ADDRESS_NAME_PARTS)
    return texts


#: Which row a token points at, per model label: the token's foreign key.
OWNERS = {
    "compliance.Submission": "submission",
    "compliance.RequirementDraft": "draft",
    "compliance.ComplianceProfile": "profile",
}


def texts_of(instance: Any, apps: Any = None) -> list[str]:
    """The searchable texts of a submission, draft or profile (decrypted in memory only)."""
    from django.apps import apps as django_apps

    address_model = (apps or django_apps).get_model("compliance", "SavedAddress")
    values = getattr(instance, "values", None) or {}
    ids = [
        str(v.get("address"))
        for v in values.values()
        if isinstance(v, dict) and v.get("type") == "address" and v.get("address")
    ]
    addresses = {}
    if ids:
        addresses = {
            str(a.public_id): a.fields or {}
            for a in address_model.objects.filter(public_id__in=ids)
        }
    texts = value_texts(values, addresses)
    if instance._meta.label == "compliance.ComplianceProfile":
        texts.append(str(instance.name or ""))
    return texts


def reindex(instance: Any, apps: Any = None) -> int:
    """Replace the tokens of ``instance`` with the digests of its current values; returns how
    many it holds now."""
    from django.apps import apps as django_apps
    from django.db import transaction

    token_model = (apps or django_apps).get_model("compliance", "SearchToken")
    owner = OWNERS[instance._meta.label]
    found = digests(texts_of(instance, apps))
    with transaction.atomic():
        token_model.objects.filter(**{owner: instance.pk}).delete()
        token_model.objects.bulk_create(
            [token_model(digest=d, **{f"{owner}_id": instance.pk}) for d in sorted(found)]
        )
    return len(found)


def reindex_all(apps: Any = None, batch: int = 500) -> int:
    """Rebuild the tokens of every submission, draft and profile (after a key change, and once
    for rows saved before the index existed); returns the number of rows indexed."""
    from django.apps import apps as django_apps

    registry = apps or django_apps
    done = 0
    for label in OWNERS:
        model = registry.get_model(label)
        for instance in model.objects.order_by("pk").iterator(chunk_size=batch):
            reindex(instance, registry)
            done += 1
    return done


def on_save(sender: Any, instance: Any, update_fields: Any = None, **kwargs: Any) -> None:
    """``post_save`` receiver: reindex when the values (or a profile's name) may have changed."""
    if kwargs.get("raw"):
        return
    if update_fields is not None and not {"values", "name"} & set(update_fields):
        return
    reindex(instance)


def matching(owner: str, query: str) -> list[int] | None:
    """Primary keys of the ``owner`` rows ("submission", "draft" or "profile") whose tokens hold
    every word of ``query``; ``None`` when ``query`` has no searchable word."""
    from django.apps import apps as django_apps
    from django.db.models import Count

    wanted = {digest(w) for w in words(query)}
    if not wanted:
        return None
    token_model = django_apps.get_model("compliance", "SearchToken")
    rows = (
        token_model.objects.filter(digest__in=wanted, **{f"{owner}__isnull": False})
        .values(owner)
        .annotate(n=Count("digest", distinct=True))
        .filter(n=len(wanted))
        .values_list(owner, flat=True)
    )
    return list(rows[:200])


def still_holds(instance: Any, query: str) -> bool:
    """Whether ``instance``'s current values still hold every word of ``query`` (a token can
    outlive a value that was emptied by a bulk update, e.g. retention)."""
    wanted = {digest(w) for w in words(query)}
    return bool(wanted) and wanted <= digests(texts_of(instance))
