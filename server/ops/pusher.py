"""``plenary push``: send standard input, line by line, to a caption URL.

Each line is POSTed with the next ``seq`` and retried with the same ``seq`` until the server
accepts it, so a flaky network neither loses nor duplicates a line. The starting ``seq`` comes from
the server (``GET …/seq``), so a restarted pusher continues where the last one stopped.
"""

from __future__ import annotations

import http.client
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable

from server.limits import PUSH_REQUEST_TIMEOUT_S as REQUEST_TIMEOUT_S
from server.limits import PUSH_RETRY_FIRST_S as RETRY_FIRST_S
from server.limits import PUSH_RETRY_MAX_S as RETRY_MAX_S

# ruff: noqa: S310  (push_lines accepts only http and https URLs)


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


def push_lines(
    url: str,
    lines: Iterable[str],
    lang: str = "",
    log: Callable[[str], None] = lambda m: print(m, file=sys.stderr),
) -> int:
    """Push every line; returns how many were sent. Raises PushError on a refusal."""
    if not urllib.parse.urlsplit(url).scheme.startswith("http"):
        raise PushError("the URL must start with http:// or https:// (copy the caption API link)")
    seq = last_seq(url, log)
    sent = 0
    for raw in lines:
        text = raw.rstrip("\r\n")
        if not text.strip():
            continue
        seq += 1
        params = {"seq": str(seq)}
        if lang:
            params["lang"] = lang
        target = _with_query(url, **params)
        body = (text + "\n").encode()
        _retrying(
            lambda t=target, b=body: urllib.request.Request(  # type: ignore[misc]
                t, data=b, method="POST", headers={"Content-Type": "text/plain; charset=utf-8"}
            ),
            log,
        )
        sent += 1
    return sent
