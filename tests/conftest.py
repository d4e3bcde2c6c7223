"""Shared fixtures: the cast (alice, maria, olga) and the services the suite talks to.

Fixtures live in ``tests/fixtures/`` by subject and are registered here.
"""

pytest_plugins = [
    "tests.fixtures.people",
    "tests.fixtures.celery",
    "tests.fixtures.broker",
    "tests.fixtures.sandbox",
    "tests.fixtures.contract",
    "tests.fixtures.browser",
]
