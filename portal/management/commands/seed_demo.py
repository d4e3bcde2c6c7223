"""Create the demo users ``alice`` (Compliance staff) and ``maria`` (Compliance manager).

Refuses to run unless ``DJANGO_DEBUG`` is true: the demo password is public, so it must never
become an active credential in production. Running it again resets the demo passwords.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from portal.roles import MANAGERS, STAFF, sync_group_permissions

DEMO_USERS = [
    # username, group, is_staff (Django admin needs it besides the manager permission)
    ("alice", STAFF, False),
    ("maria", MANAGERS, True),
]


class Command(BaseCommand):
    help = "Create the demo users alice (staff) and maria (manager). Development only."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo only runs with DJANGO_DEBUG=true: demo passwords must never exist "
                "in production."
            )
        password = settings.PORTAL_DEMO_PASSWORD
        sync_group_permissions()
        User = get_user_model()
        for username, group_name, is_staff in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username, defaults={"email": f"{username}@example.com"}
            )
            user.is_staff = is_staff
            user.is_active = True
            user.set_password(password)
            user.save()
            user.groups.set([Group.objects.get(name=group_name)])
            self.stdout.write(f"{'Created' if created else 'Updated'} {username} ({group_name})")
        if settings.PORTAL_REQUIRE_OTP:
            self.stdout.write(
                "PORTAL_REQUIRE_OTP is on: each demo user enrols an authenticator at first sign-in."
            )
