"""The socket under a plain HTTP response, for the fallback stream (server/web/sse.py).

A fallback reader that stops reading must be noticed as a websocket viewer is: its bounded outbox
fills and it is dropped to resume. Left to itself, Linux grows a socket's send buffer to megabytes
for a peer that does not read, memory the process never sees, before a write ever waits. The
websocket protocol (server/fanout/wire.py) bounds its sockets' buffers; an event stream is an
ordinary HTTP response, so plenary runs uvicorn's h11 protocol with the connection's socket in
each request's scope, and the stream bounds its own socket the same way. Under any other server
the extension is absent and the kernel's default applies.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import MutableMapping
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from server.limits import VIEWER_SEND_BUFFER_BYTES

EXTENSION = "plenary.socket"


def bound_send_buffer(scope: MutableMapping[str, Any]) -> None:
    """Give the socket of this request the send buffer of a websocket viewer's."""
    sock = scope.get("extensions", {}).get(EXTENSION)
    if sock is not None and VIEWER_SEND_BUFFER_BYTES:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, VIEWER_SEND_BUFFER_BYTES)


class PlenaryH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, with the connection's socket in each request's scope."""

    def handle_events(self) -> None:
        super().handle_events()
        # A request's application task is created above but runs later, so its scope can
        # still be extended here.
        scope = getattr(self, "scope", None)
        sock = self.transport.get_extra_info("socket") if self.transport is not None else None
        if scope is not None and sock is not None:
            scope.setdefault("extensions", {})[EXTENSION] = sock
