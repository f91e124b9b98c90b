"""Messages clients send, parsed and checked at the edge into typed values.

Every websocket frame from a client goes through ``parse_client_message``, which reads the JSON
once; everything past this module can trust the types and bounds (every number is a whole number
in range, every text real Unicode). Server-to-client frames are documented in docs/protocol.md.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from server.domain.errors import Invalid
from server.domain.numbers import is_whole, json_number
from server.domain.text import real_json, text_field
from server.limits import MAX_ID, MAX_LABEL_CHARS, MAX_LINE_CHARS, MAX_LIVE_CHARS


class BadMessage(Invalid):
    """A message that is not valid; ``n`` is the number it carried, if any, so the error can
    name the command it answers."""

    def __init__(self, code: str, message: str, n: int | None = None) -> None:
        super().__init__(code, message)
        self.n = n


@dataclass(frozen=True, slots=True)
class Hello:
    key: str | None
    passcode: str | None
    after: int
    client: str | None  # a stable id the page keeps, so its numbered lines are deduplicated
    name: str  # how a captioner calls themselves in the record
    # The caption channel it follows: the floor or a language tag; "" when it names none (the
    # floor, or a captioner link's own channel).
    channel: str = ""
    # The epoch ``after`` is in (from the last welcome); None from a client that has none.
    epoch: str | None = None
    n: None = None


@dataclass(frozen=True, slots=True)
class Edit:
    """One keystroke (or paste) in the live line: delete from the end, then insert."""

    delete: int
    insert: str
    n: None = None


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
    n: None = None


@dataclass(frozen=True, slots=True)
class Cmd:
    """A room command (speakers' list, agenda, rooms); ``args`` are checked by its handler."""

    n: int | None
    op: str
    args: dict[str, Any]


ClientMessage = Hello | Edit | Commit | Correct | Ping | Cmd


class _Fields:
    """The fields of one message, each read with its type and bounds checked."""

    def __init__(self, msg: dict[str, Any], n: int | None) -> None:
        self.msg = msg
        self.n = n

    def fail(self, code: str, message: str) -> BadMessage:
        return BadMessage(code, message, self.n)

    def text(self, name: str, limit: int, default: str | None = None) -> str:
        value = self.msg.get(name, default)
        if not isinstance(value, str):
            raise self.fail("bad_field", f"'{name}' must be a string")
        if len(value) > limit:
            raise self.fail("too_long", f"'{name}' is longer than {limit} characters")
        return value

    def clean(self, name: str, limit: int) -> str:
        """A text field as it will be recorded (server/domain/text.py)."""
        try:
            return text_field(self.msg.get(name), f"'{name}'", limit)
        except Invalid as exc:
            raise self.fail(exc.code, exc.message) from None

    def opt_text(self, name: str, limit: int) -> str | None:
        return None if self.msg.get(name) is None else self.text(name, limit)

    def number(self, name: str, default: int | None = None, minimum: int = 0) -> int:
        try:
            return json_number(self.msg.get(name, default), f"'{name}'", minimum=minimum)
        except Invalid as exc:
            raise self.fail(exc.code, exc.message) from None


def _number(value: object) -> int | None:
    """A message's ``n`` when it is one a client may use: a whole number in range."""
    return value if is_whole(value, 1) else None  # type: ignore[return-value]


# A JSON escape of a surrogate code point (\ud800 … \udfff): the only way a frame, which is UTF-8,
# can bring an unpaired surrogate into a string. Frames without one are not walked.
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89abcdefABCDEF]")


def _load(raw: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
        if isinstance(value, dict) and _ESCAPED_SURROGATE.search(raw):
            value = real_json(value)
    except RecursionError:
        raise BadMessage("bad_json", "the frame is nested too deeply to be a message") from None
    except ValueError as exc:
        raise BadMessage("bad_json", f"frame is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise BadMessage("bad_message", "a message must be a JSON object with a 'type'")
    return value


def parse_client_message(raw: str) -> ClientMessage:
    msg = _load(raw)
    raw_n = msg.get("n")
    n = _number(raw_n)
    f = _Fields(msg, n)
    if raw_n is not None and n is None:
        raise f.fail("bad_field", f"'n' must be a whole number from 1 to {MAX_ID}")
    kind = msg.get("type")
    if kind == "hello":
        return Hello(
            key=f.opt_text("key", 200),
            passcode=f.opt_text("passcode", 200),
            after=f.number("after", 0),
            client=f.opt_text("client", 64),
            name=f.clean("name", MAX_LABEL_CHARS),
            channel=f.text("channel", 35, ""),
            epoch=f.opt_text("epoch", 64),
        )
    if kind == "edit":
        return Edit(f.number("del", 0), f.text("ins", MAX_LIVE_CHARS, ""))
    if kind == "commit":
        text = f.clean("text", MAX_LINE_CHARS)
        if not text:
            raise f.fail("empty_line", "a committed line needs some text")
        return Commit(
            n=n, text=text, speaker=f.clean("speaker", MAX_LABEL_CHARS), lang=f.clean("lang", 35)
        )
    if kind == "correct":
        text = f.clean("text", MAX_LINE_CHARS)
        if not text:
            raise f.fail("empty_line", "a correction needs some text")
        return Correct(n, f.number("line", minimum=1), text)
    if kind == "ping":
        return Ping()
    if kind == "cmd":
        args = msg.get("args", {})
        if not isinstance(args, dict):
            raise f.fail("bad_field", "'args' must be a JSON object")
        return Cmd(n, f.text("op", 60), args)
    if not isinstance(kind, str):
        raise f.fail("bad_message", "a message must have a string 'type'")
    raise f.fail("unknown_type", f"unknown message type {kind[:40]!r}; see docs/protocol.md")
