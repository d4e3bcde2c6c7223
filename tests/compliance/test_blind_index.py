"""The blind index: normalised words, keyed digests, and the backfill of rows saved before it
existed (the migration and ``manage.py reindex_search``) (P51)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from compliance import blind_index
from compliance.models import SearchToken


def test_words_are_normalised_whole_words():
    assert blind_index.words("  Müller-Bau GmbH & Co. KG ") == ["muller", "bau", "gmbh", "co", "kg"]
    assert blind_index.words("STRAßE Ærø") == ["strasse", "ærø"]
    # Full-width letters, initials and repeats.
    assert blind_index.words("\uff2a\uff41\uff4e\uff45  J. Roe roe") == ["jane", "roe"]
    assert blind_index.words("—") == []


def test_only_textual_values_and_address_names_are_searchable():
    values = {
        "a": {"type": "textual", "value": "Jane Roe"},
        "b": {"type": "document", "document": "1234"},
        "c": {"type": "datetime", "value": "1990-01-01"},
        "d": {"type": "address", "address": "addr-1"},
    }
    addresses = {"addr-1": {"business_name": "Acme", "street_address": "Main St 1"}}
    texts = blind_index.value_texts(values, addresses)
    assert "Jane Roe" in texts and "Acme" in texts
    assert not any("Main" in t or "1990" in t or "1234" in t for t in texts)


@pytest.mark.django_db(transaction=True)
def test_the_migration_indexes_rows_saved_before_the_index_existed(alice):
    from tests.orders.factories import SubNumberOrderFactory

    sub = SubNumberOrderFactory()
    executor = MigrationExecutor(connection)
    executor.migrate([("compliance", "0002_append_only_triggers")])
    old = executor.loader.project_state([("compliance", "0002_append_only_triggers")]).apps
    old.get_model("compliance", "Submission").objects.create(
        sub_order_id=sub.pk, values={"r": {"type": "textual", "value": "Grace Hopper"}}
    )
    old.get_model("compliance", "ComplianceProfile").objects.create(name="Hopper Labs", values={})
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([("compliance", "0003_search_tokens")])
    digest = blind_index.digest("hopper")
    assert SearchToken.objects.filter(digest=digest, submission__isnull=False).count() == 1
    assert SearchToken.objects.filter(digest=digest, profile__isnull=False).count() == 1
    # Then migrate to the latest again (whatever follows 0003 on this branch).
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db
def test_reindex_search_rebuilds_the_index(alice, settings, capsys):
    from compliance.models import ComplianceProfile

    ComplianceProfile.objects.create(name="Hopper Labs", values={})
    SearchToken.objects.all().delete()
    call_command("reindex_search")
    assert "Indexed 1 " in capsys.readouterr().out
    assert SearchToken.objects.filter(digest=blind_index.digest("labs")).count() == 1
    call_command("reindex_search")  # twice changes nothing
    assert SearchToken.objects.count() == 2
