"""Caption channels: a room's floor and its interpretation channels, each its own log with its own
gap-free seq, captioners, caption URLs and exports, and every line attributed as the floor's."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import websockets
from hypothesis import given
from hypothesis import strategies as st

from server.backends.base import read_all
from server.domain import channels
from server.domain.keys import room_key
from server.record import documents
from server.web.protocol import BadMessage, Hello, parse_client_message
from tests.conftest import LiveServer
from tests.support import Client
from tests.web.test_floor_ws import Cmd, until


@pytest.fixture
async def http() -> httpx.AsyncClient:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


def chair(live: LiveServer) -> dict[str, str]:
    return {"authorization": f"Bearer {live.keys['chair']}"}


def key_of(url: str) -> str:
    return url.split("key=", 1)[1].split("&")[0]


async def add_channel(
    http: httpx.AsyncClient, live: LiveServer, tag: str, room: str = "plenary"
) -> dict[str, Any]:
    r = await http.post(
        f"{live.base}/api/m/{live.meeting.id}/{room}/channels",
        json={"channel": tag},
        headers=chair(live),
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


async def channel_lines(live: LiveServer, channel: str, room: str = "plenary") -> list[Any]:
    key = room_key(live.meeting.id, room, channel)
    return [e for e in await read_all(live.plenary.backend, key) if e.type == "line"]


async def commit(client: Client, n: int, text: str) -> dict[str, Any]:
    await client.send(type="commit", n=n, text=text, speaker="")
    return await client.recv_type("ack", "error")


async def test_two_channels_in_one_room_each_with_its_own_log(
    live: LiveServer, http: httpx.AsyncClient
) -> None:
    made = await add_channel(http, live, "FR")  # written in its standard form
    assert made["channel"] == "fr" and made["channels"] == ["floor", "fr"]
    assert made["viewer"].endswith(f"/m/{live.meeting.id}/plenary?channel=fr")
    assert "/caption?channel=fr#key=" in made["captioner"]
    again = await http.post(
        f"{live.base}/api/m/{live.meeting.id}/plenary/channels",
        json={"channel": "fr"},
        headers=chair(live),
    )
    assert again.status_code == 409 and "already" in again.json()["error"]
    bad = await http.post(
        f"{live.base}/api/m/{live.meeting.id}/plenary/channels",
        json={"channel": "not a language"},
        headers=chair(live),
    )
    assert bad.status_code == 400 and "BCP 47" in bad.json()["error"]

    chair_ws = await Client.connect(
        live.base_ws, live.meeting.id, "plenary", key=live.keys["chair"], client="chair-1"
    )
    c = Cmd(chair_ws)
    item = await c("agenda.add", number="5", title="Way forward")
    await c("agenda.current", item=item["seq"])
    await c("floor.add", name="Ms. Ana Silva")
    state = (await live.plenary.rooms.get(live.meeting.id, "plenary")).state
    granted = await c("floor.grant", entry=state.floor.waiting[0].id)
    assert granted["type"] == "ack"

    floor_cap = await Client.connect(
        live.base_ws, live.meeting.id, "plenary", key=live.captioner_key(), client="cap-en"
    )
    fr_cap = await Client.connect(
        live.base_ws, live.meeting.id, "plenary", key=key_of(made["captioner"]), client="cap-fr"
    )
    assert floor_cap.welcome["channel"] == "floor"
    assert fr_cap.welcome["channel"] == "fr"  # its link's channel, without naming it
    assert fr_cap.welcome["last_seq"] == 0  # a log of its own
    rooms = {r["id"]: r for r in fr_cap.welcome["rooms"]}
    assert rooms["plenary"]["channels"] == ["floor", "fr"]
    assert rooms["break-out-a"]["channels"] == ["floor"]

    fr_viewer = await Client.connect(live.base_ws, live.meeting.id, "plenary", channel="fr")
    floor_viewer = await Client.connect(live.base_ws, live.meeting.id, "plenary")
    floor_seq = floor_viewer.welcome["last_seq"]
    assert fr_viewer.welcome["channel"] == "fr" and fr_viewer.welcome["last_seq"] == 0

    en = await commit(floor_cap, 1, "Thank you, Chair.")
    fr = await commit(fr_cap, 1, "Merci, Monsieur le Président.")
    fr2 = await commit(fr_cap, 2, "Nous appuyons la proposition.")
    assert en["seq"] == floor_seq + 1
    assert (fr["seq"], fr2["seq"]) == (1, 2)  # gap-free, its own

    line = await until(fr_viewer, 2)
    assert line["type"] == "line" and line["data"]["text"] == "Nous appuyons la proposition."
    assert line["data"]["lang"] == "fr"
    # Attributed as the floor's lines are: the floor holder and the agenda item.
    assert line["data"]["speaker"] == "Ms. Ana Silva" and line["data"]["intervention"]
    assert line["data"]["item"] == item["seq"]
    seen_fr = [f["data"]["text"] for f in fr_viewer.frames if f["type"] == "line"]
    assert seen_fr == ["Merci, Monsieur le Président.", "Nous appuyons la proposition."]
    floor_line = await until(floor_viewer, en["seq"])
    assert floor_line["data"]["text"] == "Thank you, Chair."
    assert floor_line["data"]["intervention"] == line["data"]["intervention"]
    assert not [f for f in floor_viewer.frames if f["type"] == "line" and "Merci" in str(f)]

    # Corrections stay within their channel: seq 1 of the French channel, not the floor's.
    await fr_cap.send(type="correct", n=3, line=1, text="Merci, Madame la Présidente.")
    fixed = await fr_cap.recv_type("ack", "error")
    assert fixed["type"] == "ack" and fixed["seq"] == 3
    await fr_cap.send(type="correct", n=4, line=en["seq"], text="not in this channel")
    refused = await fr_cap.recv_type("ack", "error")
    assert refused["type"] == "error" and refused["code"] == "no_such_line"

    # The French captioner's link may follow the floor (its page shows who has the floor) but
    # not write in it; a channel the room lacks is refused with the room's channels named.
    reader = await Client.connect(
        live.base_ws, live.meeting.id, "plenary", key=key_of(made["captioner"]), channel="floor"
    )
    assert reader.welcome["channel"] == "floor"
    await reader.send(type="commit", n=1, text="not mine to write", speaker="")
    refused = await reader.recv_type("ack", "error")
    assert refused["type"] == "error" and refused["code"] == "forbidden"
    await reader.send(type="edit", ins="nor this")
    assert (await reader.recv_type("error"))["code"] == "forbidden"
    await reader.close()
    assert "not mine to write" not in str([e.data for e in await channel_lines(live, "floor")])
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await Client.connect(live.base_ws, live.meeting.id, "plenary", channel="de")
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4404
    assert "floor (en), fr" in closed.value.rcvd.reason

    # Typing in one channel is that channel's live line only.
    await fr_cap.send(type="edit", ins="Je")
    live_fr = await fr_viewer.recv_type("live")
    assert live_fr["data"]["lines"][0]["text"] == "Je"
    for client in (chair_ws, floor_cap, fr_cap, fr_viewer, floor_viewer):
        await client.close()


async def test_switching_channel_resumes_each_exactly(
    live: LiveServer, http: httpx.AsyncClient
) -> None:
    """A reader follows the floor, switches to French and back: each channel resumes from its
    own cursor, with no gap and no repeat."""
    made = await add_channel(http, live, "fr")
    floor_cap = await Client.connect(
        live.base_ws, live.meeting.id, "plenary", key=live.captioner_key(), client="en"
    )
    fr_cap = await Client.connect(
        live.base_ws, live.meeting.id, "plenary", key=key_of(made["captioner"]), client="fr"
    )
    for n in range(1, 4):
        await commit(floor_cap, n, f"floor {n}")
        await commit(fr_cap, n, f"français {n}")
    reader = await Client.connect(live.base_ws, live.meeting.id, "plenary")
    floor_cursor = (await reader.events_until(reader.welcome["last_seq"]))[-1]["seq"]
    await reader.close()
    reader = await Client.connect(live.base_ws, live.meeting.id, "plenary", channel="fr")
    got = await reader.events_until(3)
    assert [f["data"]["text"] for f in got] == ["français 1", "français 2", "français 3"]
    fr_cursor = got[-1]["seq"]
    await reader.close()
    # Meanwhile both channels go on.
    for n in range(4, 6):
        await commit(floor_cap, n, f"floor {n}")
        await commit(fr_cap, n, f"français {n}")
    reader = await Client.connect(
        live.base_ws, live.meeting.id, "plenary", after=floor_cursor, channel="floor"
    )
    back = await reader.events_until(floor_cursor + 2)
    assert [f["data"]["text"] for f in back] == ["floor 4", "floor 5"]
    assert [f["seq"] for f in back] == [floor_cursor + 1, floor_cursor + 2]
    await reader.close()
    reader = await Client.connect(
        live.base_ws, live.meeting.id, "plenary", after=fr_cursor, channel="fr"
    )
    assert not reader.welcome["reset"]
    again = await reader.events_until(5)
    assert [(f["seq"], f["data"]["text"]) for f in again] == [(4, "français 4"), (5, "français 5")]
    for client in (floor_cap, fr_cap, reader):
        await client.close()


async def post(
    http: httpx.AsyncClient, live: LiveServer, key: str, seq: int, body: str, **params: str
) -> httpx.Response:
    return await http.post(
        f"{live.base}/api/caption/{live.meeting.id}/plenary",
        params={"key": key, "seq": seq, **params},
        content=body,
        headers={"content-type": "text/plain"},
    )


async def test_caption_urls_land_in_the_channel_of_their_language(
    live: LiveServer, http: httpx.AsyncClient
) -> None:
    made = await add_channel(http, live, "fr")
    await add_channel(http, live, "es")
    room_wide = live.captioner_key()  # the room's station: goes by each POST's lang
    assert (
        await post(http, live, room_wide, 1, "Good morning.\n", lang="en-US")
    ).status_code == 200
    assert (await post(http, live, room_wide, 2, "Bonjour.\n", lang="fr-FR")).status_code == 200
    assert (
        await post(http, live, room_wide, 3, "Buenos días.\n", lang="es-419")
    ).status_code == 200
    refused = await post(http, live, room_wide, 4, "Guten Morgen.\n", lang="de-DE")
    assert refused.status_code == 400
    assert "lang=de-DE" in refused.text and "floor (en), fr, es" in refused.text

    fr_key = key_of(made["caption_api"])  # the French channel's own station
    assert (await post(http, live, fr_key, 1, "Je vous remercie.\n")).status_code == 200
    assert (await post(http, live, fr_key, 2, "Merci.\n", lang="fr-CA")).status_code == 200
    wrong = await post(http, live, fr_key, 3, "Thanks.\n", lang="en")
    assert wrong.status_code == 400 and "fr channel" in wrong.text

    assert [e.data["text"] for e in await channel_lines(live, "floor")] == ["Good morning."]
    fr_lines = await channel_lines(live, "fr")
    assert [e.data["text"] for e in fr_lines] == ["Bonjour.", "Je vous remercie.", "Merci."]
    assert [e.seq for e in fr_lines] == [1, 2, 3]
    assert fr_lines[1].data["lang"] == "fr"  # the channel's language when the POST gives none
    assert [e.data["text"] for e in await channel_lines(live, "es")] == ["Buenos días."]

    # The French channel's YouTube-format URL lands there too, its cue times kept.
    youtube = await http.post(
        made["youtube_api"] + "&seq=1",
        content="2014-02-24T09:00:01.000\nSous-titre français\n",
        headers={"content-type": "text/plain"},
    )
    assert youtube.status_code == 200, youtube.text
    fr_lines = await channel_lines(live, "fr")
    assert fr_lines[-1].data["text"] == "Sous-titre français" and fr_lines[-1].seq == 4
    assert fr_lines[-1].data["at"] == "2014-02-24T09:00:01.000"

    # Each channel counts a station's seq on its own: the room-wide URL's French count is 2.
    seq = await http.get(
        f"{live.base}/api/caption/{live.meeting.id}/plenary/seq",
        params={"key": room_wide, "lang": "fr"},
    )
    assert seq.text == "2"
    # A station added for a channel writes only there.
    r = await http.post(
        f"{live.base}/api/m/{live.meeting.id}/plenary/stations",
        json={"name": "Cabine française 2", "channel": "fr"},
        headers=chair(live),
    )
    assert r.status_code == 200 and r.json()["channel"] == "fr", r.text
    assert "/caption?channel=fr#key=" in r.json()["captioner"]
    r = await http.post(
        f"{live.base}/api/m/{live.meeting.id}/plenary/stations",
        json={"name": "Deutsch", "channel": "de"},
        headers=chair(live),
    )
    assert r.status_code == 404 and "floor (en), fr, es" in r.json()["error"]


async def test_exports_per_channel(live: LiveServer, http: httpx.AsyncClient) -> None:
    made = await add_channel(http, live, "fr")
    floor_cap = await Client.connect(
        live.base_ws, live.meeting.id, "plenary", key=live.captioner_key(), client="en"
    )
    fr_cap = await Client.connect(
        live.base_ws, live.meeting.id, "plenary", key=key_of(made["captioner"]), client="fr"
    )
    await commit(floor_cap, 1, "We support the proposal.")
    await commit(fr_cap, 1, "Nous appuyons la proposition.")
    api = f"{live.base}/api/m/{live.meeting.id}"

    floor_txt = (await http.get(f"{api}/plenary/transcript.txt")).text
    assert "We support" in floor_txt and "Nous" not in floor_txt
    fr = await http.get(f"{api}/plenary/transcript.txt", params={"lang": "fr"})
    assert fr.status_code == 200 and "Nous appuyons" in fr.text and "We support" not in fr.text
    assert "Plenary — interpretation (fr)" in fr.text
    assert f"{live.meeting.id}-plenary-fr.txt" in fr.headers["content-disposition"]
    vtt = (await http.get(f"{api}/plenary/transcript.vtt", params={"lang": "fr-FR"})).text
    assert vtt.startswith("WEBVTT") and "Nous appuyons" in vtt and "We support" not in vtt
    js = (await http.get(f"{api}/plenary/transcript.json", params={"lang": "fr"})).json()
    assert js["channel"] == "fr" and [x["lang"] for x in js["lines"]] == ["fr"]
    missing = await http.get(f"{api}/plenary/transcript.txt", params={"lang": "ru"})
    assert missing.status_code == 404 and "floor (en), fr" in missing.json()["error"]

    everything = (await http.get(f"{api}/transcript.md", params={"lang": "all"})).text
    for heading in ("Plenary — floor", "Plenary — interpretation (fr)", "Break-out A — floor"):
        assert f"## {heading}" in everything
    assert everything.index("We support") < everything.index("Nous appuyons")
    only_fr = (await http.get(f"{api}/transcript.json", params={"lang": "fr"})).json()
    assert [s["room"] for s in only_fr["sections"]] == ["plenary~fr"]
    floors = (await http.get(f"{api}/transcript.txt")).text
    assert "We support" in floors and "Nous" not in floors
    # The command line's export reads the same record the same way.
    body = await documents.export(live.plenary.backend, live.meeting.id, "plenary", "srt", "fr")
    assert b"Nous appuyons" in body and b"We support" not in body
    for client in (floor_cap, fr_cap):
        await client.close()


async def test_figures_count_an_intervention_once_whatever_the_channels(
    live: LiveServer, http: httpx.AsyncClient
) -> None:
    made = await add_channel(http, live, "fr")
    chair_ws = await Client.connect(
        live.base_ws, live.meeting.id, "plenary", key=live.keys["chair"], client="chair-2"
    )
    c = Cmd(chair_ws)
    await c("floor.add", name="Mr. Ben Okafor")
    state = (await live.plenary.rooms.get(live.meeting.id, "plenary")).state
    await c("floor.grant", entry=state.floor.waiting[0].id)
    floor_cap = await Client.connect(
        live.base_ws, live.meeting.id, "plenary", key=live.captioner_key(), client="en"
    )
    fr_cap = await Client.connect(
        live.base_ws, live.meeting.id, "plenary", key=key_of(made["captioner"]), client="fr"
    )
    await commit(floor_cap, 1, "We object.")
    await commit(fr_cap, 1, "Nous nous y opposons.")
    await c("floor.end")
    url = f"{live.base}/api/m/{live.meeting.id}/record/figures.json"
    figures = (await http.get(url, headers=chair(live))).json()
    whole = figures["scopes"][0]
    assert whole["scope"] == "meeting" and whole["interventions"] == 1, whole
    for client in (chair_ws, floor_cap, fr_cap):
        await client.close()


ODD_LANGS = ["", "fr", "FR-fr", "fr_FR", "und", "floor", "x-klingon", "zh-Hant-TW", "e" * 36,
             "\u202efr", "fr\x00", "ar-EG", "en", "en-GB", "../fr", "fr~", "{fr}",
             "🇫🇷"]  # fmt: skip


async def test_any_lang_or_channel_is_a_channel_or_a_clear_refusal(
    live: LiveServer, http: httpx.AsyncClient
) -> None:
    await add_channel(http, live, "fr")
    room_wide = live.captioner_key()
    for n, lang in enumerate(ODD_LANGS, 1):
        r = await post(http, live, room_wide, n, f"line {n}\n", lang=lang)
        assert r.status_code in (200, 400), (lang, r.status_code)
        if r.status_code == 400:
            assert "channels are floor (en), fr" in r.text, lang
        try:
            client = await Client.connect(live.base_ws, live.meeting.id, "plenary", channel=lang)
        except websockets.ConnectionClosed as exc:
            assert exc.rcvd is not None and exc.rcvd.code in (4400, 4404), lang
            assert exc.rcvd.reason, lang
        else:
            assert client.welcome["channel"] in ("floor", "fr"), lang
            await client.close()
    recorded = [e.data["text"] for c in ("floor", "fr") for e in await channel_lines(live, c)]
    assert len(recorded) == len(set(recorded))  # every accepted POST once, in one channel


async def test_closing_the_room_records_the_channels_open_lines(
    live: LiveServer, http: httpx.AsyncClient
) -> None:
    made = await add_channel(http, live, "fr")
    fr_key = key_of(made["caption_api"])
    assert (await post(http, live, fr_key, 1, "Nous sommes ")).status_code == 200  # left open
    assert await channel_lines(live, "fr") == []
    r = await http.post(f"{live.base}/api/m/{live.meeting.id}/plenary/close", headers=chair(live))
    assert r.status_code == 200, r.text
    assert [e.data["text"] for e in await channel_lines(live, "fr")] == ["Nous sommes"]
    late = await post(http, live, fr_key, 2, "trop tard.\n")
    assert late.status_code == 400 and "closed" in late.text
    viewer = await Client.connect(live.base_ws, live.meeting.id, "plenary", channel="fr")
    assert viewer.welcome["open"] is False  # a channel is open while its room is
    await viewer.close()


@given(
    st.one_of(
        st.none(),
        st.text(max_size=50),
        st.integers(),
        st.booleans(),
        st.lists(st.text(), max_size=2),
    )
)
def test_a_hello_names_a_channel_the_room_has_or_none(value: object) -> None:
    frame = {"type": "hello", "after": 0}
    if value is not None:
        frame["channel"] = value
    try:
        hello = parse_client_message(json.dumps(frame))
    except BadMessage as exc:
        assert exc.code in ("bad_field", "too_long") and "'channel'" in exc.message
        return
    assert isinstance(hello, Hello) and isinstance(hello.channel, str)
    assert len(hello.channel) <= 35
    found = channels.pick(["fr", "ar"], hello.channel or channels.FLOOR)
    assert found in (channels.FLOOR, "fr", "ar", None)


async def test_a_re_attribution_stays_within_its_channel(
    live: LiveServer, http: httpx.AsyncClient
) -> None:
    made = await add_channel(http, live, "fr")
    floor_cap = await Client.connect(
        live.base_ws, live.meeting.id, "plenary", key=live.captioner_key(), client="en"
    )
    fr_cap = await Client.connect(
        live.base_ws, live.meeting.id, "plenary", key=key_of(made["captioner"]), client="fr"
    )
    floor_line = await commit(floor_cap, 1, "Floor line.")
    assert (await commit(fr_cap, 1, "Ligne française."))["seq"] == 1
    await fr_cap.send(
        type="cmd", n=2, op="line.reattribute", args={"line": 1, "speaker": "M. Dupont"}
    )
    answer = await fr_cap.recv_type("ack", "error")
    assert answer["type"] == "ack", answer
    key = room_key(live.meeting.id, "plenary", "fr")
    kinds = [e.type for e in await read_all(live.plenary.backend, key)]
    assert kinds == ["line", "line.reattributed"]
    floor_log = await read_all(live.plenary.backend, room_key(live.meeting.id, "plenary"))
    assert "line.reattributed" not in [e.type for e in floor_log]
    assert [e.data.get("speaker", "") for e in floor_log if e.seq == floor_line["seq"]] == [""]
    js = (
        await http.get(
            f"{live.base}/api/m/{live.meeting.id}/plenary/transcript.json", params={"lang": "fr"}
        )
    ).json()
    assert [x["speaker"] for x in js["lines"]] == ["M. Dupont"]
    for client in (floor_cap, fr_cap):
        await client.close()
