"""The benchmark's quick mode: tiny workloads against real server processes and the real load
generator, so that the benchmark (bench/, docs/performance.md) cannot rot unnoticed."""

from __future__ import annotations

import pytest

from bench import workloads
from bench.report import COLUMNS, render, table
from tests.support import require_binary

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _node() -> None:
    require_binary("node", "apt-get install nodejs npm (the load generator runs on Node.js)")
    require_binary("npm", "apt-get install npm (it installs the generator's `ws` package)")


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
    assert text.count("\n") == 1 + len(rows) and "| plenary | 50 |" in text


async def test_reconnect_storm_resumes_every_viewer_without_gaps() -> None:
    size = workloads.QUICK
    [r] = await workloads.w3(size, None)
    assert "error" not in r, r
    assert r["viewers"] == r["reconnected"] == r["complete"] == size.storm_viewers
    assert r["events"] == size.storm_events
    assert r["gaps"] == 0 and r["duplicates"] == 0
    assert 0 < r["all_complete_s"] < 30
    section = render(
        {"w3": {"title": "reconnect storm", "rows": [r], "wall_s": 1.0}},
        {
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
        },
        "python -m bench --quick w3",
    )
    assert "### 3. reconnect storm" in section and "| plenary | 50 | 40 |" in section
