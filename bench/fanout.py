"""Fan-out measured like for like: the same steps for every server and for the kernel floor.

A step is one rate of committed lines into one room of N viewers. For every server, every step is
run ``repeats`` times (each repeat a fresh server, the servers taken in turn so that a change in
the machine's load falls on all of them), and the table shows the median of the repeats with
their spread (lowest to highest). Per step it reports what a viewer receives (lines/s, websocket
messages/s, deliveries/s, frames per message) and what it cost the server (CPU µs per delivery),
beside the same sends made by bench/floor.c, a C sender that writes pre-framed messages to the
same number of loopback sockets at the same rate. The server's µs per delivery divided by the
floor's µs per send is the figure that compares across runs and machines.

A step in which the generator's core was above ``GENERATOR_BOUND_PCT`` is marked
generator-bound: what it shows is the generator's limit, not the server's, and it counts as
neither a pass nor a failure.

Two workloads use this:

- ``fanout``, the headline: ONE captioner connection in the room, as a meeting has, so one line
  is one commit and (unless the server groups them) one message.
- ``fanout-many``: several captioner connections in the room, so lines arrive faster than one
  connection may send and a server that commits in groups can send several lines per message.
  A secondary table: no meeting has seven captioners typing at once.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from bench import servers
from bench.floor import PAYLOAD_BYTES, floor_run
from bench.measure import stream_run
from bench.servers import ServerSpec

Row = dict[str, Any]

GENERATOR_BOUND_PCT = 80.0
# A server that spent more than this share of a step runnable but waiting for a core (other work
# on a shared machine) was not measured, the machine was: such a step is marked machine-bound.
MACHINE_BOUND_WAIT_PCT = 20.0
FLOOR_LABEL = "kernel floor (C sender, bench/floor.c)"


@dataclass(frozen=True)
class Plan:
    viewers: tuple[int, ...]
    rates: tuple[float, ...]
    step_s: float
    repeats: int
    captioners: int
    specs: tuple[ServerSpec, ...]
    line_bytes: int = PAYLOAD_BYTES
    p99_limit_ms: float = 100


PEERS = (
    servers.without_deflate(servers.WS_BROADCAST),
    servers.without_deflate(servers.STARLETTE),
)
HEADLINE = Plan(
    viewers=(2000, 5000),
    rates=(10, 20, 40),
    step_s=5,
    repeats=3,
    captioners=1,
    specs=(servers.PLENARY, servers.PLENARY_PURE, *PEERS),
)
# Big enough that each step's server CPU is many of /proc's 10 ms ticks.
HEADLINE_QUICK = Plan(
    viewers=(200,),
    rates=(20,),
    step_s=1.5,
    repeats=3,
    captioners=1,
    specs=(servers.PLENARY, PEERS[0]),
)
# Seven connections, as the earlier maximum fan-out workload had, so that 125 lines/s stays under
# the server's per-connection message rate (server/limits.py CLIENT_RATE_PER_S).
MANY = Plan(
    viewers=(2000,),
    rates=(40, 80, 125),
    step_s=5,
    repeats=3,
    captioners=7,
    specs=(servers.PLENARY, PEERS[0]),
)
MANY_QUICK = Plan(
    viewers=(50,), rates=(20,), step_s=1.5, repeats=3, captioners=3, specs=(servers.PLENARY,)
)


def _phases(plan: Plan) -> list[dict[str, Any]]:
    warm = {"name": "warm-up", "duration": 2, "commitRate": 5, "liveRate": 0, "drain": 2}
    steps = [
        {"name": f"{rate:g}/s", "duration": plan.step_s, "commitRate": rate, "liveRate": 0}
        for rate in plan.rates
    ]
    return [{"drain": 2, **p, "lineBytes": plan.line_bytes} for p in [warm, *steps]]


def _measure(ph: dict[str, Any]) -> dict[str, Any]:
    """One step of one run, as the figures the table shows."""
    delivered = ph["delivered"]
    messages = ph.get("messages") or 0
    return {
        "lines_per_s": round(ph["commits_sent"] / ph["duration_s"], 1),
        "messages_per_s": ph["messages_per_s"],
        "deliveries_per_s": ph["deliveries_per_s"],
        "frames_per_message": round(delivered / messages, 2) if messages else None,
        "bytes_per_message": ph.get("bytes_per_message"),
        "us_per_delivery": round(ph["server_cpu_s"] * 1e6 / delivered, 2) if delivered else None,
        "server_cpu_pct": ph["server_cpu_pct"],
        "server_wait_pct": ph.get("server_wait_pct"),
        "generator_cpu_pct": ph["generator_cpu_pct"],
        "p50_ms": ph["line_latency_ms"]["p50"],
        "p99_ms": ph["line_latency_ms"]["p99"],
        "lost": ph["expected"] - delivered,
        "expected": ph["expected"],
    }


def spread(values: list[float | None]) -> dict[str, float] | None:
    vals = [v for v in values if v is not None]
    if not vals:
        return None
    return {
        "median": round(statistics.median(vals), 2),
        "min": round(min(vals), 2),
        "max": round(max(vals), 2),
    }


def spread_text(s: dict[str, float] | None) -> str:
    if s is None:
        return "-"
    if s["min"] == s["max"]:
        return f"{s['median']:g}"
    return f"{s['median']:g} ({s['min']:g}\N{EN DASH}{s['max']:g})"


SPREAD_KEYS = ("lines_per_s", "messages_per_s", "deliveries_per_s", "us_per_delivery", "p99_ms")
MEDIAN_KEYS = (
    "frames_per_message",
    "bytes_per_message",
    "server_cpu_pct",
    "server_wait_pct",
    "generator_cpu_pct",
    "p50_ms",
)


def summarise(
    label: str, viewers: int, rate: float, runs: list[dict[str, Any]], p99_limit_ms: float
) -> Row:
    """The median row of one step over its repeats, with the verdict."""
    row: Row = {"server": label, "viewers": viewers, "rate": rate, "repeats": len(runs)}
    for key in SPREAD_KEYS:
        row[key] = spread([r.get(key) for r in runs])
        row[f"{key}_txt"] = spread_text(row[key])
    for key in MEDIAN_KEYS:
        s = spread([r.get(key) for r in runs])
        row[key] = s["median"] if s else None
    row["lost"] = sum(r.get("lost", 0) for r in runs)
    row["expected"] = sum(r.get("expected", 0) for r in runs)
    gen = row["generator_cpu_pct"] or 0
    p99 = row["p99_ms"]["median"] if row["p99_ms"] else None
    if gen > GENERATOR_BOUND_PCT:
        row["verdict"] = "generator-bound"
    elif row["lost"] == 0 and p99 is not None and p99 <= p99_limit_ms:
        row["verdict"] = "pass"  # even if it had to wait for a core
    elif (row["server_wait_pct"] or 0) > MACHINE_BOUND_WAIT_PCT:
        row["verdict"] = "machine-bound"
    else:
        row["verdict"] = "fail"
    row["runs"] = runs
    return row


async def _server_runs(plan: Plan, spec: ServerSpec, viewers: int, redis: str | None) -> list[Row]:
    """One repeat: every step for one server, each step's figures (or the error)."""
    try:
        r = await stream_run(
            spec,
            viewers=viewers,
            phases=_phases(plan),
            captioners=plan.captioners,
            redis=redis if spec.redis else None,
            pause=1,
        )
    except Exception as exc:
        return [{"error": f"{type(exc).__name__}: {exc}"[:300]} for _ in plan.rates]
    steps = r["phases"][1:]
    out = [_measure(ph) for ph in steps]
    out += [{"error": "step not reached"} for _ in range(len(plan.rates) - len(out))]
    for step in out:
        step["viewer_client"] = r["viewer_client"]
        step["gaps"] = r["gaps"]
        step["duplicates"] = r["duplicates"]
    return out


