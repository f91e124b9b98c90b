"""The compression workload: what per-message compression, compressed once per room, saves on the
wire and costs the server (``python -m bench compression``; docs/performance.md, its own section).

Two measurements:

- **A typical session.** The demo meeting (server/ops/demo.py, the seed meeting) is replayed
  against a plenary server while two viewers follow the plenary, one offering compression as
  Chromium does, one not; every byte each receives is counted (lines, the live line as the
  captioner types word by word, heartbeats, the floor, the rolling document). The replay runs slow
  enough that every keystroke message becomes a live frame (under the server's 10 per second),
  as when a person types. Scaled to an hour by the lines an hour of speech makes.
- **2,000 viewers at 2 and at 10 lines/s**, the lines being the demo's own texts: plenary
  (compressed once per room) against plenary with viewers that do not offer compression (plain
  frames) and `websockets`' ``broadcast()`` with its own per-connection
  compression, same lines, same rate. Server CPU per delivery and bytes on the wire per line per
  viewer (the server's sockets' ``bytes_sent``, read with ``ss``), each the median of several
  runs taken in turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from websockets.client import ClientProtocol
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
from websockets.frames import Frame
from websockets.http11 import Response
from websockets.uri import parse_uri

from bench.measure import gen_config
from bench.procs import free_port, generator, workdir
from bench.servers import PLENARY, WS_BROADCAST, Running, ServerSpec, launch

NAME = "compression"
START = "<!-- compression:start (written by `python -m bench compression`) -->"
END = "<!-- compression:end -->"

# A formal meeting's speech, as captioned: about 150 words a minute (the demo speaks faster).
WORDS_PER_MINUTE = 150
# Slow enough that each of the demo captioner's keystroke messages is its own live frame.
DEMO_SPEED = 0.35


@dataclass(frozen=True)
class CompressionSize:
    viewers: int = 2000
    seconds: float = 10
    runs: int = 3
    demo_speed: float = DEMO_SPEED


FULL = CompressionSize()
QUICK = CompressionSize(viewers=40, seconds=2, runs=1, demo_speed=25)


# -- a typical session: the demo meeting, followed by two counting viewers -------------------------
class CountingViewer:
    """A viewer of one room that counts every byte the server sends it. Offers compression as
    Chromium does (``permessage-deflate; client_max_window_bits``) or not at all; answers pings."""

    def __init__(self, url: str, deflate: bool) -> None:
        self.url = url
        self.deflate = deflate
        self.bytes = 0
        self.frames = 0
        self.negotiated = ""
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        uri = parse_uri(self.url)
        reader, writer = await asyncio.open_connection(uri.host, uri.port)
        offer = [ClientPerMessageDeflateFactory(client_max_window_bits=True)]
        proto = ClientProtocol(uri, extensions=offer if self.deflate else None, max_size=None)
        proto.send_request(proto.connect())
        opened = asyncio.get_running_loop().create_future()

        async def pump() -> None:
            try:
                while data := await reader.read(65536):
                    self.bytes += len(data)
                    proto.receive_data(data)
                    for event in proto.events_received():
                        if isinstance(event, Response):
                            self.negotiated = event.headers.get("Sec-WebSocket-Extensions", "")
                            proto.send_text(json.dumps({"type": "hello", "after": 0}).encode())
                            opened.set_result(None)
                        elif isinstance(event, Frame):
                            self.frames += 1
                    for out in proto.data_to_send():
                        writer.write(out)
            finally:
                writer.close()

        for out in proto.data_to_send():
            writer.write(out)
        self._task = asyncio.get_running_loop().create_task(pump())
        await asyncio.wait_for(opened, 10)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


async def demo_session(speed: float, log: Callable[[str], None]) -> dict[str, Any]:
    """Replay the demo meeting with two counting viewers in its plenary; the demo's line texts."""
    import uvicorn

    from server.config import Settings
    from server.domain.keys import room_key
    from server.ops import demo
    from server.ops.serving import uvicorn_config
    from server.web.app import create_app

    with workdir("plenary-bench-demo-") as dir_:
        port = free_port()
        settings = Settings(
            host="127.0.0.1",
            port=port,
            data_dir=dir_ / "data",
            backend_url=f"sqlite:///{dir_ / 'record.db'}",
        )
        settings.data_dir.mkdir(parents=True)
        app = create_app(settings)
        server = uvicorn.Server(uvicorn_config(app, "127.0.0.1", port, log_level="warning"))
        serving = asyncio.get_running_loop().create_task(server.serve())
        try:
            while not server.started:
                if serving.done():
                    serving.result()
                await asyncio.sleep(0.05)
            backend = app.state.plenary.backend
            meeting_id, keys = await demo.create(backend)
            base_ws = f"ws://127.0.0.1:{port}/ws/{meeting_id}/plenary"
            viewers = {
                "plain": CountingViewer(base_ws, False),
                "deflate": CountingViewer(base_ws, True),
            }
            for viewer in viewers.values():
                await viewer.start()
            t0 = time.monotonic()
            await demo.replay(f"http://127.0.0.1:{port}", meeting_id, keys, speed=speed, log=log)
            await asyncio.sleep(1)  # the last frames
            wall = time.monotonic() - t0
            for viewer in viewers.values():
                await viewer.stop()
            meeting = await backend.load_meeting(meeting_id)
            assert meeting is not None
            texts: list[str] = []
            plenary_lines = 0
            for room in meeting.rooms:
                events = await backend.read(room_key(meeting_id, room.id), 0, 100_000)
                lines = [e.data["text"] for e in events if e.type == "line"]
                texts += lines
                if room.id == "plenary":
                    plenary_lines = len(lines)
        finally:
            server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(serving, 20)
    words = sum(len(t.split()) for t in texts)
    lines_per_hour = WORDS_PER_MINUTE * 60 / (words / len(texts))
    out: dict[str, Any] = {
        "replay_s": round(wall, 1),
        "speed": speed,
        "plenary_lines": plenary_lines,
        "lines": len(texts),
        "mean_line_bytes": round(sum(len(t.encode()) for t in texts) / len(texts), 1),
        "mean_words_per_line": round(words / len(texts), 1),
        "lines_per_hour": round(lines_per_hour),
        "texts": texts,
    }
    for mode, viewer in viewers.items():
        per_line = viewer.bytes / max(1, plenary_lines)
        out[mode] = {
            "negotiated": viewer.negotiated,
            "bytes": viewer.bytes,
            "messages": viewer.frames,
            "bytes_per_line": round(per_line, 1),
            "mb_per_hour": round(per_line * lines_per_hour / 1e6, 3),
        }
    out["saved_pct"] = round(100 * (1 - out["deflate"]["bytes"] / out["plain"]["bytes"]), 1)
    return out


