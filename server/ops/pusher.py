"""``plenary push``: send standard input, line by line, to a caption URL.

Each line is POSTed with the next ``seq`` and retried with the same ``seq`` until the server
accepts it, so a flaky network neither loses nor duplicates a line (the server recognises a retry
by its ``seq`` and text). The starting ``seq`` comes from the server (``GET …/seq``), so a
restarted pusher continues where the last one stopped.

The speaker of the lines is ``--speaker``, or with ``--names`` the ``NAME:`` a line starts with
(``Chair: Thank you.``), which holds for the lines after it until another name comes; both go to
the server as the plenary ``speaker`` parameter of the caption URL.
"""

from __future__ import annotations

import http.client
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from server.domain.captions import split_long
from server.domain.text import clean_text
from server.limits import MAX_CAPTION_BODY_BYTES, PUSH_NAME_MAX_CHARS
from server.limits import PUSH_REQUEST_TIMEOUT_S as REQUEST_TIMEOUT_S
from server.limits import PUSH_RETRY_FIRST_S as RETRY_FIRST_S
from server.limits import PUSH_RETRY_MAX_S as RETRY_MAX_S

# ruff: noqa: S310  (push_lines accepts only http and https URLs)

# A line of standard input is sent in POSTs of at most this many characters (each at most four
# bytes in UTF-8), so that no POST is over the server's limit and refused.
_CHARS_PER_POST = MAX_CAPTION_BODY_BYTES // 4 - 16
# "NAME: text" (--names): the name ends at the first colon that a space follows ("10:30" does not
# end one) and is at most PUSH_NAME_MAX_CHARS long; a longer start is text.
_NAMED = re.compile(rf"^\s*([^:]{{1,{PUSH_NAME_MAX_CHARS}}}?)\s*:\s+(\S.*)$")


class PushError(Exception):
    """A refusal that retrying cannot fix (wrong key, closed room)."""


def _with_query(url: str, **params: str) -> str:
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qsl(parts.query) + list(params.items())
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def _seq_url(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/seq"))


def _request(req: urllib.request.Request) -> str:
    with urllib.request.urlopen(req, timeout=REQUEST_TIMEOUT_S) as resp:
        body: bytes = resp.read()
        return body.decode()


def _retrying(make: Callable[[], urllib.request.Request], log: Callable[[str], None]) -> str:
    delay = RETRY_FIRST_S
    while True:
        try:
            return _request(make())
        except urllib.error.HTTPError as exc:
            message = exc.read().decode(errors="replace").strip()
            if exc.code in (400, 403, 404, 405, 413):
                raise PushError(f"{exc.code}: {message}") from None
            log(f"server answered {exc.code} ({message}); retrying in {delay:.1f}s")
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            log(f"cannot reach the server ({exc}); retrying in {delay:.1f}s")
        time.sleep(delay)
        delay = min(RETRY_MAX_S, delay * 2)


def last_seq(url: str, log: Callable[[str], None]) -> int:
    text = _retrying(lambda: urllib.request.Request(_seq_url(url)), log)
    return int(text.strip() or 0)


@dataclass(frozen=True, slots=True)
class Caption:
    text: str
    speaker: str


def captions(lines: Iterable[str], speaker: str = "", names: bool = False) -> Iterator[Caption]:
    """The captions in lines of input: blank lines skipped; with ``names``, a leading ``NAME:``
    sets the speaker of that line and the ones after it."""
    for raw in lines:
        text = raw.rstrip("\r\n")
        if not text.strip():
            continue
        if names:
            match = _NAMED.match(text)
            if match is not None and clean_text(match.group(1)):
                speaker, text = clean_text(match.group(1)), match.group(2)
        for part in split_long(clean_text(text), _CHARS_PER_POST):
            yield Caption(part, speaker)


def push_lines(
    url: str,
    lines: Iterable[str],
    lang: str = "",
    log: Callable[[str], None] = lambda m: print(m, file=sys.stderr),
    *,
    speaker: str = "",
    names: bool = False,
) -> int:
    """Push every line; returns how many were sent. Raises PushError on a refusal."""
    if not urllib.parse.urlsplit(url).scheme.startswith("http"):
        raise PushError("the URL must start with http:// or https:// (copy the caption API link)")
    seq = last_seq(url, log)
    sent = 0
    for caption in captions(lines, speaker, names):
        seq += 1
        params = {"seq": str(seq)}
        if lang:
            params["lang"] = lang
        if caption.speaker:
            params["speaker"] = caption.speaker
        target = _with_query(url, **params)
        body = (caption.text + "\n").encode()
        _retrying(
            lambda t=target, b=body: urllib.request.Request(  # type: ignore[misc]
                t, data=b, method="POST", headers={"Content-Type": "text/plain; charset=utf-8"}
            ),
            log,
        )
        sent += 1
    return sent
