"""The benchmark's quick mode: tiny workloads against real server processes, the real load
generator and the real C floor sender, so that the benchmark (bench/, docs/performance.md)
cannot rot unnoticed. These check that the figures are complete and sane, not how fast anything
is."""

from __future__ import annotations

import dataclasses

import pytest

from bench import fanout, hotpath, storm, workloads
from bench.__main__ import REGISTRY
from bench.floor import floor_run
from bench.report import COLUMNS, render, table
from tests.support import require_binary

pytestmark = pytest.mark.slow

MACHINE = {
    "date": "today",
    "cores": 2,
    "cpu": "cpu",
    "memory_gib": 1,
    "kernel": "k",
    "python": "3",
    "node": "v20",
    "redis_server": "r",
    "packages": {},
    "load_average": (0.0, 0.0, 0.0),
}


CC_ADVICE = "apt-get install gcc (the kernel floor is a C program built at bench time)"


@pytest.fixture(autouse=True)
def _node() -> None:
    require_binary("node", "apt-get install nodejs npm (the load generator runs on Node.js)")
    require_binary("npm", "apt-get install npm (it installs the generator's `ws` package)")


async def test_floor_sender_writes_every_message_and_reports_its_cost() -> None:
    require_binary("cc", CC_ADVICE)
    rows = await floor_run(40, [10, 20], 1.0)
    assert [r["rate"] for r in rows] == [10, 20]
    for r in rows:
        assert r["errors"] == 0 and r["received_complete"], r
        assert r["sends"] == 40 * r["rate"] * 1
        assert r["frame_bytes"] == 154  # a 150-byte payload behind a 4-byte websocket header
        assert 0 < r["us_per_send"] < 10_000 and r["cpu_s"] > 0
        assert r["generator_cpu_pct"] >= 0


async def test_python_floor_sender_makes_the_same_writes_through_the_fan_out_loop() -> None:
    rows = await floor_run(40, [10], 1.0, sender="python")
    (r,) = rows
    assert r["errors"] == 0 and r["received_complete"], r
    assert r["sends"] == 40 * 10 and r["frame_bytes"] == 154
    assert 0 < r["us_per_send"] < 10_000


async def test_an_unknown_floor_sender_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="no floor sender 'rust'"):
        await floor_run(1, [1], 0.1, sender="rust")


async def test_headline_fanout_reports_every_figure_for_every_server_and_the_floor() -> None:
    require_binary("cc", CC_ADVICE)
    plan = fanout.plan_for(quick=True, many=False)
    assert plan.captioners == 1 and plan.repeats >= 3
    rows = await fanout.headline(workloads.QUICK, None)
    labels = [fanout.FLOOR_LABEL, *(s.label for s in plan.specs)]
    assert [r["server"] for r in rows] == labels * len(plan.rates) * len(plan.viewers)
    for r in rows:
        assert "error" not in r, r
        assert r["repeats"] == plan.repeats and len(r["runs"]) == plan.repeats
        assert r["lost"] == 0, r
        for key in ("lines_per_s", "messages_per_s", "deliveries_per_s", "us_per_delivery"):
            s = r[key]
            assert 0 < s["min"] <= s["median"] <= s["max"], (key, r)
        # One captioner and one viewer room: every delivery is one line to one viewer.
        assert r["deliveries_per_s"]["median"] >= r["messages_per_s"]["median"] > 0
        assert r["frames_per_message"] >= 1
        assert r["x_floor"] > 0 and r["generator_cpu_pct"] is not None
        assert r["verdict"] in {"floor", "pass", "fail", "generator-bound", "machine-bound"}
        if r["server"] != fanout.FLOOR_LABEL:
            assert r["p99_ms"]["median"] >= r["p50_ms"] > 0
            assert r["server_wait_pct"] is not None and r["server_wait_pct"] >= 0
            assert all(run["gaps"] == 0 and run["duplicates"] == 0 for run in r["runs"])
            # Every server's viewers are read by the same client, the generator's own.
            assert {run["viewer_client"] for run in r["runs"]} == {"bare"}
    assert rows[0]["x_floor"] == 1.0
    text = table(rows, REGISTRY["fanout"].columns)
    assert text.count("\n") == 1 + len(rows) and "| kernel floor" in text
    assert "\N{MULTIPLICATION SIGN} floor" in text


def test_generator_bound_steps_are_neither_pass_nor_fail() -> None:
    run = {
        "lines_per_s": 40,
        "messages_per_s": 80000,
        "deliveries_per_s": 80000,
        "us_per_delivery": 8.0,
        "p99_ms": 500.0,
        "p50_ms": 100.0,
        "lost": 0,
        "expected": 1,
    }
    busy = fanout.summarise("s", 2000, 40, [{**run, "generator_cpu_pct": 95}] * 3, 100)
    assert busy["verdict"] == "generator-bound"
    slow = fanout.summarise("s", 2000, 40, [{**run, "generator_cpu_pct": 50}] * 3, 100)
    assert slow["verdict"] == "fail"
    quick = {**run, "generator_cpu_pct": 50, "p99_ms": 20}
    fast = fanout.summarise("s", 2000, 40, [quick] * 3, 100)
    waited = {"generator_cpu_pct": 50, "server_wait_pct": 45}
    starved = fanout.summarise("s", 2000, 40, [{**run, **waited}] * 3, 100)
    assert starved["verdict"] == "machine-bound"
    fast_anyway = fanout.summarise("s", 2000, 40, [{**quick, **waited}] * 3, 100)
    assert fast_anyway["verdict"] == "pass"
    assert fast["verdict"] == "pass" and fast["us_per_delivery_txt"] == "8"


