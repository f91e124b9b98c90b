"""The eight workloads of docs/performance.md, each a function returning rows for the table.

Every workload has a full size (the figures in the document) and a quick size (a few seconds, run
by the test suite so the benchmark cannot rot). Sizes and rates are in ``Size``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import servers
from bench.measure import MB, drive, gen_config, idle_run, stream_run
from bench.procs import redis_server, workdir
from bench.servers import ServerSpec, launch

Row = dict[str, Any]


@dataclass(frozen=True)
class Size:
    steady_viewers: tuple[int, ...] = (1000, 5000)
    steady_s: float = 12
    fanout_viewers: int = 2000
    fanout_rates: tuple[float, ...] = (10, 20, 30, 40, 50, 60, 80, 100, 125)
    fanout_step_s: float = 5
    storm_viewers: int = 5000
    storm_events: int = 500
    storm_repeats: int = 3
    rooms: int = 200
    room_viewers: int = 25
    rooms_s: float = 15
    record_rooms: int = 20
    record_rate: float = 5
    record_s: float = 15
    idle_viewers: int = 10000
    stalled_viewers: int = 2000
    stalled_s: float = 12
    stalled_line_bytes: int = 4000
    peers: bool = True
    quick: bool = False


FULL = Size()
QUICK = Size(
    # As for the storm below: enough viewers that each server's CPU is several /proc ticks.
    steady_viewers=(300,),
    steady_s=2,
    fanout_viewers=50,
    fanout_rates=(5, 20),
    fanout_step_s=1.5,
    # Enough reconnects that each server's CPU over the storm is many of /proc's 10 ms ticks
    # (50 cost a peer about one tick, sometimes none, and its µs per reconnect read 0).
    storm_viewers=300,
    storm_events=40,
    storm_repeats=1,
    rooms=4,
    room_viewers=5,
    rooms_s=2,
    record_rooms=2,
    record_rate=5,
    record_s=2,
    idle_viewers=100,
    stalled_viewers=40,
    stalled_s=3,
    peers=False,
    quick=True,
)

STEADY = {"commitRate": 0.5, "liveRate": 10, "lineBytes": 120, "liveBytes": 60, "drain": 3}
# Before the measured phase: the first lines of a run pay for warming caches and allocators,
# which a meeting pays once in its first seconds, not with every line.
WARM_UP = {
    "name": "warm-up",
    "duration": 2,
    "commitRate": 2,
    "liveRate": 10,
    "lineBytes": 120,
    "liveBytes": 60,
    "drain": 2,
}


def _line(ph: dict[str, Any]) -> dict[str, Any]:
    lat = ph["line_latency_ms"]
    return {
        "p50_ms": lat["p50"],
        "p99_ms": lat["p99"],
        "max_ms": lat["max"],
        "delivered": ph["delivered"],
        "expected": ph["expected"],
        "server_cpu_s": ph["server_cpu_s"],
        "server_cpu_pct": ph["server_cpu_pct"],
        "generator_cpu_pct": ph["generator_cpu_pct"],
    }


def _failed(label: str, exc: BaseException) -> Row:
    return {"server": label, "error": f"{type(exc).__name__}: {exc}"[:300]}


async def guard(label: str, work: Awaitable[Row]) -> Row:
    try:
        return await work
    except Exception as exc:
        return _failed(label, exc)


# -- 1. steady meeting -----------------------------------------------------------------------------
async def steady(size: Size, specs: list[ServerSpec]) -> list[Row]:
    rows = []
    for viewers in size.steady_viewers:
        for spec in specs:

            async def one(spec: ServerSpec = spec, viewers: int = viewers) -> Row:
                phase = {"name": "steady", "duration": size.steady_s, **STEADY}
                r = await stream_run(spec, viewers=viewers, phases=[WARM_UP, phase])
                ph = r["phases"][1]
                live = ph["live_latency_ms"]
                return {
                    "server": spec.label,
                    "viewers": viewers,
                    **_line(ph),
                    "live_p50_ms": live["p50"],
                    "live_p99_ms": live["p99"],
                    "live_received": ph["live_received"],
                    "live_sent_x_viewers": ph["live_sent"] * ph["readers"],
                    "gaps": r["gaps"],
                    "duplicates": r["duplicates"],
                    "peak_rss_mb": r["server_peak_rss_mb"],
                }

            rows.append(await guard(spec.label, one()))
    return rows


# -- 2. maximum fan-out (and 5. scale-out: the same on several processes) --------------------------
async def fanout(
    size: Size, spec: ServerSpec, *, redis: str | None = None, deflate_client: bool = False
) -> Row:
    top = max(size.fanout_rates)
    phases = [
        {
            "name": f"{rate:g}/s",
            "duration": size.fanout_step_s,
            "commitRate": rate,
            "liveRate": 0,
            "lineBytes": 120,
            "drain": 2,
        }
        for rate in size.fanout_rates
    ]
    # Enough captioner connections that none passes the server's per-connection message rate.
    captioners = 1 + int(top // 25 + 1)
    r = await stream_run(
        spec,
        viewers=size.fanout_viewers,
        phases=phases,
        captioners=captioners,
        deflate_client=deflate_client,
        redis=redis,
        stopOnFail=True,
        pause=1,
        p99LimitMs=250,
    )
    steps = r["phases"]
    passed = [p for p in steps if p["ok"]]
    best = max(passed, key=lambda p: p["deliveries_per_s"]) if passed else None
    first_fail = next((p for p in steps if not p["ok"]), None)
    row: Row = {
        "server": spec.label,
        "processes": spec.processes,
        "client_offers_deflate": deflate_client,
        "deflate_negotiated": spec.deflate and deflate_client,
        "max_deliveries_per_s": best["deliveries_per_s"] if best else 0,
        "at_rate": best["commit_rate"] if best else None,
        "p50_ms": best["line_latency_ms"]["p50"] if best else None,
        "p99_ms": best["line_latency_ms"]["p99"] if best else None,
        "server_cpu_pct": best["server_cpu_pct"] if best else None,
        "generator_cpu_pct": best["generator_cpu_pct"] if best else None,
        "failed_at": (
            {
                "rate": first_fail["commit_rate"],
                "p99_ms": first_fail["line_latency_ms"]["p99"],
                "delivered": first_fail["delivered"],
                "expected": first_fail["expected"],
            }
            if first_fail
            else None
        ),
        "peak_rss_mb": r["server_peak_rss_mb"],
        "steps": [
            {
                "rate": p["commit_rate"],
                "deliveries_per_s": p["deliveries_per_s"],
                "p99_ms": p["line_latency_ms"]["p99"],
                "lost": p["expected"] - p["delivered"],
                "server_cpu_pct": p["server_cpu_pct"],
                "generator_cpu_pct": p["generator_cpu_pct"],
            }
            for p in steps
        ],
    }
    return row


async def max_fanout(
    size: Size, specs: list[tuple[ServerSpec, bool]], redis: str | None
) -> list[Row]:
    rows = []
    for spec, offers in specs:
        rows.append(await guard(spec.label, fanout(size, spec, redis=redis, deflate_client=offers)))
    return rows


# -- 4. many rooms ---------------------------------------------------------------------------------
async def many_rooms(size: Size, spec: ServerSpec) -> Row:
    phase = {
        "name": "rooms",
        "duration": size.rooms_s,
        "commitRate": 0.5,
        "liveRate": 2,
        "lineBytes": 120,
        "liveBytes": 60,
        "drain": 3,
    }
    r = await stream_run(spec, viewers=size.room_viewers, rooms=size.rooms, phases=[WARM_UP, phase])
    ph = r["phases"][1]
    return {
        "server": spec.label,
        "rooms": size.rooms,
        "viewers_per_room": size.room_viewers,
        **_line(ph),
        "live_p99_ms": ph["live_latency_ms"]["p99"],
        "gaps": r["gaps"],
        "duplicates": r["duplicates"],
        "peak_rss_mb": r["server_peak_rss_mb"],
    }


# -- 6. record: acknowledgement latency, every acknowledged line durable ---------------------------
async def _durable(
    backend_url: str, acked: list[dict[str, Any]], rooms: list[dict[str, Any]]
) -> dict[str, int]:
    """Read the record back after the server was killed: every acknowledged seq must be there."""
    from server.backends import backend_from_url
    from server.domain.keys import room_key

    backend = backend_from_url(backend_url)
    await backend.start()
    try:
        missing = found = 0
        by_room = {r["room"]: r for r in rooms}
        for a in acked:
            room = by_room[a["room"]]
            last = await backend.last_seq(room_key(room["meeting"], room["room"]))
            found += min(last, a["max_seq"])
            missing += max(0, a["max_seq"] - last)
        return {
            "acknowledged_seqs": sum(a["max_seq"] for a in acked),
            "in_record": found,
            "missing": missing,
        }
    finally:
        await backend.close()


async def record(size: Size, spec: ServerSpec, redis: str | None) -> Row:
    phase = {
        "name": "record",
        "duration": size.record_s,
        "commitRate": size.record_rate,
        "liveRate": 0,
        "lineBytes": 120,
        "drain": 3,
    }
    with workdir() as dir_, launch(spec, dir_, rooms=size.record_rooms, redis=redis) as srv:
        config = gen_config(srv, viewers=1, phases=[phase])
        r = await drive(srv, config, dir_, timeout=300)
        for p in srv.procs:  # the harshest end: no shutdown, no flush
            p.stop(signal.SIGKILL)
        assert srv.data_dir is not None
        url = redis if spec.redis and redis else f"sqlite:///{srv.data_dir / 'plenary.db'}"
        durable = await _durable(url, r["acked"], srv.rooms)
    ph = r["phases"][0]
    ack = ph["ack_latency_ms"]
    return {
        "server": spec.label,
        "rooms": size.record_rooms,
        "lines_per_s": size.record_rate * size.record_rooms,
        "acked": sum(a["acked"] for a in r["acked"]),
        "ack_p50_ms": ack["p50"],
        "ack_p99_ms": ack["p99"],
        "ack_max_ms": ack["max"],
        **durable,
        "server_cpu_pct": ph["server_cpu_pct"],
    }


# -- 7. idle memory --------------------------------------------------------------------------------
async def idle(size: Size, specs: list[tuple[ServerSpec, bool]]) -> list[Row]:
    rows = []
    for spec, offers in specs:
        rows.append(
            await guard(
                spec.label, idle_run(spec, viewers=size.idle_viewers, deflate_client=offers)
            )
        )
    return rows


# -- 8. stalled viewers ----------------------------------------------------------------------------
async def stalled(size: Size, specs: list[ServerSpec]) -> list[Row]:
    """Workload 1's meeting with 1 % of the viewers never reading, then a burst of the longest
    lines (10/s, 40 KB/s per viewer) to fill the stalled viewers' buffers: at the steady
    meeting's rate (~1.5 KB/s) a stalled viewer needs many minutes to fill even its socket
    buffers."""
    rows = []
    phases = [
        WARM_UP,
        {"name": "steady", "duration": size.stalled_s, **STEADY},
        {
            "name": "burst",
            "duration": size.stalled_s,
            "commitRate": 10,
            "liveRate": 10,
            "lineBytes": size.stalled_line_bytes,
            "liveBytes": 60,
            "drain": 3,
        },
    ]
    for spec in specs:
        for n_stalled in (0, max(1, size.stalled_viewers // 100)):

            async def one(spec: ServerSpec = spec, n_stalled: int = n_stalled) -> Row:
                r = await stream_run(
                    spec,
                    viewers=size.stalled_viewers,
                    stalled=n_stalled,
                    phases=phases,
                    captioners=3,
                )
                steady, burst = [*r["phases"][1:], None, None][:2]
                row: Row = {
                    "server": spec.label,
                    "viewers": size.stalled_viewers,
                    "stalled": n_stalled,
                    **_line(steady),
                }
                if burst is not None:
                    lat = burst["line_latency_ms"]
                    row |= {
                        "burst_p50_ms": lat["p50"],
                        "burst_p99_ms": lat["p99"],
                        "burst_delivered": burst["delivered"],
                        "burst_expected": burst["expected"],
                    }
                return row | {
                    "reader_closes": r["reader_closes"],
                    "stalled_dropped": r["stalled"]["close_codes"],
                    "rss_max_mb": r["server_rss_mb"]["max"],
                    "rss_end_mb": r["server_rss_mb"]["end"],
                }

            rows.append(await guard(spec.label, one()))
    return rows


# -- all of them -----------------------------------------------------------------------------------
Workload = Callable[[Size, str | None], Awaitable[list[Row]]]


def _variant(label: str, ws_impl: str, deflate: bool = False) -> ServerSpec:
    return ServerSpec(label, "plenary-variant", "plenary", deflate=deflate, ws_impl=ws_impl)


DEFLATE = _variant("plenary accepting compression (stock sansio)", "websockets-sansio", True)


def peers(size: Size) -> list[ServerSpec]:
    plain = [servers.without_deflate(s) for s in (servers.WS_BROADCAST, servers.STARLETTE)]
    if not size.peers:
        return [servers.PLENARY, plain[0]]
    return [servers.PLENARY, *plain, servers.without_deflate(servers.SOCKETIO)]


async def w1(size: Size, redis: str | None) -> list[Row]:
    return await steady(size, peers(size))


async def w4(size: Size, redis: str | None) -> list[Row]:
    specs = [servers.PLENARY] + (
        [servers.without_deflate(servers.WS_BROADCAST)] if size.peers else []
    )
    return [await guard(s.label, many_rooms(size, s)) for s in specs]


async def w5(size: Size, redis: str | None) -> list[Row]:
    if not redis:
        return [{"server": "plenary (Redis)", "error": "redis-server not available"}]
    rows = []
    two = ServerSpec(**{**servers.PLENARY_REDIS.__dict__, "processes": 2})
    specs = [servers.PLENARY_REDIS, two]
    if size.peers:
        sio = servers.without_deflate(servers.SOCKETIO_REDIS)
        specs += [sio, ServerSpec(**{**sio.__dict__, "processes": 2})]
    for spec in specs:
        rows.append(await guard(spec.label, fanout(size, spec, redis=redis)))
    return rows


async def w6(size: Size, redis: str | None) -> list[Row]:
    rows = [await guard("plenary", record(size, servers.PLENARY, None))]
    if redis:
        rows.append(await guard("plenary (Redis)", record(size, servers.PLENARY_REDIS, redis)))
    return rows


async def w7(size: Size, redis: str | None) -> list[Row]:
    specs: list[tuple[ServerSpec, bool]] = [(s, False) for s in peers(size)]
    if size.peers:
        specs += [
            (servers.PLENARY_PURE, False),
            (servers.PLENARY, True),
            (DEFLATE, True),
            (servers.WS_BROADCAST, True),
            (servers.STARLETTE, True),
        ]
    return await idle(size, specs)


async def w8(size: Size, redis: str | None) -> list[Row]:
    specs = peers(size)[:3]
    return await stalled(size, specs)


@dataclass(frozen=True)
class Entry:
    """A workload in the registry (bench/__main__.py): its title, how it runs, its table."""

    title: str
    fn: Workload
    columns: list[tuple[str, str]]
    needs_redis: bool = False


async def run(
    names: list[str],
    registry: dict[str, Entry],
    size: Size,
    log: Callable[[str], None],
    done: Callable[[dict[str, Any]], None] = lambda results: None,
) -> dict[str, Any]:
    """Run the workloads in order; ``done`` sees the results so far after each one."""
    results: dict[str, Any] = {}
    with workdir("plenary-bench-redis-") as rdir, contextlib.ExitStack() as stack:
        redis: str | None = None
        if any(registry[n].needs_redis for n in names):
            try:
                redis = stack.enter_context(redis_server(rdir))
            except RuntimeError as exc:
                log(f"no Redis: {exc}")
        for name in names:
            entry = registry[name]
            t0 = time.monotonic()
            load0 = os.getloadavg()
            log(f"{name} {entry.title} ...")
            rows = await entry.fn(size, redis)
            results[name] = {
                "title": entry.title,
                "rows": rows,
                "wall_s": round(time.monotonic() - t0, 1),
                # The machine is shared: what else ran beside the workload is part of its figures.
                "load_average": {"start": load0, "end": os.getloadavg()},
            }
            log(f"{name} done in {results[name]['wall_s']} s: {json.dumps(rows)[:600]}")
            done(results)
            await asyncio.sleep(0.5)
    return results


__all__ = ["FULL", "MB", "QUICK", "Entry", "Path", "Size", "run"]
