"""Key rotation (P33): re-encrypt every stored file and encrypted field with the newest key.

Put the new key first in ``DOCUMENT_ENCRYPTION_KEYS`` (keep the old ones after it), run
``manage.py rotate_document_keys``, then drop the old keys: nothing needs them any more. Files
are rewritten in the vault's streaming format, including those still stored as Fernet tokens.
"""

from __future__ import annotations

from typing import Any

from compliance.documents import vault
from compliance.models import (
    ComplianceProfile,
    Document,
    RequirementDraft,
    RequirementGroupComment,
    RequirementGroupLink,
    SavedAddress,
    Submission,
)
from orders.models import CommentRejection, SubOrderComment

ENCRYPTED_FIELDS: dict[type[Any], list[str]] = {
    Document: ["original_filename"],
    SavedAddress: ["label", "fields"],
    RequirementDraft: ["values"],
    Submission: ["values", "patch_payload"],
    ComplianceProfile: ["name", "values"],
    RequirementGroupLink: ["values"],
    RequirementGroupComment: ["body"],
    SubOrderComment: ["body"],
    CommentRejection: ["requirement", "reason"],
}


def rotate_all() -> dict[str, int]:
    """Re-encrypt the vault and every encrypted column; return counts per kind."""
    files = 0
    for name in sorted(vault.names()):
        vault.rotate(name)
        files += 1
    counts = {"files": files}
    for model, fields in ENCRYPTED_FIELDS.items():
        rows = 0
        for obj in model.objects.all().iterator():
            # Saving re-encrypts: the field encrypts with the first (newest) key.
            model.objects.filter(pk=obj.pk).update(**{f: getattr(obj, f) for f in fields})
            rows += 1
        counts[str(model._meta.model_name)] = rows
    return counts
