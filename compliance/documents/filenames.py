"""Turning a user's file name into harmless display metadata (P29).

The name is never used as a path (the vault stores under uuids); it is kept only to show users
and to send to Telnyx, so it is stripped of directories, control and bidi characters, and bounded.
"""

from __future__ import annotations

import unicodedata

MAX_LENGTH = 200


class UnsafeFilename(ValueError):
    """A file name that cannot be accepted (path components, NUL, nothing left)."""


def sanitize_filename(name: str) -> str:
    """A safe display name for ``name``; raises ``UnsafeFilename`` for traversal attempts."""
    name = unicodedata.normalize("NFC", name or "")
    if "\x00" in name:
        raise UnsafeFilename("The file name contains a NUL character.")
    if "/" in name or "\\" in name or name.strip() in {".", ".."}:
        raise UnsafeFilename("The file name must not contain a folder path.")
    # Drop control (Cc), format (Cf: RTL overrides, zero-width) and separator-line characters.
    name = "".join(ch for ch in name if unicodedata.category(ch) not in {"Cc", "Cf", "Zl", "Zp"})
    name = " ".join(name.split()).strip(" .")
    if not name:
        raise UnsafeFilename("The file has no usable name.")
    if len(name) > MAX_LENGTH:
        stem, dot, ext = name.rpartition(".")
        if dot and len(ext) <= 10:
            name = stem[: MAX_LENGTH - len(ext) - 1] + "." + ext
        else:
            name = name[:MAX_LENGTH]
    return name


def extension_of(name: str) -> str:
    """The lower-case last extension of ``name`` ('' when none)."""
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""