# -- 2,000 viewers at 2 and 10 lines/s ------------------------------------------------------------
def bytes_sent(port: int) -> int:
    """What the server's established sockets on ``port`` have sent (TCP payload), from ``ss``."""
    run = subprocess.run(
        ["ss", "-tinH", "state", "established", f"( sport = :{port} )"],
        capture_output=True,
        text=True,
        check=True,
    )
    return sum(int(n) for n in re.findall(r"bytes_sent:(\d+)", run.stdout))


@dataclass(frozen=True)
class Mode:
    label: str
    spec: ServerSpec
    client_offers_deflate: bool


MODES = [
    Mode("plenary, plain frames (viewers do not offer compression)", PLENARY, False),
    Mode("plenary, compressed once per room", PLENARY, True),
    Mode("websockets broadcast(), compressed per connection", WS_BROADCAST, True),
]
# Lines per second in the measured phases: one the generator decodes for 2,000 compressed
# viewers with time to spare (so the server's cost is measured with every viewer keeping up), and
# the fan-out workload's first step.
RATES = (2, 10)
# The generator (Node.js `ws`) inflates each compressed message through libuv's thread pool, by
# default 10 at a time for the whole process: too few for 2,000 viewers. The same for every mode.
INFLATE_CONCURRENCY = 100