async def test_steady_meeting_delivers_every_line_to_every_viewer() -> None:
    rows = await workloads.w1(workloads.QUICK, None)
    assert [r["server"] for r in rows] == ["plenary", "websockets broadcast()"]
    for r in rows:
        assert "error" not in r, r
        assert r["expected"] > 0
        assert r["delivered"] == r["expected"], r
        assert r["gaps"] == 0 and r["duplicates"] == 0
        assert 0 < r["p50_ms"] <= r["p99_ms"] <= r["max_ms"] < 5000
        assert r["live_received"] > 0 and r["live_p50_ms"] is not None
        assert r["server_cpu_s"] > 0 and r["peak_rss_mb"] > 10
        assert r["generator_cpu_pct"] > 0
    text = table(rows, COLUMNS["w1"])
    assert text.count("\n") == 1 + len(rows)
    assert f"| plenary | {workloads.QUICK.steady_viewers[0]} |" in text


async def test_reconnect_storm_resumes_every_viewer_without_gaps() -> None:
    size = dataclasses.replace(workloads.QUICK, peers=True)
    r, *peers = await storm.w3(size, None)
    assert r["server"] == "plenary" and "error" not in r, r
    # The peers take the same drop and reconnects (they have no resume, so nothing to pass).
    assert [p["server"] for p in peers] == ["websockets broadcast()", "Starlette send_text loop"]
    for peer in peers:
        assert "error" not in peer, peer
        assert peer["reconnected"] == size.storm_viewers and peer["verdict"] == "no resume"
        assert peer["server_cpu_us_per_reconnect"] > 0
    assert r["server_cpu_us_per_reconnect"] > 0
    assert r["viewers"] == r["reconnected"] == r["complete"] == size.storm_viewers
    assert r["events"] == size.storm_events
    assert r["gaps"] == 0 and r["duplicates"] == 0
    assert 0 < r["all_complete_s"] < 30
    load = {"start": (1.0, 1.0, 1.0), "end": (2.0, 1.5, 1.0)}
    section = render(
        {"w3": {"title": "reconnect storm", "rows": [r], "wall_s": 1.0, "load_average": load}},
        MACHINE,
        "python -m bench --quick w3",
    )
    assert "### w3: reconnect storm" in section
    assert f"| plenary | {size.storm_viewers} | 40 |" in section
    assert "at the start: 1.0, 1.0, 1.0; at the end: 2.0, 1.5, 1.0" in section


def test_a_storm_passes_only_whole_and_within_its_limit_and_a_starved_generator_is_named() -> None:
    whole = {"viewers": 10, "complete": 10, "gaps": 0, "duplicates": 0, "generator_cpu_pct": 40}
    assert storm.storm_verdict({**whole, "all_complete_s": 2.9}) == "pass"
    assert storm.storm_verdict({**whole, "all_complete_s": 3.5}) == "fail"
    starved = {**whole, "all_complete_s": 3.5, "generator_cpu_pct": 95}
    assert storm.storm_verdict(starved) == "generator-bound"
    # A gap or a missing viewer fails whatever the generator did.
    assert storm.storm_verdict({**starved, "gaps": 1}) == "fail"
    assert storm.storm_verdict({**whole, "complete": 9, "all_complete_s": 1.0}) == "fail"


def test_the_hot_path_measures_viewers_in_the_fast_lane() -> None:
    # per_viewer_us refuses to time a room whose stand-in viewers are not in the lane (it would
    # time nothing); a figure means they were, and wrote to /dev/null.
    assert 0 < hotpath.per_viewer_us(50, rounds=2, frames=2) < 1000


def test_a_storm_row_is_the_median_of_its_runs_with_the_spread() -> None:
    def run(complete_s: float, us: int, gaps: int = 0) -> dict[str, object]:
        return {
            "server": "plenary", "resumes": True, "viewers": 10, "events": 5, "reconnected": 10,
            "complete": 10, "all_reconnected_s": complete_s - 0.1, "all_complete_s": complete_s,
            "gaps": gaps, "duplicates": 0, "ack_p99_ms": 1.0, "server_cpu_s": 1.0,
            "server_cpu_us_per_reconnect": us, "generator_cpu_pct": 40.0, "peak_rss_mb": 50.0,
        }  # fmt: skip

    row = storm.summarise([run(3.4, 700), run(2.5, 500), run(2.8, 520)])
    assert row["repeats"] == 3 and row["all_complete_s"] == 2.8
    assert row["all_complete_s_txt"] == "2.8 (2.5\N{EN DASH}3.4)"
    assert row["server_cpu_us_per_reconnect"] == 520 and row["verdict"] == "pass"
    # A gap in any run fails the row, and a run that failed is what the row shows.
    assert storm.summarise([run(2.5, 500), run(2.5, 500, gaps=1)])["verdict"] == "fail"
    broken = {"server": "plenary", "error": "RuntimeError: no welcome"}
    assert storm.summarise([run(2.5, 500), broken]) == broken
