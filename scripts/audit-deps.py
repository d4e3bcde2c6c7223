"""Check the pinned dependencies in requirements.lock against the OSV advisory database (P47).

Prints one verdict line and exits:
  0  "dependency audit: PASS"     - OSV answered and lists no advisory for any pin;
  1  "dependency audit: FAIL"     - advisories found (each printed), or an unreadable answer;
  0  "dependency audit: NOT RUN"  - OSV cannot be reached from this machine. That is reported
     as what it is, never as a pass; set AUDIT_REQUIRED=1 to make it fail the build instead.

Standard library only, so it runs before (and without) the project's own environment.
"""

from __future__ import annotations

import json
import os
import re
import sys
import urllib.error
import urllib.request
from pathlib import Path

OSV_URL = os.environ.get("OSV_URL", "https://api.osv.dev/v1/querybatch")
LOCK = Path(__file__).resolve().parents[1] / "requirements.lock"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)


def pins(text: str) -> list[tuple[str, str]]:
    return [(name.lower(), version) for name, version in PIN.findall(text)]


def query(batch: list[tuple[str, str]], timeout: float) -> list[list[str]]:
    body = {
        "queries": [
            {"package": {"name": name, "ecosystem": "PyPI"}, "version": version}
            for name, version in batch
        ]
    }
    request = urllib.request.Request(  # noqa: S310 - fixed https URL (or the operator's)
        OSV_URL, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        answer = json.load(response)
    results = answer["results"]
    if len(results) != len(batch):
        raise ValueError("OSV answered for a different number of packages")
    return [[v["id"] for v in result.get("vulns", [])] for result in results]


def main() -> int:
    pinned = pins(LOCK.read_text())
    if not pinned:
        print("dependency audit: FAIL (requirements.lock pins nothing)")
        return 1
    timeout = float(os.environ.get("AUDIT_TIMEOUT", "5"))
    try:
        found = query(pinned, timeout)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        print(f"dependency audit: NOT RUN ({len(pinned)} pins; OSV unreachable: {exc})")
        return 1 if os.environ.get("AUDIT_REQUIRED") == "1" else 0
    except (ValueError, KeyError, TypeError) as exc:
        print(f"dependency audit: FAIL (unreadable answer from OSV: {exc})")
        return 1
    flagged = [(p, ids) for p, ids in zip(pinned, found, strict=True) if ids]
    for (name, version), ids in flagged:
        print(f"  {name}=={version}: {', '.join(ids)}")
    if flagged:
        print(f"dependency audit: FAIL ({len(flagged)} of {len(pinned)} pins have advisories)")
        return 1
    print(f"dependency audit: PASS ({len(pinned)} pins, no advisory)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
