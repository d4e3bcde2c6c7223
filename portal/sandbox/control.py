"""The test-only control API under ``/_sandbox/`` (same bearer auth as the API).

It moves the clock (running due work before answering), runs due work, reads and overrides
runtime settings, queues one-shot faults, shows recorded requests and webhook deliveries, can
force a number's state for portal tests, and changes the requirements catalogue (a requirement
added to a country and type makes that scope's requirement groups ``no-longer-eligible``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from . import faults, groups, orders, webhooks
from .catalogue import ADDITIONS_KEY, TYPES, additions, current_requirements
from .clock import iso, parse_iso
from .config import public_key_b64

if TYPE_CHECKING:
    from .app import SandboxApp


def reply(status: int, data: Any) -> Response:
    return Response(json.dumps(data), status_code=status, media_type="application/json")


def problem(status: int, detail: str) -> Response:
    return reply(status, {"errors": [{"code": "10015", "title": "Bad Request", "detail": detail}]})


async def _json(request: Request) -> dict[str, Any] | None:
    body = await request.body()
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


async def handle(app: SandboxApp, request: Request) -> Response:
    sb = app.sb
    path = request.url.path.rstrip("/")
    method = request.method
    data = await _json(request) if method in ("POST", "PATCH") else {}
    if data is None:
        return problem(400, "The body must be a JSON object.")

    if path == "/_sandbox/clock":
        if method == "POST":
            seconds = data.get("advance_seconds", 0)
            if not isinstance(seconds, int | float) or seconds < 0:
                return problem(400, "advance_seconds must be a non-negative number")
            sb.clock.advance(float(seconds))
            sb.store.commit()
            await app.run_due()
        return reply(200, {"now": sb.now_iso(), "offset_seconds": sb.clock.offset})
    if path == "/_sandbox/tick" and method == "POST":
        await app.run_due()
        return reply(200, {"now": sb.now_iso()})
    if path == "/_sandbox/config":
        if method == "POST":
            unknown = sb.override_config(data)
            sb.store.commit()
            if unknown:
                return problem(400, f"unknown settings: {', '.join(sorted(unknown))}")
        out = sb.config.as_dict()
        out["public_key"] = public_key_b64(sb.static.signing_seed_b64)
        return reply(200, out)
    if path == "/_sandbox/config/reset" and method == "POST":
        sb.reset_config()
        return reply(200, sb.config.as_dict())
    if path == "/_sandbox/script":
        if method == "POST":
            error = faults.validate_script(data)
            if error:
                return problem(400, error)
            script = {"method": "*", "times": 1, **data}
            script["method"] = str(script["method"]).upper()
            sb.scripts.append(script)
            return reply(200, {"scripts": sb.scripts})
        if method == "DELETE":
            sb.scripts.clear()
        return reply(200, {"scripts": sb.scripts})
    if path == "/_sandbox/requests":
        if method == "DELETE":
            sb.requests.clear()
            return reply(200, {"data": []})
        want_path = request.query_params.get("path")
        want_method = (request.query_params.get("method") or "").upper()
        rows = [
            r
            for r in sb.requests
            if (not want_path or r["path"] == want_path)
            and (not want_method or r["method"] == want_method)
        ]
        return reply(200, {"data": rows})
    if path == "/_sandbox/webhooks":
        return reply(200, {"data": webhooks.delivery_log(sb)})
    if path == "/_sandbox/catalogue":
        return reply(200, {"additions": additions(sb)})
    if path == "/_sandbox/catalogue/reset" and method == "POST":
        sb.store.set_meta(ADDITIONS_KEY, {})
        sb.store.commit()
        return reply(200, {"additions": {}})
    if path == "/_sandbox/catalogue/change" and method == "POST":
        return _change_catalogue(app, data)
    if path.startswith("/_sandbox/numbers/") and method == "POST":
        return _force_number(app, path.rsplit("/", 1)[-1], data)
    return problem(404, f"no control endpoint {method} {path}")


def _force_number(app: SandboxApp, nid: str, data: dict[str, Any]) -> Response:
    """Force fields of a number for portal tests (``requirements_status``, ``deadline``, ...)."""
    sb = app.sb
    n = sb.store.get("number", nid)
    if n is None:
        return problem(404, f"no number order phone number {nid}")
    for name in ("requirements_status", "status"):
        if name in data:
            n[name] = data[name]
    if "requirements_met" in data:
        n["requirements_met"] = bool(data["requirements_met"])
    if "deadline" in data:
        n["deadline"] = parse_iso(data["deadline"]) if data["deadline"] else None
    if "requirement_statuses" in data:  # {requirement_id: status}
        for req in n["reqs"]:
            if req["requirement_id"] in data["requirement_statuses"]:
                req["status"] = data["requirement_statuses"][req["requirement_id"]]
    orders.touch(sb, "number", n)
    if n["status"] in orders.TERMINAL:
        orders.roll_up(sb, n["sub_id"])
    sb.store.commit()
    rendered = orders.render_number(n)
    rendered["deadline"] = iso(n["deadline"])
    return reply(200, {"data": rendered})


def _change_catalogue(app: SandboxApp, data: dict[str, Any]) -> Response:
    """``{"country_code": "CH", "phone_number_type": "local", "requirement_type":
    "business_registration"}``: that type becomes required there (default: the first type
    the scope does not ask for yet)."""
    sb = app.sb
    country = str(data.get("country_code") or "").upper()
    ntype = str(data.get("phone_number_type") or "")
    if len(country) != 2 or not ntype:
        return problem(400, "country_code and phone_number_type are required")
    key = data.get("requirement_type")
    if key is None:
        asked = {t.key for t in current_requirements(sb, country, ntype)}
        key = next((k for k in TYPES if k not in asked and TYPES[k].field_type != "address"), None)
    if key not in TYPES:
        return problem(400, f"requirement_type must be one of {', '.join(sorted(TYPES))}")
    changed = groups.change_catalogue(sb, country, ntype, str(key))
    sb.store.commit()
    return reply(
        200,
        {
            "country_code": country,
            "phone_number_type": ntype,
            "requirement_type_id": TYPES[str(key)].id,
            "requirement_type": key,
            "no_longer_eligible": changed,
        },
    )