async def _floor_runs(plan: Plan, viewers: int) -> list[Row]:
    try:
        rows = await floor_run(viewers, list(plan.rates), plan.step_s, plan.line_bytes)
    except Exception as exc:
        return [{"error": f"{type(exc).__name__}: {exc}"[:300]} for _ in plan.rates]
    return [
        {
            "lines_per_s": f["rate"],
            # Over the time the sends took: a sender that cannot keep the rate takes longer.
            "messages_per_s": round(f["sends"] / max(plan.step_s, f["wall_s"])),
            "deliveries_per_s": round(f["sends"] / max(plan.step_s, f["wall_s"])),
            "frames_per_message": 1,
            "bytes_per_message": f["frame_bytes"],
            "us_per_delivery": f["us_per_send"],
            "server_cpu_pct": round(100 * f["cpu_s"] / max(plan.step_s, f["wall_s"]), 1),
            "generator_cpu_pct": f["generator_cpu_pct"],
            "lost": 0 if f["received_complete"] and not f["errors"] else f["sends"],
            "expected": f["sends"],
        }
        for f in rows
    ]


async def stepped(plan: Plan, redis: str | None = None) -> list[Row]:
    """Every server and the floor over every step, ``plan.repeats`` times; a row per step."""
    rows: list[Row] = []
    for viewers in plan.viewers:
        labels = [FLOOR_LABEL, *(s.label for s in plan.specs)]
        runs: dict[str, list[list[Row]]] = {label: [] for label in labels}
        for _ in range(plan.repeats):
            runs[FLOOR_LABEL].append(await _floor_runs(plan, viewers))
            for spec in plan.specs:
                runs[spec.label].append(await _server_runs(plan, spec, viewers, redis))
        for i, rate in enumerate(plan.rates):
            floor_us: float | None = None
            for label in labels:
                step_runs = [rep[i] for rep in runs[label]]
                errors = [r["error"] for r in step_runs if "error" in r]
                good = [r for r in step_runs if "error" not in r]
                if not good:
                    rows.append({"server": label, "viewers": viewers, "error": errors[0]})
                    continue
                row = summarise(label, viewers, rate, good, plan.p99_limit_ms)
                if errors:
                    row["errors"] = errors
                us = row["us_per_delivery"]["median"] if row["us_per_delivery"] else None
                if label == FLOOR_LABEL:
                    floor_us = us
                    row["verdict"] = "floor"
                    row["p99_ms_txt"] = "-"
                row["x_floor"] = round(us / floor_us, 2) if us and floor_us else None
                rows.append(row)
    return rows


