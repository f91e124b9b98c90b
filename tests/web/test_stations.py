"""Caption stations: a room hands out one caption URL per captioner or CAT station, each with its
own seq counter and its own name in the record; the chair issues and revokes them over HTTP (the
chair console) as the operator does on the command line (tests/ops/test_push.py)."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import LiveServer
from tests.web.caption_support import caption_url, last_seq, line_events, lines, post


@pytest.fixture
async def http() -> httpx.AsyncClient:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


def chair(live: LiveServer) -> dict[str, str]:
    return {"authorization": f"Bearer {live.keys['chair']}"}


def stations_url(live: LiveServer, room: str = "plenary") -> str:
    return f"{live.base}/api/m/{live.meeting.id}/{room}/stations"


def key_of(url: str) -> str:
    return url.split("key=", 1)[1].split("&")[0]


async def add_station(http: httpx.AsyncClient, live: LiveServer, name: str) -> dict:
    r = await http.post(stations_url(live), json={"name": name}, headers=chair(live))
    assert r.status_code == 200, r.text
    return r.json()


async def test_the_chair_issues_a_station_with_its_own_links(live: LiveServer, http) -> None:
    r = await http.get(stations_url(live), headers=chair(live))
    assert r.status_code == 200
    (first,) = r.json()["stations"]  # the one `meeting create` made
    assert first["name"] == "Captioner, Plenary" and not first["revoked"]
    assert first["caption_api"] == ""  # keys are not kept: links are shown when issued
    made = await add_station(http, live, "CAT station 2 (Ben)")
    base = live.base  # links for the address the chair used
    assert made["captioner"].startswith(f"{base}/m/{live.meeting.id}/plenary/caption#key=")
    assert made["caption_api"].startswith(f"{base}/api/caption/{live.meeting.id}/plenary?key=")
    assert made["youtube_api"].startswith(f"{base}/api/youtube/{live.meeting.id}/plenary?key=")
    listed = (await http.get(stations_url(live), headers=chair(live))).json()["stations"]
    names = [s["name"] for s in listed]
    assert names == ["Captioner, Plenary", "CAT station 2 (Ben)"]
    # Its URL works as captioning software uses it.
    r = await http.post(made["caption_api"] + "&seq=1&lang=en-US", content="From station 2.\n")
    assert r.status_code == 200
    assert await lines(live) == ["From station 2."]


async def test_two_stations_each_count_and_sign_their_own_lines(live: LiveServer, http) -> None:
    """A hand-off between two CAT stations: the second starts its own count at 1 while the
    first is at 3, and the record says who wrote what."""
    second = key_of((await add_station(http, live, "CAT station 2"))["caption_api"])
    for n, text in enumerate(["Station one, first.\n", "Station one, second.\n", "Over to "], 1):
        assert (await post(http, live, text, n)).status_code == 200
    assert (await post(http, live, "Station two takes over.\n", 1, key=second)).status_code == 200
    assert (await post(http, live, "you.\n", 4)).status_code == 200
    assert (await post(http, live, "Station two, second.\n", 2, key=second)).status_code == 200
    got = [(e.data["captioner"], e.data["text"]) for e in await line_events(live)]
    assert got == [
        ("Captioner, Plenary", "Station one, first."),
        ("Captioner, Plenary", "Station one, second."),
        ("CAT station 2", "Station two takes over."),
        ("Captioner, Plenary", "Over to you."),  # its open line was its own, not station two's
        ("CAT station 2", "Station two, second."),
    ]
    assert (await last_seq(http, live)).json() == 4
    assert (await last_seq(http, live, key=second)).json() == 2


async def test_two_writers_on_one_url_lose_nothing(live: LiveServer, http) -> None:
    """Two programs given the same URL each count from 1: both are recorded (the texts
    differ), though they share the open line; each writer should have its own station."""
    for n in (1, 2):
        assert (await post(http, live, f"Writer A line {n}.\n", n)).status_code == 200
        assert (await post(http, live, f"Writer B line {n}.\n", n)).status_code == 200
    assert sorted(await lines(live)) == sorted(
        ["Writer A line 1.", "Writer A line 2.", "Writer B line 1.", "Writer B line 2."]
    )


async def test_a_revoked_station_stops_and_the_others_go_on(live: LiveServer, http) -> None:
    made = await add_station(http, live, "Speech engine")
    engine = key_of(made["caption_api"])
    assert (await post(http, live, "Engine line.\n", 1, key=engine)).status_code == 200
    r = await http.post(
        f"{stations_url(live)}/{made['station']}/revoke", headers=chair(live), content=b""
    )
    assert r.status_code == 200 and r.json()["revoked"] is True
    r = await post(http, live, "After the revocation.\n", 2, key=engine)
    assert r.status_code == 403
    assert (await post(http, live, "The first station still works.\n", 1)).status_code == 200
    assert await lines(live) == ["Engine line.", "The first station still works."]


async def test_station_requests_that_are_refused(live: LiveServer, http) -> None:
    await add_station(http, live, "CAT 2")
    r = await http.post(stations_url(live), json={"name": "cat 2"}, headers=chair(live))
    assert r.status_code == 409 and "already" in r.json()["error"]  # a request sent twice
    r = await http.post(stations_url(live), json={"name": "  "}, headers=chair(live))
    assert r.status_code == 400
    r = await http.post(stations_url(live, "nosuchroom"), json={"name": "x"}, headers=chair(live))
    assert r.status_code == 404
    captioner = {"authorization": f"Bearer {live.captioner_key()}"}
    r = await http.post(stations_url(live), json={"name": "mine"}, headers=captioner)
    assert r.status_code == 403
    r = await http.get(stations_url(live), headers=captioner)
    assert r.status_code == 403
    r = await http.post(f"{stations_url(live)}/nosuch/revoke", headers=chair(live))
    assert r.status_code == 404
    # A station of another room is not revoked through this one.
    other = live.captioner_key("break-out-a").split(".")[0]
    r = await http.post(f"{stations_url(live)}/{other}/revoke", headers=chair(live))
    assert r.status_code == 404


async def test_a_station_url_is_for_its_room_only(live: LiveServer, http) -> None:
    made = await add_station(http, live, "CAT 2")
    url = caption_url(live, "break-out-a")
    r = await http.post(url, params={"key": key_of(made["caption_api"]), "seq": 1}, content="x\n")
    assert r.status_code == 403
