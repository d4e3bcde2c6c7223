"""The ``Sandbox`` object: store, clock, configuration and inventory shared by every handler."""

from __future__ import annotations

import secrets
import uuid
from collections import deque
from typing import Any

from .clock import Clock, iso
from .config import RuntimeConfig, StaticConfig
from .inventory import Inventory
from .store import Store

SANDBOX_USER_ID = "4f0e7d2a-9b8c-4c6e-a1d3-5e7f9a0b1c2d"
USER_EMAIL = "portal@sandbox.example"
ADMIN_EMAIL = "numbers-ops@telnyx.example"


class Sandbox:
    def __init__(self, config: StaticConfig, reset: bool = False) -> None:
        self.static = config
        self.config: RuntimeConfig = config.runtime
        self.store = Store(config.db_path, reset=reset)
        self.clock = Clock(self.store)
        self.inventory = Inventory()
        self.requests: deque[dict[str, Any]] = deque(maxlen=5000)
        self.scripts: list[dict[str, Any]] = []
        saved = self.store.meta.get("config_overrides")
        if saved:
            self.config.update(saved)

    # -- small helpers used everywhere -----------------------------------------------------
    def now(self) -> float:
        return self.clock.now()

    def now_iso(self) -> str:
        return iso(self.now()) or ""

    @staticmethod
    def new_id() -> str:
        return str(uuid.uuid4())

    def new_address_id(self) -> str:
        """Telnyx address ids are 19-digit numeric strings, not UUIDs."""
        return str(1_290_000_000_000_000_000 + secrets.randbelow(9_000_000_000_000_000))

    def reset_config(self) -> None:
        self.config = RuntimeConfig.from_env()
        self.scripts.clear()
        self.store.set_meta("config_overrides", {})
        self.store.commit()

    def override_config(self, values: dict[str, Any]) -> list[str]:
        unknown = self.config.update(values)
        saved = dict(self.store.meta.get("config_overrides") or {})
        saved.update({k: v for k, v in values.items() if k not in unknown})
        self.store.set_meta("config_overrides", saved)
        return unknown

    # -- held numbers: ordered or reserved, hidden from search -----------------------------
    def is_taken(self, phone: str) -> bool:
        return phone in self.store.table("taken")

    def reservation_of(self, phone: str) -> dict[str, Any] | None:
        held = self.store.get("reserved", phone)
        if held and held["until"] > self.now():
            return held
        return None

    def is_available(self, phone: str) -> bool:
        return not self.is_taken(phone) and self.reservation_of(phone) is None
