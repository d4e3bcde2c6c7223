"""``manage.py reindex_search``: rebuild the blind index of names (after changing
``SEARCH_INDEX_KEY``, or to repair it); safe to run any time, twice changes nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from compliance.blind_index import reindex_all


class Command(BaseCommand):
    help = "Rebuild the search index of names and other textual values (blind index)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = reindex_all()
        self.stdout.write(f"Indexed {count} submissions, drafts and profiles.")
