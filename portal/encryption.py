"""Encryption of personal values at rest (P33, P51): the Fernet keys and the model fields.

The keys are ``DOCUMENT_ENCRYPTION_KEYS`` (newest first), the list that also protects the
compliance vault's files (``compliance.documents.vault``). Here they encrypt the encrypted columns
of every app (``orders`` may not import ``compliance``): ``MultiFernet`` decrypts with any listed
key and encrypts with the first, so ``manage.py rotate_document_keys`` can re-encrypt every
column and the old keys can then be dropped.

The fields store Fernet tokens, so a database dump or a ``psql`` session shows no plaintext; their
values cannot be searched or sorted by the database.
"""

from __future__ import annotations

import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


class DecryptionError(Exception):
    """The stored data cannot be decrypted with any configured key (wrong or dropped key)."""


def cipher() -> MultiFernet:
    """The MultiFernet built from the configured keys (raises loudly on a malformed key)."""
    return MultiFernet([Fernet(key.encode()) for key in settings.DOCUMENT_ENCRYPTION_KEYS])


def encrypt(data: bytes) -> bytes:
    return cipher().encrypt(data)


def decrypt(token: bytes) -> bytes:
    try:
        return cipher().decrypt(token)
    except InvalidToken as exc:
        raise DecryptionError("stored data cannot be decrypted with the configured keys") from exc


class EncryptedJSONField(models.TextField):
    """A JSON value stored encrypted; not queryable by content."""

    # django-stubs: the Python value is JSON, not the text stored in the column.
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return self.get_default()
        return json.loads(decrypt(value.encode()))

    def to_python(self, value: Any) -> Any:
        return value

    def get_prep_value(self, value: Any) -> str | None:
        if value is None:
            return None
        plain = json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
        return encrypt(plain).decode()

    def value_to_string(self, obj: models.Model) -> str:
        return json.dumps(self.value_from_object(obj))


class EncryptedTextField(models.TextField):
    """A text stored encrypted (a file name, a profile name, a comment)."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str:
        if not value:
            return ""
        return decrypt(value.encode()).decode()

    def get_prep_value(self, value: Any) -> str:
        if value is None or value == "":
            return ""
        return encrypt(str(value).encode()).decode()
