"""Fixtures: a backend, an in-process server on a free port, a meeting with its keys."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from server.backends import Backend, backend_from_url
from server.config import Settings
from server.domain.meetings import Meeting
from server.ops.serving import uvicorn_config
from server.services import admin
from server.web.app import create_app
from tests.redis_support import RedisServer
from tests.support import free_port

# Every test that takes a backend runs on both; the Redis run carries the redis mark, so that
# `pytest -m "not redis"` runs without redis-server.
# Property tests on a busy 2-core CI machine: no per-example deadline (a slow example is not a
# wrong one), the same examples on every run.
hypothesis_settings.register_profile(
    "plenary", deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("plenary")

BACKENDS = ["embedded", pytest.param("redis", marks=pytest.mark.redis)]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that starts or uses a real redis-server is marked so, whichever way it gets one."""
    for item in items:
        if "redis_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.redis)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One real redis-server for the session; each test gets its own key prefix."""
    server = RedisServer(tmp_path_factory.mktemp("redis"), appendonly=True).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=BACKENDS)
def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "embedded":
        return f"sqlite:///{tmp_path / 'record.db'}"
    if request.param == "redis":
        server: RedisServer = request.getfixturevalue("redis_server")
        return server.url()
    raise AssertionError(request.param)


@pytest.fixture
async def backend(backend_url: str) -> AsyncIterator[Backend]:
    b = backend_from_url(backend_url)
    await b.start()
    try:
        yield b
    finally:
        await b.close()


@dataclass
class LiveServer:
    base: str
    base_ws: str
    settings: Settings
    meeting: Meeting
    keys: dict[str, str]
    app: object

    @property
    def plenary(self):  # type: ignore[no-untyped-def]
        return self.app.state.plenary  # type: ignore[attr-defined]

    def captioner_key(self, room: str = "plenary") -> str:
        return self.keys[f"captioner:{room}"]


async def _serve(settings: Settings) -> AsyncIterator[tuple[object, uvicorn.Server]]:
    app = create_app(settings)
    config = uvicorn_config(app, "127.0.0.1", settings.port, log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield app, server
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)


@pytest.fixture
async def live(backend_url: str, tmp_path: Path) -> AsyncIterator[LiveServer]:
    """A server in this event loop on a free port, with one meeting: rooms Plenary and Break-out
    A."""
    port = free_port()
    settings = Settings(
        host="127.0.0.1", port=port, data_dir=tmp_path / "data", backend_url=backend_url
    )
    async for app, _ in _serve(settings):
        plenary = app.state.plenary  # type: ignore[attr-defined]
        meeting, keys = await admin.create_meeting(
            plenary.backend, "WGEC test meeting", ["Plenary", "Break-out A"]
        )
        yield LiveServer(
            f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}", settings, meeting, keys, app
        )
