"""The ASGI application: auth, recording, rate limits, faults, routing and background work.

One process, one event loop. Handlers are synchronous functions over in-memory state, so each
request is atomic; a background task runs due work (provisioning, vetting, deadlines, expiries,
webhook deliveries) every quarter second against the sandbox clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import Response

from . import (  # noqa: F401  (handler modules register their routes on import)
    catalogue_api,
    comments,
    control,
    documents,
    faults,
    groups,
    order_api,
    resources,
    search,
    vetting,
    webhooks,
)
from .errors import ApiError, envelope, error
from .routing import Call, Raw, resolve
from .state import Sandbox

log = logging.getLogger("portal.sandbox")
TICK_SECONDS = 0.25
REDACTED_PATHS = ("/v2/documents",)
SCRIPT_CODES = {401: "10009", 403: "10010", 404: "10005", 422: "10015", 429: "10011"}


class Dropped(Exception):
    """Raised after the response head is sent, so the server closes the connection mid-answer."""


class _QuietDrops(logging.Filter):
    """Scripted drops are intended: keep them out of the server's error log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], Dropped))


logging.getLogger("uvicorn.error").addFilter(_QuietDrops())


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(payload, separators=(",", ":")),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


class SandboxApp:
    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self.limiter = faults.RateLimiter()
        self.lock = asyncio.Lock()
        self.http: httpx.AsyncClient | None = None
        self.task: asyncio.Task[None] | None = None

    # -- ASGI entry --------------------------------------------------------------------------
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        path = scope["path"]
        if not self.authorized(request):
            _allowed, rate_headers = self.limiter.hit(self.sb.config.rate_limit)
            response = json_response(
                401,
                envelope(
                    [
                        error(
                            "10009",
                            "Could not understand the provided credentials.",
                            title="Authentication failed",
                        )
                    ]
                ),
                rate_headers if path.startswith("/v2") else None,
            )
            if path.startswith("/v2"):
                self.record(request, path, await request.body())
        elif path.startswith("/_sandbox"):
            response = await control.handle(self, request)
        elif path.startswith("/v2"):
            result = await self.api(request, path)
            if isinstance(result, Dropped):
                await send(
                    {
                        "type": "http.response.start",
                        "status": 200,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", b"4096"),
                        ],
                    }
                )
                raise result
            response = result
        else:
            response = json_response(404, envelope([error("10005", f"No route {path}.")]))
        await response(scope, receive, send)

    def authorized(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        return scheme.lower() == "bearer" and token.strip() in self.sb.static.api_keys

    def record(self, request: Request, path: str, body: bytes) -> None:
        headers = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
        if path.startswith(REDACTED_PATHS) and request.method == "POST":
            text = f"<document upload, {len(body)} bytes>"
        else:
            text = body.decode("utf-8", "replace")
        self.sb.requests.append(
            {
                "method": request.method,
                "path": path,
                "query": request.url.query,
                "headers": headers,
                "body": text,
                "at": self.sb.now_iso(),
            }
        )

    # -- the API pipeline --------------------------------------------------------------------
    async def api(self, request: Request, path: str) -> Response | Dropped:
        sb = self.sb
        method = request.method
        body = await request.body()
        self.record(request, path, body)
        allowed, rate_headers = self.limiter.hit(sb.config.rate_limit)
        if not allowed:
            return json_response(
                429,
                envelope(
                    [
                        error(
                            "10011",
                            "Too many requests; slow down and retry after the reset.",
                            title="Too many requests",
                        )
                    ]
                ),
                rate_headers,
            )
        script = faults.take_script(sb.scripts, method, path) or {}
        action = script.get("action")
        if action == "status":
            return self._scripted_status(script, rate_headers)
        if action == "hold":
            await asyncio.sleep(float(script.get("seconds", 5)))
        if action == "drop_before_commit":
            return Dropped()
        if sb.config.fault_rate and random.random() < sb.config.fault_rate:
            status = random.choice((500, 503))
            code, title = (
                ("10007", "Unexpected error") if status == 500 else ("10007", "Service unavailable")
            )
            return json_response(
                status,
                envelope([error(code, "Injected fault (SANDBOX_FAULT_RATE).", title=title)]),
                rate_headers,
            )
        if sb.config.latency_ms:
            await asyncio.sleep(sb.config.latency_ms / 1000)
        response = self.dispatch(method, path, request.url.query, request, body, rate_headers)
        if action == "delay_after_commit":
            await asyncio.sleep(float(script.get("seconds", 5)))
        elif action == "drop_after_commit":
            return Dropped()
        elif action == "status_after_commit":
            return self._scripted_status(script, rate_headers)
        return response

    def _scripted_status(self, script: dict[str, Any], rate_headers: dict[str, str]) -> Response:
        status = script["status"]
        payload = script.get("body") or envelope(
            [
                error(
                    SCRIPT_CODES.get(status, "10007" if status >= 500 else "10015"),
                    f"Scripted failure ({status}).",
                )
            ]
        )
        return json_response(status, payload, {**rate_headers, **(script.get("headers") or {})})

    def dispatch(
        self,
        method: str,
        path: str,
        query: str,
        request: Request,
        body: bytes,
        rate_headers: dict[str, str],
    ) -> Response:
        from .query import Query

        sb = self.sb
        try:
            found = resolve(method, path)
            if found is None:
                raise ApiError(404, [error("10005", f"No route {method} {path}.")])
            handler, params = found
            call = Call(
                method,
                path,
                params,
                Query(query),
                {k.lower(): v for k, v in request.headers.items()},
                body,
            )
            result = handler(sb, call)
        except ApiError as exc:
            sb.store.commit()
            return json_response(exc.status, envelope(exc.errors), rate_headers)
        except Exception:
            log.exception("sandbox handler failed: %s %s", method, path)
            sb.store.commit()
            return json_response(
                500, envelope([error("10007", "An unexpected error occurred.")]), rate_headers
            )
        sb.store.commit()
        if isinstance(result, Raw):
            return Response(
                result.content,
                status_code=result.status,
                media_type=result.content_type,
                headers={**rate_headers, **result.headers},
            )
        status, payload = result
        return json_response(status, payload, rate_headers)

    # -- background work ---------------------------------------------------------------------
    async def run_due(self) -> None:
        """Run everything that is due on the sandbox clock, then deliver due webhooks."""
        async with self.lock:
            try:
                vetting.run_due(self.sb)
                resources.run_due(self.sb)
                documents.run_due(self.sb)
            except Exception:
                log.exception("sandbox background work failed")
            self.sb.store.commit()
            if self.http is not None:
                try:
                    await webhooks.deliver_due(self.sb, self.http)
                except Exception:
                    log.exception("sandbox webhook delivery failed")

    async def loop(self) -> None:
        while True:
            await asyncio.sleep(TICK_SECONDS)
            await self.run_due()

    async def lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.http = httpx.AsyncClient(timeout=5.0)
                self.task = asyncio.create_task(self.loop())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.task:
                    self.task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await self.task
                if self.http:
                    await self.http.aclose()
                self.sb.store.close()
                await send({"type": "lifespan.shutdown.complete"})
                return
