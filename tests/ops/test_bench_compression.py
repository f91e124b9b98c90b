"""The compression workload's quick mode (bench/compression.py): the demo replayed with counting
viewers, then plenary plain, plenary compressed once per room and `websockets`' per-connection
compression with real server processes and the real load generator. Checks that every figure is
there and sane, not how fast anything is."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import compression
from tests.support import require_binary

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _binaries() -> None:
    require_binary("node", "apt-get install nodejs npm (the load generator runs on Node.js)")
    require_binary("npm", "apt-get install npm (it installs the generator's `ws` package)")
    require_binary("ss", "apt-get install iproute2 (bytes on the wire are read with ss)")


async def test_quick_compression_workload_gives_complete_figures(tmp_path: Path) -> None:
    res = await compression.run(compression.QUICK, lambda _: None)

    session = res["session"]
    assert session["plenary_lines"] > 20 and session["lines"] >= session["plenary_lines"]
    assert 0 < session["mean_words_per_line"] < 60 and session["lines_per_hour"] > 100
    plain, deflate = session["plain"], session["deflate"]
    assert plain["negotiated"] == ""
    agreed = {p.strip() for p in deflate["negotiated"].split(";")}
    assert {"permessage-deflate", "server_no_context_takeover", "client_no_context_takeover"} <= (
        agreed
    )
    # Both viewers saw the same meeting; the compressed one in fewer bytes.
    assert plain["messages"] > session["plenary_lines"]
    assert 0 < deflate["bytes"] < plain["bytes"]
    assert 0 < deflate["mb_per_hour"] < plain["mb_per_hour"]
    assert 0 < session["saved_pct"] < 100

    rows = {(r["server"], r["lines_per_s"]): r for r in res["fanout"]}
    assert list(rows) == [(m.label, rate) for rate in compression.RATES for m in compression.MODES]
    for r in rows.values():
        assert r["runs"] == compression.QUICK.runs
        assert r["expected"] > 0 and r["delivered"] == r["expected"], r
        assert r["bytes_per_line_per_viewer"] > 20, r  # at least a frame's header and a line
        # /proc counts CPU in 10 ms ticks: a quick phase may use less than one.
        assert r["server_cpu_us_per_delivery"] >= 0 and r["p50_ms"] is not None
    for rate in compression.RATES:
        plain_row, shared, theirs = (rows[m.label, rate] for m in compression.MODES)
        assert shared["bytes_per_line_per_viewer"] < plain_row["bytes_per_line_per_viewer"]
        assert theirs["bytes_per_line_per_viewer"] > 0
        assert f"{rate}/s" in res["cpu_ratio_compressed_to_plain"]

    doc = tmp_path / "performance.md"
    doc.write_text("# Performance\n\nkept\n")
    compression.write_doc(doc, compression.render(res, "today"))
    compression.write_doc(doc, compression.render(res, "again"))  # replaced, not appended
    text = doc.read_text()
    assert text.count(compression.START) == 1 and "kept" in text and "Run again" in text
    assert "| plenary, compressed once per room |" in text
