"""``manage.py rotate_document_keys``: re-encrypt documents and fields with the newest key."""

from typing import Any

from django.core.management.base import BaseCommand

from compliance.documents.rotation import rotate_all


class Command(BaseCommand):
    help = "Re-encrypt stored documents and encrypted fields with the first configured key."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = rotate_all()
        summary = ", ".join(f"{kind}: {count}" for kind, count in counts.items())
        self.stdout.write(f"Re-encrypted {summary}")
