"""The Starlette application: the one routing table, the lifespan, security headers, errors."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Match, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket

from server.backends import BackendUnavailable, backend_from_url
from server.config import Settings
from server.limits import HEARTBEAT_INTERVAL_S, ROOM_IDLE_S
from server.metrics import METRICS
from server.services import address
from server.web import (
    chair_api,
    corrections_api,
    documents_api,
    ingest,
    meeting_api,
    problems,
    record_api,
)
from server.web.context import Plenary
from server.web.problems import Problem
from server.web.ws import websocket_endpoint

log = logging.getLogger("plenary.app")


def _static_dir() -> Path:
    """The browser pages: static/ in a checkout (and an editable install), server/static in an
    installed package (pyproject.toml ships them there)."""
    package = Path(__file__).resolve().parent.parent
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

WEBSOCKET_ROUTE = WebSocketRoute("/ws/{meeting}/{room}", websocket_endpoint)


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


def page(name: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return FileResponse(STATIC / name, headers={"cache-control": "no-cache"})

    return endpoint


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


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (no route, wrong method) in the same shape as ours."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        allow = (exc.headers or {}).get("Allow", "GET")
        if request.url.path.startswith(problems.PLAIN_TEXT_PATHS):
            message = "use POST to send captions and GET on …/seq for the last accepted seq"
        else:
            message = f"method {request.method} is not allowed here; use {allow}"
        response = problems.respond(request, Problem(405, "method_not_allowed", message))
        response.headers["Allow"] = allow
        return response
    return problems.respond(request, Problem(exc.status_code, "not_found", str(exc.detail)))


def routes() -> list[BaseRoute]:
    """Every path the server answers, in the order they are matched."""
    get, post = ["GET"], ["POST"]
    return [
        Route("/", page("index.html")),
        Route("/healthz", health),
        Route("/metrics", metrics),
        Mount(
            "/m/{meeting}",
            routes=[
                Route("/chair", page("chair.html")),
                Route("/record", page("record.html")),
                Route("/{room}", page("viewer.html")),
                Route("/{room}/me", page("participant.html")),
                Route("/{room}/caption", page("captioner.html")),
                Route("/{room}/screen", page("screen.html")),
            ],
        ),
        WEBSOCKET_ROUTE,
        # Caption software: Zoom's third-party API and YouTube's HTTP format.
        Route("/api/caption/{meeting}/{room}", ingest.zoom_post, methods=post),
        Route("/api/caption/{meeting}/{room}/seq", ingest.last_seq, methods=get),
        Route("/api/youtube/{meeting}/{room}", ingest.youtube_post, methods=post),
        Route("/api/youtube/{meeting}/{room}/seq", ingest.last_seq, methods=get),
        Route("/api/vocabulary.json", meeting_api.vocabulary, methods=get),
        Route("/api/m/{meeting}", meeting_api.meeting_info, methods=get),
        Mount(
            "/api/m/{meeting}",
            routes=[
                # The meeting's own resources; their names are reserved room ids
                # (server/domain/meetings.py RESERVED_ROOM_IDS), so they come first.
                Route("/transcript.{fmt}", record_api.meeting_transcript, methods=get),
                Route("/record/search", record_api.search, methods=get),
                Route("/record/facets", record_api.facets, methods=get),
                Route("/record/charts", record_api.charts, methods=get),
                Route("/record/{name}.{fmt}", record_api.report, methods=get),
                Route("/participants", chair_api.list_participants, methods=get),
                Route("/participants", chair_api.add_participants, methods=post),
                Route("/participants/{participant}/link", chair_api.new_link, methods=post),
                Route("/me", chair_api.me, methods=get),
                Route("/agenda", chair_api.get_agenda, methods=get),
                Route("/rooms", chair_api.open_group, methods=post),
                Route("/links", documents_api.new_link, methods=post),
                Route("/documents", documents_api.list_documents, methods=get),
                Route("/documents", documents_api.create_document, methods=post),
                Route("/documents/{doc:int}.{fmt}", documents_api.export_document, methods=get),
                Route("/files", documents_api.upload_file, methods=post),
                Route("/files/{file}", documents_api.download_file, methods=get),
                Route("/files/{file}", documents_api.remove_file, methods=["DELETE"]),
                # A room's.
                Route("/{room}/floor", chair_api.get_floor, methods=get),
                Route("/{room}/lines", corrections_api.room_lines, methods=get),
                Route("/{room}/lines/{seq:int}/text", corrections_api.correct_line, methods=post),
                Route(
                    "/{room}/lines/{seq:int}/attribution",
                    corrections_api.reattribute,
                    methods=post,
                ),
                Route("/{room}/interventions", corrections_api.room_interventions, methods=get),
                Route(
                    "/{room}/interventions/{intervention:int}/times",
                    corrections_api.correct_times,
                    methods=post,
                ),
                Route("/{room}/documents", documents_api.room_documents, methods=get),
                Route("/{room}/transcript.{fmt}", meeting_api.transcript, methods=get),
                Route("/{room}/report", chair_api.report_group, methods=post),
                Route("/{room}/channels", chair_api.add_channel, methods=post),
                Route("/{room}/stations", chair_api.list_stations, methods=get),
                Route("/{room}/stations", chair_api.add_station, methods=post),
                Route("/{room}/stations/{station}/revoke", chair_api.revoke_station, methods=post),
                Route("/{room}/open", meeting_api.open_room, methods=post),
                Route("/{room}/close", meeting_api.close_room, methods=post),
            ],
        ),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    backend = backend_from_url(settings.resolved_backend_url(), settings.data_dir)
    plenary = Plenary(settings, backend)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await backend.start()
        # Where this server is reached, for the links the command line prints. A record that
        # cannot be written (Redis lost it) must not stop the server: /healthz says why.
        try:
            await address.remember(backend, settings.base_url())
        except BackendUnavailable as exc:
            log.warning("could not record this server's address: %s", exc)
        beat = asyncio.create_task(_heartbeats(plenary), name="plenary-heartbeats")
        try:
            yield
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat
            await plenary.rooms.close()
            await backend.close()

    handlers: dict[type[Exception] | int, Callable[[Request, Exception], Awaitable[Response]]]
    handlers = {exc: problems.handle for exc in problems.HANDLED}
    handlers[HTTPException] = http_error
    app = PlenaryApp(
        routes=routes(),
        lifespan=lifespan,
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers=handlers,
    )
    app.state.plenary = plenary
    return app


async def _heartbeats(plenary: Plenary) -> None:
    """Every few seconds: the heartbeat frames, presence, letting idle rooms go. A failure in
    one round is logged and the next round runs: heartbeats must never stop."""
    while True:
        await asyncio.sleep(HEARTBEAT_INTERVAL_S)
        try:
            plenary.hub.heartbeat()
            plenary.presence.refresh()
            await plenary.rooms.sweep(ROOM_IDLE_S)
        except Exception:
            log.exception("a heartbeat round failed; the next one runs as usual")
