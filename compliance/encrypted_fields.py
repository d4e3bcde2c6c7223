"""The encrypted model fields, under the name the compliance migrations import them by.

They live in ``portal.encryption`` so every app can use them (``orders`` must not import
``compliance``); requirement values, names, addresses and file names are stored with them.
"""

from portal.encryption import EncryptedJSONField, EncryptedTextField

__all__ = ["EncryptedJSONField", "EncryptedTextField"]
