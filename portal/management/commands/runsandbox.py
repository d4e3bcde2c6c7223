"""``manage.py runsandbox``: serve the Telnyx sandbox on ``http://HOST:PORT/v2``.

The sandbox is a development and test tool (its server comes with the ``dev`` extra). With
``DJANGO_DEBUG=false`` it refuses to serve unless told explicitly (``--allow-production`` or
``SANDBOX_ALLOW_PRODUCTION=true``), e.g. for a training instance or ``make prod-check``: a
production portal must never be pointed at a fake Telnyx by accident.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.error
import urllib.request
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Run the Telnyx sandbox (a stateful emulator of the ordering and regulatory API)."
    requires_system_checks: list[str] = []  # the sandbox does not use the portal's database

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("SANDBOX_PORT", 8100)))
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--db", default=None, help="SQLite state file (default SANDBOX_DB)")
        parser.add_argument("--reset", action="store_true", help="start with empty state")
        parser.add_argument(
            "--advance",
            default=None,
            help="move the sandbox clock forward (e.g. 73h, 30m, 90s) and, if a "
            "sandbox is already running on HOST:PORT, only do that",
        )
        parser.add_argument(
            "--print-public-key",
            action="store_true",
            help="print the webhook public key for TELNYX_PUBLIC_KEY and exit",
        )
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="serve even with DJANGO_DEBUG=false (a training instance; also "
            "SANDBOX_ALLOW_PRODUCTION=true)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from portal.sandbox.clock import parse_duration
        from portal.sandbox.config import StaticConfig, public_key_b64

        config = StaticConfig.from_env(db_path=options["db"])
        if options["print_public_key"]:
            self.stdout.write(public_key_b64(config.signing_seed_b64))
            return
        advance = parse_duration(options["advance"]) if options["advance"] else None
        if advance is not None and self._advance_running(options, config, advance):
            return
        self._refuse_in_production(options)

        try:
            import uvicorn
        except ImportError as exc:  # a production install (requirements-prod.lock) has no server
            raise CommandError(
                "the sandbox needs the development extra: pip install -r requirements.lock"
            ) from exc

        from portal.sandbox.app import SandboxApp
        from portal.sandbox.state import Sandbox

        sandbox = Sandbox(config, reset=options["reset"])
        if advance is not None:
            sandbox.clock.advance(advance)
            sandbox.store.commit()
        logging.getLogger("portal.sandbox").setLevel(logging.INFO)
        self.stdout.write(
            f"Telnyx sandbox on http://{options['host']}:{options['port']}/v2 "
            f"(state {config.db_path}; webhook public key "
            f"{public_key_b64(config.signing_seed_b64)})"
        )
        self.stdout.flush()
        uvicorn.run(
            SandboxApp(sandbox),
            host=options["host"],
            port=options["port"],
            log_level=os.environ.get("SANDBOX_LOG_LEVEL", "warning"),
            access_log=False,
            lifespan="on",
            workers=1,  # one process owns the state; uvicorn would read WEB_CONCURRENCY otherwise
        )

    def _refuse_in_production(self, options: dict[str, Any]) -> None:
        from django.conf import settings

        if settings.DEBUG or settings.TESTING or options["allow_production"]:
            return
        if os.environ.get("SANDBOX_ALLOW_PRODUCTION", "").strip().lower() in {"1", "true", "yes"}:
            return
        raise CommandError(
            "refusing to run the Telnyx sandbox with DJANGO_DEBUG=false: it is a fake Telnyx "
            "for development and tests. For a training instance pass --allow-production "
            "(or set SANDBOX_ALLOW_PRODUCTION=true)."
        )

    def _advance_running(self, options: dict[str, Any], config: Any, seconds: float) -> bool:
        """Advance a running sandbox through its control API; ``False`` when none answers."""
        url = f"http://{options['host']}:{options['port']}/_sandbox/clock"
        request = urllib.request.Request(
            url,
            data=json.dumps({"advance_seconds": seconds}).encode(),
            headers={
                "Authorization": f"Bearer {config.api_keys[0]}",
                "Content-Type": "application/json",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                now = json.loads(response.read())["now"]
        except (urllib.error.URLError, ConnectionError):
            return False
        except Exception as exc:
            raise CommandError(f"could not advance the running sandbox: {exc}") from exc
        self.stdout.write(f"Sandbox clock advanced by {seconds:g}s; it is now {now}.")
        return True