async def fanout_run(mode: Mode, size: CompressionSize, texts: list[str]) -> list[dict[str, Any]]:
    """One run of ``mode``: a warm-up, then each rate in turn; a row per rate."""
    phases = [{"name": "warm-up", "duration": 2, "commitRate": 2, "liveRate": 0, "drain": 2}]
    phases += [
        {
            "name": f"{rate}/s",
            "duration": size.seconds,
            "commitRate": rate,
            "liveRate": 0,
            "drain": 5,
        }
        for rate in RATES
    ]
    with workdir() as dir_, launch(mode.spec, dir_) as srv:
        config = gen_config(
            srv,
            viewers=size.viewers,
            captioners=2,
            deflate=mode.client_offers_deflate,
            phases=phases,
            texts=texts,
            inflateConcurrency=INFLATE_CONCURRENCY,
            pause=1,
            p99LimitMs=1e9,
        )
        return await _drive(srv, config, dir_)


async def _drive(srv: Running, config: dict[str, Any], dir_: Path) -> list[dict[str, Any]]:
    port = srv.procs[0].port
    cpu_at_start: dict[str, float] = {}
    at_end: dict[str, tuple[float, int]] = {}
    result: dict[str, Any] = {}
    async with generator(config, dir_) as gen:
        deadline = time.monotonic() + 600
        while True:
            msg = await asyncio.wait_for(gen.events.get(), deadline - time.monotonic())
            event, name = msg.get("event"), str(msg.get("name"))
            # A phase ends once what it sent has arrived (or its drain time is up); the generator
            # then pauses a second: the sockets' counters are read in that pause.
            if event == "phase-start":
                cpu_at_start[name] = srv.cpu()
            elif event == "phase-end":
                at_end[name] = (srv.cpu(), bytes_sent(port))
            elif event == "result":
                result = msg
                break
    rows = []
    names = [ph["name"] for ph in result["phases"]]
    for before, ph in zip(names, result["phases"][1:], strict=False):
        cpu = at_end[ph["name"]][0] - cpu_at_start[ph["name"]]
        wire = at_end[ph["name"]][1] - at_end[before][1]
        rows.append(
            {
                "rate": ph["commit_rate"],
                "delivered": ph["delivered"],
                "expected": ph["expected"],
                "p50_ms": ph["line_latency_ms"]["p50"],
                "p99_ms": ph["line_latency_ms"]["p99"],
                "server_cpu_s": round(cpu, 3),
                "server_cpu_us_per_delivery": round(1e6 * cpu / max(1, ph["delivered"]), 2),
                "generator_cpu_pct": ph["generator_cpu_pct"],
                # Per line delivered to a viewer: when viewers fall behind, part of what the phase
                # sent is still queued at its end, neither sent nor delivered.
                "bytes_per_line_per_viewer": round(wire / max(1, ph["delivered"]), 1),
                "lines": ph["commits_sent"],
                "viewers": ph["readers"],
            }
        )
    return rows


def _median(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in runs if r.get(key) is not None]
    return round(statistics.median(values), 2) if values else None


MEDIANS = (
    "bytes_per_line_per_viewer",
    "server_cpu_us_per_delivery",
    "p50_ms",
    "p99_ms",
    "generator_cpu_pct",
)


