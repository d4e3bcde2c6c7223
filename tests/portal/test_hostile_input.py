"""No URL answers 5xx to hostile input (P53, P48).

Every URL in the URL conf is requested with real objects' ids in its path, as a signed-in staff
member and a manager (second factor passed), with hostile query strings, form fields and bodies.
The parameter names are the ones each view actually reads: a first, harmless request records
every key looked up in ``request.GET``/``request.POST``, then each key is sent alone with each
hostile value, so one refusal (a 404 for ``number=x``) cannot hide what a later key would do.
The webhook gets validly signed hostile bodies and headers.
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.datastructures import MultiValueDict

from tests.fixtures.people import signed_in_client
from tests.orders.webhook_signing import Signer
from tests.portal.urlwalk import Route, routes_with_ids
from tests.portal.world import admin_object_ids, url_kwargs

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

# Values that are sent percent-encoded (so the view sees exactly these characters).
HOSTILE_VALUES = [
    "x",
    "9" * 23,
    "-1",
    "1e999999",
    "NaN",
    "\x00\u00e9\U0001d7d8\u202e\ufb00",
    "A" * 5000,
    "00000000-0000-0000-0000-000000000000",
    '{"a": [[[[',
]
# Raw bytes on the wire: invalid UTF-8, an encoded surrogate, overlong NUL, broken escapes.
ODD_ENCODINGS = ["%ff%fe", "%ed%a0%80", "%c0%80%00", "%zz%"]
# The logouts sign the walker out (the auth tests cover them); healthz reads nothing from the
# request and waits for a Celery worker on every call (test_health covers it).
SKIP = {"logout", "admin:logout", "healthz"}


@dataclass(frozen=True)
class Plan:
    """What to send each route on top of the keys it was seen to read."""

    values: list[str]
    odd: list[str] = field(default_factory=lambda: ODD_ENCODINGS)
    # Names sent together with the read keys, one request per value.
    together: tuple[str, ...] = ("page", "part", "next", "q", "o", "p")
    # Names that refuse the whole request (admin's _to_field is a 400): sent alone.
    alone: tuple[str, ...] = ()
    # Each read key also alone with these values, so one refusal hides nothing.
    key_by_key: tuple[str, ...] = ("x", "9" * 23)
    # Whether the keys the view read are sent too (the admin's forms read every model field).
    read_keys: bool = True
    # POST only the first n queries (None: all).
    post_queries: int | None = None

    def queries(self, read: list[str]) -> Iterator[str]:
        read = read if self.read_keys else []
        names = [quote(k) for k in [*read, *self.together]]
        for value in self.values:
            yield "&".join(f"{n}={quote(value)}" for n in names)
        for raw in self.odd:
            yield "&".join(f"{n}={raw}" for n in names)
        yield "&".join(f"{n}[]=1&{n}[]=2&{n}=1&{n}=x" for n in names)
        for key in [*read, *self.alone]:
            for value in self.key_by_key:
                yield f"{quote(key)}={quote(value)}"


MANAGER_PLAN = Plan(HOSTILE_VALUES)
STAFF_PLAN = Plan(HOSTILE_VALUES, key_by_key=())
# The admin is Django's generic code over our ModelAdmin options, 176 routes: fewer values, its
# lookups named (it reads most of its query through .items()), POST only with the first two.
ADMIN_PLAN = Plan(
    ["x", "9" * 23],
    odd=["%ff%fe%ed%a0%80%00"],
    together=(
        "q",
        "o",
        "p",
        "all",
        "id",
        "pk",
        "id__exact",
        "id__in",
        "created_at__gte",
        "placed_by__id__exact",
        "state__exact",
        "status__exact",
        "received_at__gte",
    ),
    alone=("_to_field", "e"),
    key_by_key=("x",),
    read_keys=False,
    post_queries=2,
)


@contextlib.contextmanager
def recorded_keys() -> Iterator[set[str]]:
    """Every key looked up in a QueryDict/MultiValueDict while the block runs."""
    keys: set[str] = set()
    getitem, getlist, contains = (
        MultiValueDict.__getitem__,
        MultiValueDict._getlist,
        MultiValueDict.__contains__,
    )

    def record_getitem(self, key):
        keys.add(key)
        return getitem(self, key)

    def record_getlist(self, key, *args, **kwargs):
        keys.add(key)
        return getlist(self, key, *args, **kwargs)

    def record_contains(self, key):
        keys.add(key)
        return contains(self, key)

    MultiValueDict.__getitem__ = record_getitem  # type: ignore[method-assign]
    MultiValueDict._getlist = record_getlist  # type: ignore[method-assign]
    MultiValueDict.__contains__ = record_contains  # type: ignore[method-assign]
    try:
        yield keys
    finally:
        MultiValueDict.__getitem__ = getitem  # type: ignore[method-assign]
        MultiValueDict._getlist = getlist  # type: ignore[method-assign]
        MultiValueDict.__contains__ = contains  # type: ignore[method-assign]


def _client(user) -> Client:
    return signed_in_client(user, raise_request_exception=False)


def _describe(response) -> str:
    exc = getattr(response, "exc_info", None)
    return f"{response.status_code} {exc[0].__name__}: {exc[1]}"[:300] if exc else ""


def _walk(client: Client, routes: list[Route], plan: Plan) -> list[str]:
    """Send every route hostile queries and bodies (GET and POST); list the 5xx answers."""
    failures: list[str] = []
    answered: Counter[int] = Counter()
    for route in routes:
        # A harmless parameter, so that views binding a form only to a non-empty query read it.
        with recorded_keys() as keys:
            get = client.get(f"{route.path}?walk=1")
            post = client.post(
                f"{route.path}?walk=1", "walk=1", content_type="application/x-www-form-urlencoded"
            )
        methods = [m for m, r in (("get", get), ("post", post)) if r.status_code != 405]
        read = sorted(k for k in keys if isinstance(k, str) and k not in {"walk", *plan.alone})
        for i, query in enumerate(plan.queries(read)):
            posting = plan.post_queries is None or i < plan.post_queries
            for method in methods if posting else [m for m in methods if m == "get"]:
                url = f"{route.path}?{query}"
                if method == "get":
                    response = client.get(url)
                else:
                    response = client.post(
                        url, query, content_type="application/x-www-form-urlencoded"
                    )
                answered[response.status_code] += 1
                if response.status_code >= 500:
                    failures.append(f"{method} {url[:120]} {_describe(response)}")
    # The walker itself: still signed in at the end, and the views answered, not just refused.
    assert client.get("/").status_code == 200, "the walker was signed out"
    assert answered[200] >= len(routes), f"the walk did not reach the views: {answered}"
    return failures


def _summary(failures: list[str]) -> str:
    """One line per route and error, with the first request that caused it."""
    seen: dict[tuple[str, str, str], str] = {}
    for line in failures:
        method, url, rest = line.split(" ", 2)
        seen.setdefault((method, url.split("?")[0], rest.split(":")[0]), line)
    return f"{len(failures)} answers were 5xx:\n" + "\n".join(seen.values())


@pytest.fixture
def routes(world, settings) -> list[Route]:
    settings.HEALTH_CHECK_TIMEOUT = 0.05  # no worker runs here; /healthz must not wait for one
    return [
        r
        for r in routes_with_ids(url_kwargs(world), admin_object_ids(world))
        if r.view_name not in SKIP
    ]


# Thousands of requests, growing with every URL: past the suite's 300 s on a busy 2-core machine.
@pytest.mark.timeout(1200)
def test_p53_no_app_url_answers_5xx_to_hostile_query_strings_or_form_fields(routes, alice, maria):
    app = [r for r in routes if not r.view_name.startswith("admin:")]
    assert {r.view_name for r in app} >= {"orders:sub-order-cancel", "compliance:profile-group"}
    # The manager reaches every view's deepest path; staff also hit the refusals.
    failures = _walk(_client(maria), app, MANAGER_PLAN) + _walk(_client(alice), app, STAFF_PLAN)
    assert not failures, _summary(failures)


def test_p53_no_admin_url_answers_5xx_to_hostile_query_strings_or_form_fields(routes, maria):
    admin = [r for r in routes if r.view_name.startswith("admin:")]
    assert len(admin) > 100

    failures = _walk(_client(maria), admin, ADMIN_PLAN)
    assert not failures, _summary(failures)


DEEP = b"[" * 100_000 + b"]" * 100_000
HOSTILE_JSON = [
    DEEP,
    b'{"data": ' * 2000 + b"1" + b"}" * 2000,
    b'{"data": {"id": "e1", "payload": {"n": NaN}}}',
    b'{"data": {"id": "e2", "payload": {"n": Infinity}}}',
    b'{"data": {"id": "e3", "payload": {"n": 1e999999}}}',
    b'{"data": {"id": "e4", "payload": {"n": -1e999999}}}',
    b'{"data": {"id": "e5", "payload": {"n": 123456789012345678901234}}}',
    b'{"data": {"id": "e6", "payload": {"n": ' + b"7" * 5000 + b"}}}",
    b'{"data": {"id": "e7", "payload": {"s": "nul\\u0000"}}}',
    b'{"data": {"id": "e8", "payload": {"s": "\\ud800"}}}',
    b'{"data": {"id": "\xff\xfe"}}',
    b'{"data": {"id": ["e10"]}}',
    b'{"data": {"id": "e12", "occurred_at": 1e999}}',
    b"",
    b"null",
    b'"data"',
]
# Odd but harmless: stored, with what cannot be read left empty.
ODD_BUT_FINE = [
    b'\xef\xbb\xbf{"data": {"id": "e9"}}',
    b'{"data": {"id": "e11", "occurred_at": "' + b"9" * 400 + b'"}}',
    b'{"data": {"id": "e13", "occurred_at": "2026-13-45T99:99:99Z", "event_type": 7}}',
]


@pytest.fixture
def signer(settings) -> Signer:
    signer = Signer()
    settings.TELNYX_PUBLIC_KEY = signer.public_key
    return signer


def _post_webhook(body: bytes, headers: dict[str, str]):
    client = Client(raise_request_exception=False)
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    return client.post("/webhooks/telnyx", data=body, content_type="application/json", **extra)


def test_p53_p48_the_webhook_answers_4xx_to_hostile_signed_and_unsigned_bodies(signer):
    from orders.models import WebhookEvent

    failures = []
    for body in HOSTILE_JSON:
        for headers in (signer.headers(body), {}):
            response = _post_webhook(body, headers)
            if not 400 <= response.status_code < 500:
                failures.append(f"{body[:40]!r}: {response.status_code} {_describe(response)}")
    assert not failures, "\n".join(failures)
    assert not WebhookEvent.objects.exists()
    for body in ODD_BUT_FINE:
        response = _post_webhook(body, signer.headers(body))
        assert response.status_code == 200, f"{body[:40]!r}: {_describe(response)}"
    assert WebhookEvent.objects.count() == len(ODD_BUT_FINE)


@pytest.mark.parametrize("digits", [11, 13, 309, 400, 5000])
def test_p53_a_huge_timestamp_header_is_refused_before_the_signature_is_checked(signer, digits):
    body = json.dumps({"data": {"id": "evt"}}).encode()
    headers = signer.headers(body)
    headers["telnyx-timestamp"] = "9" * digits
    response = _post_webhook(body, headers)
    assert response.status_code == 401, _describe(response)


def test_p53_the_admin_never_shows_a_totp_secret_and_an_unknown_device_is_not_a_500(
    maria_client, maria
):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    known = TOTPDevice.objects.get(user=maria).pk
    for pk in (known, known + 1000):
        for page in ("config", "qrcode"):
            url = reverse(f"admin:otp_totp_totpdevice_{page}", args=[pk])
            assert maria_client.get(url).status_code == 403
