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
from http import HTTPStatus
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from server.fanout.wire import HandshakeRefused, PlenaryWebSocketProtocol, handshake_request
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


def _refuse(transport: Any, refused: HandshakeRefused) -> None:
    """Answer a handshake request that cannot be taken with its HTTP error, and close."""
    body = refused.message.encode()
    reason = HTTPStatus(refused.status).phrase.encode()
    transport.write(
        b"HTTP/1.1 %d %s\r\ncontent-type: text/plain; charset=utf-8\r\n"
        b"content-length: %d\r\nconnection: close\r\n\r\n%s"
        % (refused.status, reason, len(body), body)
    )
    transport.close()


def _plenary_ws(cls: object) -> type[PlenaryWebSocketProtocol] | None:
    """``cls`` when it is plenary's websocket protocol (or a subclass), else None."""
    return cls if isinstance(cls, type) and issubclass(cls, PlenaryWebSocketProtocol) else None


def http_protocol(pure_python: bool) -> type[Any]:
    """The HTTP protocol class to run: httptools' when it is installed and not refused."""
    if pure_python or importlib.util.find_spec("httptools") is None:
        return PlenaryH11Protocol
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class PlenaryHttpToolsProtocol(HttpToolsProtocol):
        """uvicorn's httptools protocol, with the connection's socket in each request's scope."""

        def on_headers_complete(self) -> None:
            super().on_headers_complete()
            # The request's task is created above and runs later. (An upgrade request has no
            # task: its scope is the websocket protocol's.)
            if self.cycle is not None and self.cycle.scope is self.scope:
                _add_socket(self)

        def handle_websocket_upgrade(self) -> None:
            # The request as httptools read it, handed to plenary's websocket protocol without
            # being written out and parsed again (server/fanout/wire.py, handshake_request).
            ws_class = _plenary_ws(self.ws_protocol_class)
            if ws_class is None:
                super().handle_websocket_upgrade()
                return
            request = handshake_request(self.scope["method"], self.url, list(self.scope["headers"]))
            if isinstance(request, HandshakeRefused):
                _refuse(self.transport, request)
                return
            self.connections.discard(self)
            protocol = ws_class(
                config=self.config, server_state=self.server_state, app_state=self.app_state
            )
            protocol.adopt(self.transport, self.server, self.client, self.scheme == "https")
            protocol.open_handshake(request)
            self.transport.set_protocol(protocol)

    return PlenaryHttpToolsProtocol
