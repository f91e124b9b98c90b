"""Backends: where a room's log is kept and how its events reach every server process.

Picked by URL, like ``broadcaster``: ``sqlite:///path/to/plenary.db`` (or ``memory://``) for the
embedded backend, ``redis://host:port/db`` for Redis. Backends are imported lazily so the embedded
default needs nothing but the standard library.
"""

from __future__ import annotations

from pathlib import Path

from server.backends.base import Backend, BackendUnavailable, Conflict

__all__ = ["Backend", "BackendUnavailable", "Conflict", "backend_from_url"]


def backend_from_url(url: str, state_dir: Path | None = None) -> Backend:
    """``state_dir``: where a server process keeps what it must remember of a shared record
    (the Redis record's marker; the embedded backend keeps everything in its file)."""
    scheme = url.split("://", 1)[0].lower()
    if scheme in ("sqlite", "memory"):
        from server.backends.embedded import EmbeddedBackend

        path = url.split("://", 1)[1] if scheme == "sqlite" else ""
        return EmbeddedBackend(Path(path.removeprefix("/")) if path else None, url=url)
    if scheme in ("redis", "rediss", "redis+cluster"):
        from server.backends.redis import RedisBackend

        backend: Backend = RedisBackend(url, state_dir)
        return backend
    raise ValueError(
        f"unknown backend URL {url!r}: use sqlite:///path/to/file.db, memory:// or redis://host:port"
    )