async def run(size: CompressionSize, log: Callable[[str], None]) -> dict[str, Any]:
    log("compression: replaying the demo meeting with two counting viewers ...")
    session = await demo_session(size.demo_speed, log=lambda _: None)
    texts = session.pop("texts")
    log(f"compression: session {json.dumps(session)[:400]}")
    runs: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for i in range(size.runs):
        for mode in MODES:  # taken in turn, so that the machine's drift falls on all alike
            for r in await fanout_run(mode, size, texts):
                log(f"compression: run {i + 1} {mode.label}: {json.dumps(r)}")
                runs.setdefault((mode.label, r["rate"]), []).append(r)
    rows = []
    for rate in RATES:
        for mode in MODES:
            done = runs.get((mode.label, rate), [])
            rows.append(
                {
                    "server": mode.label,
                    "client_offers_deflate": mode.client_offers_deflate,
                    "viewers": size.viewers,
                    "lines_per_s": rate,
                    "runs": len(done),
                    **{key: _median(done, key) for key in MEDIANS},
                    "delivered": sum(r["delivered"] for r in done),
                    "expected": sum(r["expected"] for r in done),
                    "each_run": done,
                }
            )
    ratios: dict[str, float | None] = {}
    for rate in RATES:
        plain, shared = (r for r in rows if r["lines_per_s"] == rate and "plenary" in r["server"])
        p, c = plain["server_cpu_us_per_delivery"], shared["server_cpu_us_per_delivery"]
        ratios[f"{rate}/s"] = round(c / p, 2) if p and c else None
    return {
        "session": session,
        "fanout": rows,
        "cpu_ratio_compressed_to_plain": ratios,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


# -- the document's section ------------------------------------------------------------------------
def render(res: dict[str, Any], when: str) -> str:
    s = res["session"]
    out = [
        START,
        "",
        f"Run {when} with `python -m bench compression`; load average when it ended: "
        f"{', '.join(f'{x:.1f}' for x in res.get('load_average', ()))} (2 cores: above 2, other "
        "work competed with the server and the generator).",
        "",
        "**A typical session** (the demo meeting replayed at speed "
        f"{s['speed']:g} in {s['replay_s']:g} s: {s['plenary_lines']} committed lines in the "
        f"plenary, {s['lines']} in all rooms, {s['mean_line_bytes']:g} bytes and "
        f"{s['mean_words_per_line']:g} words a line on average; an hour of speech at "
        f"{WORDS_PER_MINUTE} words a minute makes {s['lines_per_hour']} lines). Everything one "
        "plenary viewer received, per committed line (the live line while it is typed included):",
        "",
        "| viewer | extensions agreed | bytes received | messages | bytes per line | MB per hour |",
        "|---|---|---|---|---|---|",
    ]
    for mode in ("plain", "deflate"):
        v = s[mode]
        out.append(
            f"| {'offers compression' if mode == 'deflate' else 'plain'} | "
            f"{v['negotiated'] or '-'} | {v['bytes']} | {v['messages']} | {v['bytes_per_line']:g} "
            f"| {v['mb_per_hour']:g} |"
        )
    first = res["fanout"][0]
    out += [
        "",
        f"Compression saves {s['saved_pct']:g} % of a viewer's bytes.",
        "",
        f"**{first['viewers']} viewers** (the demo's lines, one after another), medians of "
        f"{first['runs']} runs taken in turn:",
        "",
        "| server | lines/s | bytes per line per viewer | server CPU µs per delivery | p50 ms "
        "| p99 ms | delivered | expected | generator CPU % |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in res["fanout"]:
        out.append(
            f"| {r['server']} | {r['lines_per_s']} | {r['bytes_per_line_per_viewer']} | "
            f"{r['server_cpu_us_per_delivery']} | {r['p50_ms']} | {r['p99_ms']} | "
            f"{r['delivered']} | {r['expected']} | {r['generator_cpu_pct']} |"
        )
    ratios = ", ".join(f"{v} at {k}" for k, v in res["cpu_ratio_compressed_to_plain"].items())
    out += [
        "",
        "Server CPU per delivery, compressed once per room against plain frames: "
        f"{ratios} (target: within 1.2 times).",
        "",
        END,
    ]
    return "\n".join(out)


def write_doc(path: Path, section: str) -> None:
    """Replace this workload's section of the document, or add it at the end of the results."""
    text = path.read_text()
    if START in text and END in text:
        text = text.split(START, 1)[0] + section + text.split(END, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    path.write_text(text)


def main(quick: bool, json_path: Path | None, doc_path: Path | None) -> dict[str, Any]:
    """Run the workload; write its JSON and the document's section unless ``quick``."""
    import sys

    log = lambda m: print(f"[bench] {m}", file=sys.stderr)  # noqa: E731
    res = asyncio.run(run(QUICK if quick else FULL, log))
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(res, indent=1) + "\n")
    if doc_path is not None:
        write_doc(doc_path, render(res, time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())))
    return res
