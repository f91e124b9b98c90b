"""The kernel floor: bench/floor.c, compiled with the system ``cc`` at bench time, writes the same
messages to the same number of loopback sockets at the same rates as a fan-out workload, and its
CPU per send is what no server written in any language can go below on this machine.

The C sender runs on the server core and the generator's plain TCP readers on the generator core,
as the servers and the generator do, so the floor sees the same kernel, the same loopback path and
the same load from the rest of the machine as the servers measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shutil
import statistics
import subprocess
from pathlib import Path
from typing import Any

from bench.measure import LOCAL_ADDRS
from bench.procs import BENCH, PY, ROOT, SERVER_CORE, generator, pin, workdir

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
    sender: str = "c",
) -> list[dict[str, Any]]:
    """One run of the floor sender over every rate; a row per rate with its CPU per send and the
    generator's CPU over the same step. ``sender="python"`` runs bench/floor_python.py instead of
    the C program: the same writes, made by plenary's fan-out loop (``"python-map"``: its Python
    loop, even where the compiled one is built)."""
    with workdir("plenary-bench-floor-") as dir_:
        if sender == "c":
            program = [str(compile_floor(dir_))]
        elif sender == "python":
            program = [PY, "-m", "bench.floor_python"]
        elif sender == "python-map":
            program = [PY, "-m", "bench.floor_python", "--map"]
        else:
            raise ValueError(f"no floor sender {sender!r}: c, python or python-map")
        proc = await asyncio.create_subprocess_exec(
            *program,
            "0",
            str(connections),
            str(payload_bytes),
            str(step_s),
            *(f"{r:g}" for r in rates),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=ROOT,
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


SENDERS = {
    "c": "the C sender (bench/floor.c)",
    "python": "Python, plenary's lane loop as installed (server/fanout/lane.py write_each)",
    "python-map": "Python, the lane's Python loop (map(os.write, ...))",
}


async def compare_senders(
    connections: int, rate: float, step_s: float, repeats: int
) -> dict[str, dict[str, Any]]:
    """Every sender of ``SENDERS`` taken in turn, ``repeats`` times each: their µs per send
    (median, spread) and each one's ratio to the C sender's median."""
    runs: dict[str, list[float]] = {sender: [] for sender in SENDERS}
    for _ in range(repeats):
        for sender, values in runs.items():
            (row,) = await floor_run(connections, [rate], step_s, sender=sender)
            if row["errors"] or not row["received_complete"]:
                raise RuntimeError(f"the {sender} sender lost writes: {row}")
            values.append(row["us_per_send"])
    c_median = statistics.median(runs["c"])
    return {
        sender: {
            "median": round(statistics.median(v), 3),
            "min": round(min(v), 3),
            "max": round(max(v), 3),
            "x_c": round(statistics.median(v) / c_median, 3),
            "runs": v,
        }
        for sender, v in runs.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.floor",
        description="The floor's C sender against the same writes made by plenary's fan-out "
        "loop (bench/floor_python.py), to the same readers, taken in turn.",
    )
    parser.add_argument("--connections", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=40, help="messages/s to each connection")
    parser.add_argument("--step", type=float, default=10, help="seconds per run")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    result = asyncio.run(compare_senders(args.connections, args.rate, args.step, args.repeats))
    print(json.dumps(result))
    print(f"{args.connections} connections, {args.rate:g} messages/s each, {args.repeats} runs:")
    for sender, label in SENDERS.items():
        r = result[sender]
        print(
            f"  {label}: {r['median']} µs/send ({r['min']}\N{EN DASH}{r['max']}), "
            f"{r['x_c']}\N{MULTIPLICATION SIGN} the C sender"
        )


if __name__ == "__main__":
    main()
