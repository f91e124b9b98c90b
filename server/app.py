"""The Starlette application: routes, lifespan, security headers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Match, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket

from server import (
    api,
    floor_api,
    floor_commands,  # noqa: F401  (registers the speakers' list and agenda commands)
    ingest,
    presence,
)
from server.backends import BackendUnavailable, backend_from_url
from server.config import Settings
from server.context import Plenary
from server.limits import HEARTBEAT_INTERVAL_S, ROOM_IDLE_S
from server.metrics import METRICS
from server.ws import websocket_endpoint


def _static_dir() -> Path:
    """The browser pages: static/ in a checkout (and an editable install), server/static in an
    installed package (pyproject.toml ships them there)."""
    package = Path(__file__).resolve().parent
    installed = package / "static"
    return installed if installed.is_dir() else package.parent / "static"


STATIC = _static_dir()

# Pages load only their own scripts and styles; text from anyone is inserted as text, and this
# policy is the second line of defence should that ever fail.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; media-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


class PlenaryApp(Starlette):
    """Starlette, with the websocket endpoint reached directly.

    Every ASGI layer a connection passes through (error and exception middleware, router, route)
    keeps a suspended frame for as long as the connection lives: about 5 KB per viewer, held for
    hours, for layers that do nothing for a websocket once it is open (see docs/performance.md).
    Every other path, and any websocket path that is not the endpoint's, goes through the full
    stack as usual."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            match, child_scope = WEBSOCKET_ROUTE.matches(scope)
            if match is Match.FULL:
                scope["app"] = self
                scope.update(child_scope)
                await websocket_endpoint(WebSocket(scope, receive, send))
                return
        await super().__call__(scope, receive, send)


WEBSOCKET_ROUTE = WebSocketRoute("/ws/{meeting}/{room}", websocket_endpoint)


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                ]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def page(name: str) -> Route:
    async def endpoint(request: Request) -> Response:
        return FileResponse(STATIC / name, headers={"cache-control": "no-cache"})

    return endpoint  # type: ignore[return-value]


async def health(request: Request) -> Response:
    px: Plenary = request.app.state.plenary
    report = await px.backend.health()
    report["rooms"] = len(px.hub.channels)
    report["connections"] = sum(len(c.outboxes) for c in px.hub.channels.values())
    return JSONResponse(report, status_code=200 if report.get("ok") else 503)


async def metrics(request: Request) -> Response:
    return PlainTextResponse(
        generate_latest(METRICS.registry).decode(), media_type=CONTENT_TYPE_LATEST
    )


async def method_not_allowed(request: Request, exc: Exception) -> Response:
    allow: dict[str, str] = getattr(exc, "headers", None) or {}
    if request.url.path.startswith(("/api/caption/", "/api/youtube/")):
        message = "use POST to send captions and GET on …/seq for the last accepted seq"
    else:
        message = f"method {request.method} is not allowed here; use {allow.get('Allow', 'GET')}"
    return PlainTextResponse(message + "\n", status_code=405, headers=allow)


async def backend_unavailable(request: Request, exc: Exception) -> Response:
    """Anything that needed the record while it was unreachable: retryable, never a 500."""
    message = f"the record is unavailable right now; retry shortly ({exc})"
    headers = {"Retry-After": "1"}
    if request.url.path.startswith(("/api/caption/", "/api/youtube/")):
        return PlainTextResponse(message + "\n", status_code=503, headers=headers)
    return JSONResponse({"error": message}, status_code=503, headers=headers)


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    backend = backend_from_url(settings.resolved_backend_url())
    plenary = Plenary(settings, backend)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await backend.start()
        beat = asyncio.create_task(_heartbeats(plenary))
        try:
            yield
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat
            await backend.close()

    routes = [
        Route("/", page("index.html")),
        Route("/healthz", health),
        Route("/metrics", metrics),
        Route("/m/{meeting}/chair", page("chair.html")),
        Route("/m/{meeting}/record", page("record.html")),
        Route("/m/{meeting}/{room}", page("viewer.html")),
        Route("/m/{meeting}/{room}/me", page("participant.html")),
        Route("/m/{meeting}/{room}/caption", page("captioner.html")),
        WEBSOCKET_ROUTE,
        Route("/api/caption/{meeting}/{room}", ingest.zoom_post, methods=["POST"]),
        Route("/api/caption/{meeting}/{room}/seq", ingest.last_seq, methods=["GET"]),
        Route("/api/youtube/{meeting}/{room}", ingest.youtube_post, methods=["POST"]),
        Route("/api/youtube/{meeting}/{room}/seq", ingest.last_seq, methods=["GET"]),
        *floor_api.routes(),
        *api.routes(),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = PlenaryApp(
        routes=routes,
        lifespan=lifespan,
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={405: method_not_allowed, BackendUnavailable: backend_unavailable},
    )
    app.state.plenary = plenary
    return app


async def _heartbeats(plenary: Plenary) -> None:
    while True:
        await asyncio.sleep(HEARTBEAT_INTERVAL_S)
        plenary.hub.heartbeat()
        presence.of(plenary.hub).refresh()
        await plenary.rooms.sweep(ROOM_IDLE_S)
