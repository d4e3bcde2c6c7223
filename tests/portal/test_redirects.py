"""``next`` may only send the browser to a path on this site; anything else is ignored (P53).

``next=x`` used to be a 500: ``redirect("x")`` tries to reverse a URL named ``x``.
"""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import reverse

from portal.redirects import safe_next

DEFAULT = "/fallback/"


@pytest.mark.parametrize("target", ["/orders/", "/orders/?page=2", "/compliance/deadlines/"])
def test_a_path_on_this_site_is_kept(target):
    assert safe_next(RequestFactory().get("/"), target, DEFAULT) == target


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "x",
        "9" * 23,
        "orders:list",
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "/\x00",
        "/a\nb",
        "javascript:alert(1)",
    ],
)
def test_p53_anything_else_gives_the_default(target):
    assert safe_next(RequestFactory().get("/"), target, DEFAULT) == DEFAULT


@pytest.mark.django_db
@pytest.mark.parametrize("target", ["x", "9" * 23, "{", "/ok/\x00"])
def test_p53_an_odd_next_on_the_second_factor_page_goes_home(alice_client, target):
    response = alice_client.get(reverse("otp-verify"), {"next": target})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


@pytest.mark.django_db
@pytest.mark.parametrize("target", ["x", "9" * 23, "https://evil.example/"])
def test_p53_an_odd_next_after_changing_the_selection_goes_to_the_search(alice_client, target):
    response = alice_client.post(reverse("orders:selection-clear"), {"next": target})
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:search")
