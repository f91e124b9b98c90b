"""Workload w3, the reconnect storm: every viewer of a room drops at once while lines are
committed, then every one reconnects at once.

plenary resumes each viewer from the last line it holds (the backlog from memory), and passes
when every viewer holds every line, once, within ``STORM_LIMIT_S``. The peers take the same drop,
lines and reconnects through the same client; they have no resume (their viewers lose what was
sent while they were away), so their rows are there for what the same handshakes cost them:
server CPU per reconnect, like for like. Each server is run ``size.storm_repeats`` times, in turn
(so that a change in the machine's load falls on all of them); a row is the median of its runs
with the spread.
"""

from __future__ import annotations

import statistics
from typing import Any

from bench import servers
from bench.fanout import GENERATOR_BOUND_PCT, spread, spread_text
from bench.measure import drive, gen_config
from bench.procs import workdir
from bench.servers import ServerSpec, launch
from bench.workloads import Size, guard

Row = dict[str, Any]

# Every viewer holds every event within this many seconds of the drop (the target).
STORM_LIMIT_S = 3.0

# The peers that a bare websocket client can speak to (python-socketio needs Engine.IO).
PEERS = tuple(servers.without_deflate(s) for s in (servers.WS_BROADCAST, servers.STARLETTE))

# Figures shown as the median with the spread of the runs (lowest to highest).
SPREAD_KEYS = ("all_reconnected_s", "all_complete_s", "server_cpu_us_per_reconnect")


async def storm(size: Size, spec: ServerSpec) -> Row:
    """One run of the storm against a fresh server."""
    with workdir() as dir_, launch(spec, dir_) as srv:
        config = gen_config(
            srv,
            viewers=size.storm_viewers,
            captioners=5,
            mode="storm",
            events=size.storm_events,
            warmup=20,
            timeout=60,
        )
        r = await drive(srv, config, dir_, timeout=600)
    if "error" in r:
        raise RuntimeError(r["error"])
    cpu = r.get("server_cpu_s")
    return {
        "server": spec.label,
        "resumes": r["resumes"],
        "viewers": r["viewers"],
        "events": r["events"],
        "reconnected": r["reconnected"],
        "complete": r["complete"],
        "all_reconnected_s": r["all_reconnected_s"],
        "all_complete_s": r["complete_s"] if r["resumes"] else None,
        "gaps": r["gaps"] if r["resumes"] else None,
        "duplicates": r["duplicates"],
        "ack_p99_ms": r["ack_latency_ms"]["p99"],
        "server_cpu_s": cpu,
        # Everything the server did in the storm (the drops, the handshakes, the hellos, the
        # lines), per viewer that came back.
        "server_cpu_us_per_reconnect": (
            round(cpu * 1e6 / r["reconnected"]) if cpu is not None and r["reconnected"] else None
        ),
        "generator_cpu_pct": r["generator_cpu_pct"],
        "peak_rss_mb": r["server_peak_rss_mb"],
    }


def storm_verdict(r: Row) -> str:
    """pass: every viewer complete, no gap, no duplicate, within ``STORM_LIMIT_S``; a slower
    storm with the generator's core above ``GENERATOR_BOUND_PCT`` measured the generator, not
    the server (generator-bound). A peer has nothing to pass."""
    if not r.get("resumes", True):
        return "no resume"
    whole = r["complete"] == r["viewers"] and not r["gaps"] and not r["duplicates"]
    if whole and r["all_complete_s"] <= STORM_LIMIT_S:
        return "pass"
    if whole and (r["generator_cpu_pct"] or 0) > GENERATOR_BOUND_PCT:
        return "generator-bound"
    return "fail"


def summarise(runs: list[Row]) -> Row:
    """One server's row: the medians of its runs, the spread of ``SPREAD_KEYS``, the totals of
    what must be zero, the fewest viewers complete; the verdict of that row."""
    failed = [r for r in runs if "error" in r]
    if failed:
        return failed[0]
    row: Row = {"server": runs[0]["server"], "resumes": runs[0]["resumes"], "repeats": len(runs)}
    for key in ("viewers", "events", "reconnected", "complete"):
        values = [r[key] for r in runs if r[key] is not None]
        row[key] = min(values) if values else None
    for key in ("gaps", "duplicates"):
        values = [r[key] for r in runs if r[key] is not None]
        row[key] = sum(values) if values else None
    for key in ("ack_p99_ms", "server_cpu_s", "generator_cpu_pct", "peak_rss_mb", *SPREAD_KEYS):
        values = [r[key] for r in runs if r[key] is not None]
        row[key] = round(statistics.median(values), 3) if values else None
    for key in SPREAD_KEYS:
        row[f"{key}_txt"] = spread_text(spread([r[key] for r in runs]))
    row["verdict"] = storm_verdict(row)
    row["runs"] = runs
    return row


async def w3(size: Size, redis: str | None) -> list[Row]:
    specs = (servers.PLENARY, *PEERS) if size.peers else (servers.PLENARY,)
    runs: dict[str, list[Row]] = {spec.label: [] for spec in specs}
    for _ in range(size.storm_repeats):
        for spec in specs:
            runs[spec.label].append(await guard(spec.label, storm(size, spec)))
    return [summarise(r) for r in runs.values()]
