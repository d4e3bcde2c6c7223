"""The encrypted model fields of the compliance app (requirement values, names, addresses, file
names), under the name its migrations import them by.

They are ``portal.encryption``'s fields (shared with ``orders``, which must not import
``compliance``), except that a value the configured keys cannot decrypt raises the vault's
``VaultKeyError``, as the document it belongs to would: a wrong or dropped key fails the same way
for a file and for its name.
"""

from __future__ import annotations

from typing import Any

from compliance.documents import vault
from portal import encryption


class EncryptedJSONField(encryption.EncryptedJSONField):
    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        try:
            return super().from_db_value(value, expression, connection)
        except encryption.DecryptionError as exc:
            raise vault.VaultKeyError(str(exc)) from exc


class EncryptedTextField(encryption.EncryptedTextField):
    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str:
        try:
            return super().from_db_value(value, expression, connection)
        except encryption.DecryptionError as exc:
            raise vault.VaultKeyError(str(exc)) from exc
