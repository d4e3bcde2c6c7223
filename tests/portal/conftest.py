"""Fixtures of the URL-walk tests: staff B, and a world of real objects owned by staff A."""

from __future__ import annotations

import pytest

from portal.roles import STAFF
from tests.fixtures.people import make_person
from tests.portal.world import World, build_world


@pytest.fixture
def bob(db):
    """Compliance staff like alice, owning nothing of hers."""
    return make_person("bob", STAFF)


@pytest.fixture
def world(sandbox, settings, tmp_path, alice, bob) -> World:
    settings.DOCUMENT_STORAGE_ROOT = tmp_path / "vault"
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    return build_world(sandbox, alice, bob)
