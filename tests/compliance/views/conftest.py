"""Fixtures of the compliance view tests."""

from __future__ import annotations

import pytest

from compliance.models import SubmissionPolicy
from orders.sync import refresh_sub_order
from tests.compliance.helpers import form_data, submit, upload


@pytest.fixture
def declined_sub_order(
    sandbox, de_sub_order, alice_client, eager_celery, django_capture_on_commit_callbacks
):
    SubmissionPolicy.objects.update_or_create(pk=1, defaults={"four_eyes_required": False})
    document_id = upload(alice_client, de_sub_order)
    with django_capture_on_commit_callbacks(execute=True):
        submit(alice_client, de_sub_order, form_data(de_sub_order, document_id, name="REJECT Co"))
    sandbox.advance(5)
    refresh_sub_order(de_sub_order)
    assert de_sub_order.comments.filter(commenter_type="admin", read_at__isnull=True).exists()
    sandbox.clear_requests()
    return de_sub_order
