"""Where the running server is reached, kept with the data: commands other than ``serve``
(``meeting create``, ``meeting list``, ``reissue``, ``participant add`` …) print links that point
at the server the data belongs to, on whatever port or public address it was started with.

A server records its address when it starts (``remember``); a command reads it (``recall``)
unless it was given one itself (``--public-url`` or PLENARY_PUBLIC_URL). It is kept in the
backend's file store under a name no meeting can have, so it lives wherever the data lives
(the SQLite file, or Redis) and needs nothing of its own.
"""

from __future__ import annotations

from server.backends.base import FileStore

# Meeting ids are letters and digits only: this can never be one.
_HOLDER = "_server"
_NAME = "address"


async def remember(store: FileStore, base_url: str) -> None:
    await store.put_file(_HOLDER, _NAME, base_url.rstrip("/").encode())


async def recall(store: FileStore) -> str | None:
    raw = await store.get_file(_HOLDER, _NAME)
    if not raw:
        return None
    address = raw.decode("utf-8", errors="replace").strip()
    return address if address.startswith(("http://", "https://")) else None
