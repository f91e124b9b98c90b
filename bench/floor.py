"""The kernel floor: bench/floor.c, compiled with the system ``cc`` at bench time, writes the same
messages to the same number of loopback sockets at the same rates as a fan-out workload, and its
CPU per send is what no server written in any language can go below on this machine.

The C sender runs on the server core and the generator's plain TCP readers on the generator core,
as the servers and the generator do, so the floor sees the same kernel, the same loopback path and
the same load from the rest of the machine as the servers measured in the same run.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from bench.measure import LOCAL_ADDRS
from bench.procs import BENCH, SERVER_CORE, generator, pin, workdir

SOURCE = BENCH / "floor.c"
PAYLOAD_BYTES = 150


def compile_floor(dir_: Path) -> Path:
    """Build bench/floor.c into ``dir_`` with the system C compiler."""
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        raise RuntimeError("no C compiler (cc) to build bench/floor.c: apt-get install gcc")
    out = dir_ / "floor"
    run = subprocess.run(
        [cc, "-O2", "-Wall", "-o", str(out), str(SOURCE)], capture_output=True, text=True
    )
    if run.returncode != 0:
        raise RuntimeError(f"cc failed on bench/floor.c: {run.stderr[-1500:]}")
    return out


async def _line(stream: asyncio.StreamReader, timeout: float) -> dict[str, Any]:
    raw = await asyncio.wait_for(stream.readline(), timeout)
    if not raw:
        raise RuntimeError("the floor sender ended early")
    msg: dict[str, Any] = json.loads(raw)
    return msg


async def floor_run(
    connections: int,
    rates: list[float],
    step_s: float,
    payload_bytes: int = PAYLOAD_BYTES,
    timeout: float = 600,
) -> list[dict[str, Any]]:
    """One run of the floor sender over every rate; a row per rate with its CPU per send and the
    generator's CPU over the same step."""
    with workdir("plenary-bench-floor-") as dir_:
        binary = compile_floor(dir_)
        proc = await asyncio.create_subprocess_exec(
            str(binary),
            "0",
            str(connections),
            str(payload_bytes),
            str(step_s),
            *(f"{r:g}" for r in rates),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        pin(proc.pid, SERVER_CORE)
        assert proc.stdout is not None
        try:
            listening = await _line(proc.stdout, 30)
            config = {
                "mode": "floor",
                "proto": "plain",
                "url": "",
                "rooms": [],
                "floorPort": listening["port"],
                "connections": connections,
                "localAddrs": LOCAL_ADDRS,
                "connectConcurrency": 100,
                "timeout": timeout,
            }
            rows: list[dict[str, Any]] = []
            async with generator(config, dir_) as gen:
                await gen.next("connected", 300)
                assert (await _line(proc.stdout, 300))["event"] == "connected"
                gen_cpu0 = 0.0
                while True:
                    msg = await _line(proc.stdout, timeout)
                    if msg["event"] == "step-start":
                        gen_cpu0 = gen.cpu()
                    elif msg["event"] == "step-end":
                        gen_cpu = gen.cpu() - gen_cpu0
                        rows.append(
                            {
                                "rate": msg["rate"],
                                "connections": connections,
                                "sends": msg["sends"],
                                "errors": msg["errors"],
                                "frame_bytes": msg["frame_bytes"],
                                "cpu_s": msg["cpu_s"],
                                "us_per_send": msg["us_per_send"],
                                "wall_s": msg["wall_s"],
                                "generator_cpu_pct": round(100 * gen_cpu / msg["wall_s"], 1),
                            }
                        )
                    elif msg["event"] == "done":
                        break
                result = await gen.next("result", 60)
            expected = sum(r["sends"] for r in rows) * (payload_bytes + 4)
            for r in rows:
                r["received_complete"] = result["received_bytes"] == expected
            return rows
        finally:
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
            await proc.wait()
