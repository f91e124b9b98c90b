"""The socket under a plain HTTP response, for the fallback stream (server/web/sse.py).

A fallback reader that stops reading must be noticed as a websocket viewer is: its bounded outbox
fills and it is dropped to resume. Left to itself, Linux grows a socket's send buffer to megabytes
for a peer that does not read, memory the process never sees, before a write ever waits. The
websocket protocol (server/fanout/wire.py) bounds its sockets' buffers; an event stream is an
ordinary HTTP response, so plenary runs uvicorn's HTTP protocol (httptools where it is installed,
else h11) with the connection's socket in each request's scope, and the stream bounds its own
socket the same way. Under any other server the extension is absent and the kernel's default
applies.
"""

from __future__ import annotations

import contextlib
import importlib.util
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
        _add_socket(self)


def _add_socket(proto: Any) -> None:
    scope = getattr(proto, "scope", None)
    transport = getattr(proto, "transport", None)
    sock = transport.get_extra_info("socket") if transport is not None else None
    if scope is not None and sock is not None:
        scope.setdefault("extensions", {})[EXTENSION] = sock


def http_protocol(pure_python: bool) -> type[Any]:
    """The HTTP protocol class to run: httptools' when it is installed and not refused."""
    if pure_python or importlib.util.find_spec("httptools") is None:
        return PlenaryH11Protocol
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class PlenaryHttpToolsProtocol(HttpToolsProtocol):
        """uvicorn's httptools protocol, with the connection's socket in each request's scope."""

        def on_headers_complete(self) -> None:
            super().on_headers_complete()
            _add_socket(self)  # the request's task is created here and runs later

    return PlenaryHttpToolsProtocol
