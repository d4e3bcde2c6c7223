"""The Telnyx sandbox: a stateful emulator of the number-ordering and regulatory API.

Nothing in the portal can reach Telnyx in development or tests, so this package plays Telnyx:
it serves the 55 operations of ``openapi.yml`` under ``/v2`` with its own SQLite state, its
own clock and the rules of the ordering guide. It is started by ``manage.py runsandbox`` and
imports nothing from the portal's apps.

Environment (read here, not from Django settings, to stay independent):
``SANDBOX_DB`` (``var/sandbox.sqlite3``), ``SANDBOX_API_KEYS`` (``KEYSANDBOX_LOCAL_DEVELOPMENT``),
``SANDBOX_VETTING_SECONDS`` (20), ``SANDBOX_DEADLINE_HOURS`` (72), ``SANDBOX_PROVISION_SECONDS``
(3: numbers without requirements complete by themselves), ``SANDBOX_WEBHOOK_URL``,
``SANDBOX_SIGNING_KEY`` (base64 32-byte Ed25519 seed; a fixed dev default),
``SANDBOX_WEBHOOK_DUPLICATES``, ``SANDBOX_RATE_LIMIT`` (req/s, 0 = off), ``SANDBOX_FAULT_RATE``
(0..1), ``SANDBOX_LATENCY_MS``.

Modules: ``app`` (ASGI pipeline and background loop), ``routing``, ``query`` (filters, pages),
``errors``, ``store`` (SQLite write-through), ``clock``, ``config``, ``inventory`` and
``search``, ``orders``/``order_api`` (orders, sub orders, numbers), ``vetting`` (values,
review, deadlines), ``catalogue``/``catalogue_api``, ``groups``, ``comments``, ``documents``,
``resources`` (addresses, reservations, blocks, bulk, reports), ``webhooks``, ``faults`` and
``control`` (the test-only ``/_sandbox/`` API).
"""
