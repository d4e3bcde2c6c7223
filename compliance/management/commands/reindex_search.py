"""``manage.py reindex_search``: rebuild the blind index of names (after changing
``SEARCH_INDEX_KEY``, or to repair it) and the digests of the rejection reasons the dashboard
counts (same key); safe to run any time, twice changes nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from compliance.blind_index import reindex_all
from orders import rejections
from orders.models import CommentRejection, SubOrderComment


class Command(BaseCommand):
    help = (
        "Rebuild the search index of names and other textual values (blind index) and the "
        "digests of the rejection reasons in comments."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = reindex_all()
        self.stdout.write(f"Indexed {count} submissions, drafts and profiles.")
        reasons = rejections.backfill(CommentRejection, SubOrderComment)
        self.stdout.write(f"Recorded {reasons} rejection reasons from comments.")
