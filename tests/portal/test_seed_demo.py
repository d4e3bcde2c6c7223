"""``seed_demo`` makes a usable demo in development and refuses in production."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from portal.roles import MANAGERS, STAFF

pytestmark = pytest.mark.django_db


def test_seed_demo_refuses_when_debug_is_off(settings, django_user_model):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DJANGO_DEBUG=true"):
        call_command("seed_demo")
    assert not django_user_model.objects.filter(username__in=["alice", "maria"]).exists()


def test_seed_demo_creates_alice_and_maria_with_the_demo_password(settings, django_user_model):
    settings.DEBUG = True
    settings.PORTAL_DEMO_PASSWORD = "a-demo-password-for-this-test"
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    alice = django_user_model.objects.get(username="alice")
    maria = django_user_model.objects.get(username="maria")
    assert list(alice.groups.values_list("name", flat=True)) == [STAFF]
    assert list(maria.groups.values_list("name", flat=True)) == [MANAGERS]
    assert maria.is_staff and not alice.is_staff
    assert alice.check_password("a-demo-password-for-this-test")


def test_seed_demo_runs_twice_without_duplicates(settings, django_user_model):
    settings.DEBUG = True
    for _ in range(2):
        call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert django_user_model.objects.filter(username__in=["alice", "maria"]).count() == 2


def test_the_seeded_demo_is_usable_without_a_second_factor_in_debug(settings):
    settings.DEBUG = True
    settings.PORTAL_REQUIRE_OTP = False  # what DJANGO_DEBUG=true gives (see test_checks)
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    client = Client()
    response = client.post(
        reverse("login"), {"username": "maria", "password": settings.PORTAL_DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    assert client.get("/admin/").status_code == 200