COLUMNS = [
    ("server", "server"),
    ("viewers", "viewers"),
    ("rate", "lines/s offered"),
    ("lines_per_s_txt", "lines/s"),
    ("messages_per_s_txt", "messages/s"),
    ("deliveries_per_s_txt", "deliveries/s"),
    ("frames_per_message", "frames/message"),
    ("bytes_per_message", "bytes/message"),
    ("us_per_delivery_txt", "server CPU µs/delivery"),
    ("x_floor", "\N{MULTIPLICATION SIGN} floor"),
    ("server_cpu_pct", "server CPU %"),
    ("server_wait_pct", "server waited for a core %"),
    ("generator_cpu_pct", "generator CPU %"),
    ("p50_ms", "p50 ms"),
    ("p99_ms_txt", "p99 ms"),
    ("lost", "lost"),
    ("verdict", "verdict"),
]


def plan_for(quick: bool, many: bool) -> Plan:
    if many:
        return MANY_QUICK if quick else MANY
    return HEADLINE_QUICK if quick else HEADLINE


async def headline(size: Any, redis: str | None) -> list[Row]:
    return await stepped(plan_for(size.quick, many=False))


async def many_captioners(size: Any, redis: str | None) -> list[Row]:
    return await stepped(plan_for(size.quick, many=True))
