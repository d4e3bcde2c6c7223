"""Model fields whose values are encrypted in the database with the document keys (P33).

Requirement values (ID numbers, birth dates, names) and original file names are personal data;
they are stored as Fernet tokens so a database dump or ``psql`` session shows no plaintext.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import models

from compliance.documents import vault


class EncryptedJSONField(models.TextField):
    """A JSON value stored encrypted; not queryable by content."""

    # django-stubs: the Python value is JSON, not the text stored in the column.
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return self.get_default()
        return json.loads(vault.decrypt(value.encode()))

    def to_python(self, value: Any) -> Any:
        return value

    def get_prep_value(self, value: Any) -> str | None:
        if value is None:
            return None
        plain = json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
        return vault.encrypt(plain).decode()

    def value_to_string(self, obj: models.Model) -> str:
        return json.dumps(self.value_from_object(obj))


class EncryptedTextField(models.TextField):
    """A short text stored encrypted (e.g. an uploaded file's original name)."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str:
        if not value:
            return ""
        return vault.decrypt(value.encode()).decode()

    def get_prep_value(self, value: Any) -> str:
        if value is None or value == "":
            return ""
        return vault.encrypt(str(value).encode()).decode()
