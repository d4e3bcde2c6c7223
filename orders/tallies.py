"""Running tallies of numbers per day of their order, kept by PostgreSQL as numbers change.

The dashboard's first charts (numbers by status and vetting state, rejection rates) count every
number of the orders created in a range: at 50,000 numbers, reading them and unrolling their
requirement values (JSON) took 100-200 ms per view. Instead, triggers on
``orders_orderednumber`` add a row to ``orders_numbertally`` whenever a number is created,
deleted or changes what the charts count (its order, country, status, vetting state or
requirement values): ``-1`` under its old values, ``+1`` under the new ones, keyed by the UTC day
its order was created. Per number there is one row (``requirement_id`` NULL, ``numbers``) and
one per decided requirement value (``decided`` and ``declined``). The charts sum the rows of a
range: a few hundred per day however many numbers change.

Why triggers, not Python: every write path counts, including ``bulk_create``, ``update()``,
the admin and the factories of the tests, so the tallies cannot drift from the numbers. Why
rows that are only ever inserted (a ledger) rather than counters updated in place: concurrent
syncs touch the same day, country and status; updating shared counters would make them wait
for each other and could deadlock. ``compact`` (beat, every few minutes) folds the ledger
into one row per key.

The activation times (a percentile, which no tally can sum) read ``orders_activation`` instead:
a copy, kept by triggers too, of each history row saying a number became active, with its
number's country and its order's times, so the chart reads one narrow table rather than
joining the history, the numbers and the orders (a third of the time when measured).

The functions and triggers are installed by migrations ``orders.0011_number_tallies``
and ``orders.0013_activations``, which also count what is already there.
PostgreSQL only: on another database (the SQLite of ``make run``) the dashboard counts the
numbers themselves.
"""

from __future__ import annotations

from django.db import connection, transaction

from portal.locks import transaction_lock

# Recount from the numbers themselves (the migration; a repair), one line per number; then
# ``COMPACT`` folds them.
REBUILD = """
DELETE FROM orders_numbertally;
SELECT orders_number_tally_add(
    (o.created_at AT TIME ZONE 'UTC')::date, n.country_code, n.status,
    n.requirements_status, n.regulatory_requirements, 1)
FROM orders_orderednumber n JOIN orders_numberorder o ON o.id = n.number_order_id;
"""

# Copy again every activation (the migration; a repair).
ACTIVATIONS = """
DELETE FROM orders_activation;
INSERT INTO orders_activation (change_id, number_id, country_code, ordered_at, started, at)
SELECT c.id, n.id, n.country_code, o.created_at, COALESCE(o.placed_at, o.created_at), c.at
FROM orders_numberstatuschange c
JOIN orders_orderednumber n ON n.id = c.number_id
JOIN orders_numberorder o ON o.id = n.number_order_id
WHERE c.field = 'status' AND c.new_value = 'success';
"""

# Fold the ledger: the rows this statement sees become one row per key (rows inserted
# meanwhile by other transactions are not seen, so not deleted: they stay as they are).
COMPACT = """
WITH gone AS (
    DELETE FROM orders_numbertally
    RETURNING day, country_code, status, requirements_status, requirement_id,
              numbers, decided, declined
)
INSERT INTO orders_numbertally
    (day, country_code, status, requirements_status, requirement_id,
     numbers, decided, declined)
SELECT day, country_code, status, requirements_status, requirement_id,
       SUM(numbers), SUM(decided), SUM(declined)
FROM gone
GROUP BY day, country_code, status, requirements_status, requirement_id
HAVING SUM(numbers) <> 0 OR SUM(decided) <> 0 OR SUM(declined) <> 0
"""


def rebuild() -> None:
    """Recount every number and copy every activation again (after a restore without them)."""
    if connection.vendor != "postgresql":
        return
    with transaction.atomic():
        transaction_lock("number-tallies", 0)
        with connection.cursor() as cursor:
            cursor.execute(REBUILD)
            cursor.execute(COMPACT)
            cursor.execute(ACTIVATIONS)


def compact() -> int:
    """Fold the ledger into one row per key; returns the rows left."""
    if connection.vendor != "postgresql":
        return 0
    with transaction.atomic():
        transaction_lock("number-tallies", 0)  # one compaction at a time
        with connection.cursor() as cursor:
            cursor.execute(COMPACT)
            return cursor.rowcount
