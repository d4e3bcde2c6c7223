"""P41/P36: personal values stay out of logs, task payloads and URLs; htmx writes need CSRF."""

from __future__ import annotations

import base64
import json
import logging

import pytest
import redis
from django.conf import settings
from django.test import Client
from django.urls import reverse

from compliance.models import Submission, SubmissionPolicy
from tests.compliance import samples
from tests.compliance.helpers import form_data, submit, upload
from tests.fixtures.people import signed_in_client

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

CANARIES = ("CANARYNAME4711", "CANARYSTREET 9", "CANARYFILE")


def test_p41_no_personal_value_reaches_logs_task_payloads_or_urls(
    sandbox, de_sub_order, alice_client, caplog, django_capture_on_commit_callbacks
):
    SubmissionPolicy.objects.update_or_create(pk=1, defaults={"four_eyes_required": False})
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    queue = settings.CELERY_QUEUES["submissions"]
    broker.delete(queue)
    pdf = samples.pdf(text_marker="CANARYPASSPORT")
    caplog.set_level(logging.DEBUG)
    document_id = upload(alice_client, de_sub_order, pdf, name="CANARYFILE-passport.pdf")
    data = form_data(
        de_sub_order, document_id, name="CANARYNAME4711", street_address="CANARYSTREET 9"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(alice_client, de_sub_order, data)
    assert response.status_code == 302
    try:
        messages = broker.lrange(queue, 0, -1)
        assert messages, "the submission chain was not published"
        raw = b"".join(messages)
        submission = Submission.objects.get()
        for canary in (*CANARIES, "CANARYPASSPORT"):
            assert canary.encode() not in raw
            assert base64.b64encode(canary.encode())[:12] not in raw
        envelope = json.loads(messages[0])
        args, kwargs, _embed = json.loads(base64.b64decode(envelope["body"]))
        assert args == [submission.pk]
        assert kwargs == {}
    finally:
        broker.delete(queue)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for canary in CANARIES:
        assert canary not in logged
    assert response["Location"].count("CANARY") == 0


def test_p36_htmx_writes_without_a_csrf_token_are_refused(de_sub_order, alice):
    client = signed_in_client(alice, enforce_csrf_checks=True)
    urls = [
        reverse("compliance:requirement-form", args=[de_sub_order.public_id]),
        reverse("compliance:comments", args=[de_sub_order.public_id]),
        reverse("compliance:request-extension", args=[de_sub_order.public_id]),
        reverse("compliance:document-upload"),
    ]
    for url in urls:
        response = client.post(url, {"action": "draft"}, headers={"HX-Request": "true"})
        assert response.status_code == 403, url


def test_p36_with_the_token_the_same_write_passes(de_sub_order, alice):
    client: Client = signed_in_client(alice, enforce_csrf_checks=True)
    url = reverse("compliance:requirement-form", args=[de_sub_order.public_id])
    page = client.get(url)
    token = page.cookies["csrftoken"].value
    response = client.post(
        url, {"action": "draft"}, headers={"HX-Request": "true", "X-CSRFToken": token}
    )
    assert response.status_code == 200
    assert response["HX-Redirect"]
