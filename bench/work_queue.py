"""Queries and time of the home page's work queue at 100 and at 10,000 orders.

The page must cost the same number of SQL queries whatever the number of orders (one count and
one page of rows per section), and stay fast: this prints the query count and the best of five
requests for a manager (every section, approvals included) at both sizes. Rows are bulk-created
(one sub order and one number per order, vetting states spread over rejected, needs
information and under review, a quarter done) in a database of its own, then ``ANALYZE``d, as
autovacuum would have done on a live system.

Usage: ``DATABASE_URL=postgres://.../portal_bench_queue REDIS_URL=redis://...
.venv/bin/python bench/work_queue.py`` (the database is migrated first and emptied of orders).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("PORTAL_TESTING", "1")


def main() -> None:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from compliance.models import RequirementType
    from orders.models import NumberOrder
    from portal.roles import MANAGERS
    from tests.orders.factories import bulk_open_orders

    setup_test_environment()
    call_command("migrate", verbosity=0)
    NumberOrder.objects.filter(customer_reference__startswith="bench-queue-").delete()
    RequirementType.objects.get_or_create(telnyx_id="bench-address", defaults={"name": "Address"})
    user, _ = get_user_model().objects.get_or_create(username="bench-queue-manager")
    user.groups.add(Group.objects.get(name=MANAGERS))
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", confirmed=True)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    client.get("/")
    total = 0
    for target in (100, 10_000):
        bulk_open_orders(target - total, "bench-address", reference_prefix="bench-queue-")
        total = target
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        client.get("/")
        best = float("inf")
        for _ in range(5):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get("/")
                best = min(best, time.perf_counter() - started)
            assert response.status_code == 200
        print(f"{target:>6} orders: {len(queries)} queries, best of 5 {best * 1000:.0f} ms")


if __name__ == "__main__":
    main()
