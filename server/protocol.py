"""Messages clients send, parsed and checked at the edge into typed values.

Every websocket frame from a client goes through ``parse_client_message``; everything past this
module can trust the types and bounds. Server-to-client frames are documented in docs/protocol.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from server.limits import MAX_LABEL_CHARS, MAX_LINE_CHARS, MAX_LIVE_CHARS


class ProtocolError(Exception):
    """A message that is not valid. ``code`` is machine-readable, the message tells how to fix."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Hello:
    key: str | None
    passcode: str | None
    after: int
    client: str | None  # a stable id the page keeps, so its numbered lines are deduplicated
    name: str  # how a captioner calls themselves in the record


@dataclass(frozen=True, slots=True)
class Edit:
    """One keystroke (or paste) in the live line: delete from the end, then insert."""

    delete: int
    insert: str


@dataclass(frozen=True, slots=True)
class Commit:
    n: int | None
    text: str
    speaker: str
    lang: str


@dataclass(frozen=True, slots=True)
class Correct:
    n: int | None
    line: int
    text: str


@dataclass(frozen=True, slots=True)
class Ping:
    pass


@dataclass(frozen=True, slots=True)
class Cmd:
    """A room command (speakers' list, agenda, rooms); ``args`` are checked by its handler."""

    n: int | None
    op: str
    args: dict[str, Any]


ClientMessage = Hello | Edit | Commit | Correct | Ping | Cmd


def _obj(raw: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise ProtocolError("bad_json", f"frame is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise ProtocolError("bad_message", "a message must be a JSON object with a 'type'")
    return value


def _str(msg: dict[str, Any], name: str, limit: int, default: str | None = None) -> str:
    value = msg.get(name, default)
    if not isinstance(value, str):
        raise ProtocolError("bad_field", f"'{name}' must be a string")
    if len(value) > limit:
        raise ProtocolError("too_long", f"'{name}' is longer than {limit} characters")
    return value


def _opt_str(msg: dict[str, Any], name: str, limit: int) -> str | None:
    return None if msg.get(name) is None else _str(msg, name, limit)


def _int(msg: dict[str, Any], name: str, default: int | None = None, minimum: int = 0) -> int:
    value = msg.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ProtocolError("bad_field", f"'{name}' must be an integer >= {minimum}")
    return value


def _opt_int(msg: dict[str, Any], name: str) -> int | None:
    return None if msg.get(name) is None else _int(msg, name, minimum=1)


def clean_text(text: str) -> str:
    """A committed line: one line, no control characters, trimmed."""
    text = "".join(" " if ch in "\r\n\t" else ch for ch in text if ch >= " " or ch in "\r\n\t")
    return " ".join(text.split())


def message_number(raw: str) -> int | None:
    """The ``n`` of a message, even of one that is otherwise invalid; None if it has none."""
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    n = value.get("n") if isinstance(value, dict) else None
    return n if isinstance(n, int) and not isinstance(n, bool) else None


def parse_client_message(raw: str) -> ClientMessage:
    msg = _obj(raw)
    kind = msg.get("type")
    if kind == "hello":
        return Hello(
            key=_opt_str(msg, "key", 200),
            passcode=_opt_str(msg, "passcode", 200),
            after=_int(msg, "after", 0),
            client=_opt_str(msg, "client", 64),
            name=clean_text(_str(msg, "name", MAX_LABEL_CHARS, "")),
        )
    if kind == "edit":
        return Edit(_int(msg, "del", 0), _str(msg, "ins", MAX_LIVE_CHARS, ""))
    if kind == "commit":
        text = clean_text(_str(msg, "text", MAX_LINE_CHARS))
        if not text:
            raise ProtocolError("empty_line", "a committed line needs some text")
        return Commit(
            n=_opt_int(msg, "n"),
            text=text,
            speaker=clean_text(_str(msg, "speaker", MAX_LABEL_CHARS, "")),
            lang=_str(msg, "lang", 35, ""),
        )
    if kind == "correct":
        text = clean_text(_str(msg, "text", MAX_LINE_CHARS))
        if not text:
            raise ProtocolError("empty_line", "a correction needs some text")
        return Correct(_opt_int(msg, "n"), _int(msg, "line", minimum=1), text)
    if kind == "ping":
        return Ping()
    if kind == "cmd":
        args = msg.get("args", {})
        if not isinstance(args, dict):
            raise ProtocolError("bad_field", "'args' must be a JSON object")
        return Cmd(_opt_int(msg, "n"), _str(msg, "op", 60), args)
    if not isinstance(kind, str):
        raise ProtocolError("bad_message", "a message must have a string 'type'")
    raise ProtocolError("unknown_type", f"unknown message type {kind[:40]!r}; see docs/protocol.md")
