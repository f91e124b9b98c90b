"""What operators see: the health endpoint and the Prometheus metrics."""

from __future__ import annotations

import httpx

from server.domain.keys import room_key
from tests.conftest import LiveServer
from tests.support import Client


async def test_health_reports_the_backend(live: LiveServer) -> None:
    async with httpx.AsyncClient() as http:
        r = await http.get(f"{live.base}/healthz")
    assert r.status_code == 200
    body = r.json()
    assert body["ok"] is True and body["backend"] in ("embedded", "redis")


async def test_metrics_count_connections_events_and_lag(live: LiveServer) -> None:
    viewer = await Client.connect(live.base_ws, live.meeting.id, "plenary")
    cap = await Client.connect(
        live.base_ws, live.meeting.id, "plenary", key=live.captioner_key(), client="c"
    )
    await cap.send(type="commit", n=1, text="Counted.")
    await viewer.recv_type("line")
    async with httpx.AsyncClient() as http:
        text = (await http.get(f"{live.base}/metrics")).text
    room = room_key(live.meeting.id, "plenary")
    assert f'plenary_connections{{room="{room}"}} 2.0' in text
    for name in (
        "plenary_events_delivered_total",
        "plenary_appends_total",
        "plenary_fanout_lag_seconds_count",
        "plenary_slow_clients_dropped_total",
        "plenary_gap_repairs_total",
    ):
        assert name in text, name
    delivered = next(
        float(line.split()[-1])
        for line in text.splitlines()
        if line.startswith("plenary_events_delivered_total")
    )
    assert delivered >= 1
    await viewer.close()
    await cap.close()
