"""``manage.py rebuild_number_tallies``: recount the dashboard's tallies from the numbers (after
restoring numbers without their tallies, or a TRUNCATE, which triggers do not see); safe to run
any time."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from orders import tallies


class Command(BaseCommand):
    help = "Recount the dashboard's tallies of numbers per day of their order."

    def handle(self, *args: Any, **options: Any) -> None:
        tallies.rebuild()
        self.stdout.write("Recounted the tallies of numbers.")
