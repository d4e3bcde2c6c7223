"""Fixtures of the compliance tests: a private vault per test, orders to attach documents to."""

from __future__ import annotations

import itertools
import uuid
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

_counter = itertools.count(1)


@pytest.fixture(autouse=True)
def vault_root(settings, tmp_path) -> Path:
    """Each test stores documents in its own empty directory."""
    root = tmp_path / "vault"
    settings.DOCUMENT_STORAGE_ROOT = root
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "uploads")
    (tmp_path / "uploads").mkdir()
    return root


@pytest.fixture
def upload_file():
    def make(data: bytes, name: str, content_type: str = "application/octet-stream"):
        return SimpleUploadedFile(name, data, content_type=content_type)

    return make


@pytest.fixture
def sub_order(db):
    """A pending DE local sub order with one number needing address, document and textual."""
    from orders.models import NumberOrder, OrderedNumber, SubNumberOrder

    n = next(_counter)
    order = NumberOrder.objects.create(
        telnyx_id=str(uuid.uuid4()), customer_reference=f"test-{uuid.uuid4()}", status="pending"
    )
    requirements = [
        {"requirement_id": str(uuid.UUID(int=1)), "field_type": "address"},
        {"requirement_id": str(uuid.UUID(int=2)), "field_type": "document"},
        {"requirement_id": str(uuid.UUID(int=3)), "field_type": "textual"},
    ]
    sub = SubNumberOrder.objects.create(
        telnyx_id=str(uuid.uuid4()),
        number_order=order,
        country_code="DE",
        phone_number_type="local",
        status="pending",
        regulatory_requirements=requirements,
        phone_numbers_count=1,
    )
    OrderedNumber.objects.create(
        telnyx_id=str(uuid.uuid4()),
        sub_order=sub,
        number_order=order,
        phone_number=f"+4930{n:07d}",
        country_code="DE",
        phone_number_type="local",
        status="pending",
        requirements_status="requirement-info-pending",
        regulatory_requirements=[
            dict(r, has_value=False, status="awaiting-value") for r in requirements
        ],
    )
    return sub


@pytest.fixture
def worker(celery_worker_factory, sandbox, vault_root, settings):
    """A real Celery worker subprocess talking to this test's sandbox and vault."""
    return celery_worker_factory(
        env={
            "TELNYX_API_BASE": sandbox.base_url,
            "TELNYX_API_KEY": sandbox.api_key,
            "TELNYX_PUBLIC_KEY": sandbox.public_key,
            "DOCUMENT_STORAGE_ROOT": str(vault_root),
            "DOCUMENT_ENCRYPTION_KEYS": ",".join(settings.DOCUMENT_ENCRYPTION_KEYS),
        }
    )


@pytest.fixture
def eager_celery():
    """Run published tasks inline (for tests that do not need a real worker)."""
    from portal.celery import app

    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield app
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous


def place_sandbox_order(sandbox, user, country: str = "DE", kind: str = "local", count: int = 1):
    """Order numbers at the sandbox and mirror the order like the orders app does."""
    from orders.models import NumberOrder
    from orders.sync import refresh_order

    numbers = sandbox.search(country, kind, limit=count)
    data = sandbox.order(numbers[:count])
    order = NumberOrder.objects.create(
        telnyx_id=data["id"],
        customer_reference=data["customer_reference"],
        status=data["status"],
        placed_by=user,
    )
    refresh_order(order)
    return order


@pytest.fixture
def de_sub_order(sandbox, alice):
    """A pending DE local sub order at the sandbox (address + document + textual), mirrored."""
    return place_sandbox_order(sandbox, alice).sub_orders.get()
