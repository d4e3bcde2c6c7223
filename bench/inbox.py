"""Queries and time of the inbox at 100 and at 10,000 orders.

The inbox must cost the same number of SQL queries whatever the number of orders (one UNION
count, one UNION page, one load per kind of item, two look-ups for the page's sub orders), and
stay fast: this prints the query count and the best of five requests at both sizes, next to a
trivial signed-in page (the password change form) for scale. Orders are bulk-created like the
work queue's benchmark (a third of the numbers rejected), each sub order with an admin comment,
a third of them read, in a database of its own, then ``ANALYZE``d.

Usage: ``DATABASE_URL=postgres://.../portal_bench_inbox REDIS_URL=redis://...
.venv/bin/python bench/inbox.py`` (the database is migrated first and emptied of orders).
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
    from django.utils import timezone
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from compliance.models import RequirementType
    from orders.models import NumberOrder, SubNumberOrder, SubOrderComment
    from portal.roles import MANAGERS
    from tests.orders.factories import bulk_open_orders

    setup_test_environment()
    call_command("migrate", verbosity=0)
    NumberOrder.objects.filter(customer_reference__startswith="bench-inbox-").delete()
    RequirementType.objects.get_or_create(telnyx_id="bench-address", defaults={"name": "Address"})
    user, _ = get_user_model().objects.get_or_create(username="bench-inbox-manager")
    user.groups.add(Group.objects.get(name=MANAGERS))
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", confirmed=True)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    total = 0
    for target in (100, 10_000):
        bulk_open_orders(target - total, "bench-address", reference_prefix="bench-inbox-")
        total = target
        bare = SubNumberOrder.objects.filter(
            number_order__customer_reference__startswith="bench-inbox-", comments__isnull=True
        ).values_list("pk", flat=True)
        now = timezone.now()
        SubOrderComment.objects.bulk_create(
            SubOrderComment(
                telnyx_id=f"bench-inbox-{pk}",
                sub_order_id=pk,
                body="Some requirement values were declined",
                commenter_type="admin",
                telnyx_created_at=now,
                read_at=now if pk % 3 == 0 else None,
            )
            for pk in bare
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        figures = []
        for url in ("/compliance/inbox/", "/accounts/password_change/"):
            client.get(url)
            best = float("inf")
            for _ in range(5):
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    response = client.get(url)
                    best = min(best, time.perf_counter() - started)
                assert response.status_code == 200, url
            figures.append((len(queries), best))
        (count, inbox), (_, trivial) = figures
        print(
            f"{target:>6} orders: inbox {count} queries, best of 5 {inbox * 1000:.0f} ms "
            f"({inbox / trivial:.1f}x a trivial page, {trivial * 1000:.0f} ms)"
        )


if __name__ == "__main__":
    main()
