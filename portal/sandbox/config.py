"""Runtime settings of the sandbox: environment defaults plus overrides set through the control API.

The sandbox reads the environment itself (not Django settings) so that it stays independent of
the portal it emulates Telnyx for.
"""

from __future__ import annotations

import base64
import os
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

DEFAULT_API_KEY = "KEYSANDBOX_LOCAL_DEVELOPMENT"
# A fixed development seed, so that a portal started without configuration verifies webhooks.
DEFAULT_SIGNING_SEED = base64.b64encode(b"telnyx-sandbox-dev-signing-seed!").decode()


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    return float(raw) if raw else default


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    return raw in {"1", "true", "yes", "on"}


@dataclass
class RuntimeConfig:
    """Settings a test may override at runtime with ``POST /_sandbox/config``."""

    vetting_seconds: float = 20.0
    deadline_hours: float = 72.0
    webhook_url: str | None = None
    webhook_duplicates: bool = False
    rate_limit: float = 0.0
    fault_rate: float = 0.0
    latency_ms: float = 0.0
    provision_seconds: float = 3.0
    report_seconds: float = 1.0
    webhook_max_attempts: int = 6
    webhook_backoff_seconds: float = 5.0
    # How long an approved requirement-group value stays valid (then the group is ``expired``).
    group_validity_days: float = 365.0

    @classmethod
    def from_env(cls) -> RuntimeConfig:
        return cls(
            vetting_seconds=_env_float("SANDBOX_VETTING_SECONDS", 20.0),
            deadline_hours=_env_float("SANDBOX_DEADLINE_HOURS", 72.0),
            webhook_url=os.environ.get("SANDBOX_WEBHOOK_URL") or None,
            webhook_duplicates=_env_bool("SANDBOX_WEBHOOK_DUPLICATES", False),
            rate_limit=_env_float("SANDBOX_RATE_LIMIT", 0.0),
            fault_rate=_env_float("SANDBOX_FAULT_RATE", 0.0),
            latency_ms=_env_float("SANDBOX_LATENCY_MS", 0.0),
            provision_seconds=_env_float("SANDBOX_PROVISION_SECONDS", 3.0),
        )

    def update(self, values: dict[str, Any]) -> list[str]:
        """Apply overrides; returns the names that are not settings (the caller reports them)."""
        known = {f.name: f for f in fields(self)}
        unknown = [name for name in values if name not in known]
        for name, value in values.items():
            if name not in known:
                continue
            current = getattr(self, name)
            if name == "webhook_url":
                setattr(self, name, value or None)
            elif isinstance(current, bool):
                setattr(self, name, value in (True, "true", "1", 1, "yes", "on"))
            elif isinstance(current, int):
                setattr(self, name, int(value))
            else:
                setattr(self, name, float(value))
        return unknown

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class StaticConfig:
    """Settings fixed for the life of the process."""

    db_path: str = "var/sandbox.sqlite3"
    api_keys: tuple[str, ...] = (DEFAULT_API_KEY,)
    signing_seed_b64: str = DEFAULT_SIGNING_SEED
    runtime: RuntimeConfig = field(default_factory=RuntimeConfig.from_env)

    @classmethod
    def from_env(cls, db_path: str | None = None) -> StaticConfig:
        keys = tuple(
            k.strip()
            for k in os.environ.get("SANDBOX_API_KEYS", DEFAULT_API_KEY).split(",")
            if k.strip()
        )
        return cls(
            db_path=db_path or os.environ.get("SANDBOX_DB") or "var/sandbox.sqlite3",
            api_keys=keys or (DEFAULT_API_KEY,),
            signing_seed_b64=os.environ.get("SANDBOX_SIGNING_KEY") or DEFAULT_SIGNING_SEED,
        )


def signing_key(seed_b64: str) -> Ed25519PrivateKey:
    """The Ed25519 private key from a base64 32-byte seed (as in ``SANDBOX_SIGNING_KEY``)."""
    seed = base64.b64decode(seed_b64)
    if len(seed) != 32:
        raise ValueError("SANDBOX_SIGNING_KEY must be base64 of exactly 32 bytes")
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key_b64(seed_b64: str) -> str:
    """Base64 of the raw 32-byte public key: what the portal needs in ``TELNYX_PUBLIC_KEY``."""
    raw = signing_key(seed_b64).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode()
