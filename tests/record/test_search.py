"""Search across a meeting's transcript, on a generated record the size of a five-day meeting
(40,000 lines in three rooms): every filter checked against a plain scan of the same lines, the
index shown to be used, kept up to date incrementally, and reached over HTTP by the chair only."""

from __future__ import annotations

import random
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.backends.embedded import EmbeddedBackend
from server.domain.events import Draft
from server.domain.keys import room_key
from server.domain.meetings import Meeting, Room
from server.record.search import Query, SearchError, SearchIndex, match_expression
from tests.conftest import LiveServer
from tests.record.builders import at

WORDS = (
    "the group recommendations enhanced cooperation public policy internet governance "
    "stakeholders developing countries capacity building mechanism category proposal "
    "consensus divergence paragraph text chair delegation support agree amend delete bracket "
    "report structure mandate secretariat forum summit annual session commission review "
    "framework principle role responsibility equal footing access infrastructure security "
    "privacy trust multilingual content development mapping spreadsheet analysis"
).split()
SPEAKERS = [(f"Speaker {n}", f"Delegation {n % 40}") for n in range(120)]
ROOMS = ["plenary", "break-out-a", "break-out-b"]
LINES = 40_000
DAYS = 5


@dataclass
class Line:
    room: str
    seq: int
    ts: int
    speaker: str
    delegation: str
    item: int
    text: str


def generate(seed: int = 11) -> tuple[Meeting, dict[str, list[Draft]], list[Line]]:
    rnd = random.Random(seed)
    meeting = Meeting(
        "search0001",
        "Five days",
        timezone="Europe/Zurich",
        rooms=[Room(r, r.title(), "plenary" if r == "plenary" else "breakout") for r in ROOMS],
    )
    drafts: dict[str, list[Draft]] = {r: [] for r in ROOMS}
    lines: list[Line] = []
    per_day = LINES // DAYS
    for day in range(DAYS):
        t = at(day, 9, 0)
        for n in range(per_day):
            room = ROOMS[0] if n % 4 else ROOMS[1 + (n // 4) % 2]
            t += rnd.randint(500, 4000)
            speaker, delegation = rnd.choice(SPEAKERS)
            item = 1 + day * 3 + (n * 3) // per_day
            words = [rnd.choice(WORDS) for _ in range(rnd.randint(6, 18))]
            if rnd.random() < 0.001:
                words.insert(rnd.randrange(len(words)), "NETmundial")
            text = " ".join(words) + "."
            if n % 500 == 0:
                drafts[room].append(
                    Draft(
                        "agenda.current",
                        room,
                        {"item": item, "number": str(item), "title": f"Item {item}", "by": "Chair"},
                        t,
                    )
                )
            data = {
                "text": text,
                "speaker": speaker,
                "lang": "en",
                "captioner": "Ann",
                "source": "websocket",
                "delegation": delegation,
                "item": item,
            }
            drafts[room].append(Draft("line", room, data, t))
            lines.append(Line(room, len(drafts[room]), t, speaker, delegation, item, text))
    return meeting, drafts, lines


def scan(lines: list[Line], words: str = "", **f: Any) -> list[tuple[str, int]]:
    """The lines a search must find, by reading every line."""
    patterns = [re.compile(r"\b" + re.escape(w), re.IGNORECASE) for w in words.split()]
    out = []
    for line in lines:
        if not all(p.search(line.text) for p in patterns):
            continue
        if "speaker" in f and f["speaker"].lower() not in line.speaker.lower():
            continue
        if "delegation" in f and f["delegation"].lower() not in line.delegation.lower():
            continue
        if "item" in f and line.item != f["item"]:
            continue
        if "room" in f and line.room != f["room"]:
            continue
        if "since" in f and line.ts < f["since"]:
            continue
        if "until" in f and line.ts >= f["until"]:
            continue
        out.append((line.room, line.seq))
    return out


def found(index: SearchIndex, q: Query) -> tuple[int, list[tuple[str, int]]]:
    result = index.search(q)
    return result["total"], [(h["room"], h["seq"]) for h in result["hits"]]


@pytest.fixture(scope="module")
def five_days(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The generated record in an embedded backend, and the index built from it."""
    import asyncio

    meeting, drafts, lines = generate()

    async def build() -> tuple[SearchIndex, float, EmbeddedBackend]:
        backend = EmbeddedBackend(tmp_path_factory.mktemp("five") / "record.db", url="sqlite:///x")
        await backend.start()
        await backend.save_meeting(meeting)
        for room, ds in drafts.items():
            for start in range(0, len(ds), 1000):
                await backend.append(room_key(meeting.id, room), ds[start : start + 1000])
        index = SearchIndex(meeting.id)
        started = time.perf_counter()
        await index.refresh(backend, meeting)
        built = time.perf_counter() - started
        return index, built, backend

    loop = asyncio.new_event_loop()
    index, built, backend = loop.run_until_complete(build())
    yield meeting, lines, index, built, backend, loop
    loop.run_until_complete(backend.close())
    loop.close()


def test_every_filter_finds_exactly_what_a_scan_finds(five_days: Any) -> None:
    _, lines, index, built, _, _ = five_days
    assert index.facets()["lines"] == LINES
    print(f"index of {LINES} lines built in {built:.2f} s")
    day3 = (at(2, 0, 0), at(3, 0, 0))
    cases: list[tuple[str, dict[str, Any]]] = [
        ("NETmundial", {}),
        ("capacity building", {}),
        ("spreadsheet", {"speaker": "Speaker 7"}),
        ("trust", {"delegation": "Delegation 3"}),
        ("", {"delegation": "Delegation 12", "item": 4}),
        ("consensus", {"item": 8}),
        ("mapping", {"room": "break-out-b"}),
        ("privacy security", {"since": day3[0], "until": day3[1]}),
    ]
    for words, f in cases:
        want = scan(lines, words, **f)
        total, hits = found(index, Query(words=words, limit=500, **f))
        assert total == len(want), (words, f)
        assert hits == want[:500], (words, f)  # in time order
    assert 0 < len(scan(lines, "NETmundial")) < 200


def test_matches_are_marked_and_text_comes_back_whole(five_days: Any) -> None:
    _, lines, index, _, _, _ = five_days
    result = index.search(Query(words="netmundial", limit=5))
    hit = result["hits"][0]
    assert [s["text"] for s in hit["segments"] if s["hit"]] == ["NETmundial"]
    assert "".join(s["text"] for s in hit["segments"]) == hit["text"]
    line = next(x for x in lines if (x.room, x.seq) == (hit["room"], hit["seq"]))
    assert hit["text"] == line.text and hit["speaker"] == line.speaker
    assert hit["item_label"] == f"{line.item}. Item {line.item}"


def test_the_index_is_used_and_queries_are_fast(five_days: Any) -> None:
    _, _, index, _, _, _ = five_days
    plan = index.db.execute(
        "EXPLAIN QUERY PLAN SELECT l.seq FROM lines_fts JOIN lines l ON l.id = lines_fts.rowid "
        "WHERE lines_fts MATCH ?",
        (match_expression("consensus"),),
    ).fetchall()
    assert any("VIRTUAL TABLE INDEX" in str(row[-1]) for row in plan), plan
    started = time.perf_counter()
    for word in WORDS * 2:
        index.search(Query(words=word, limit=20))
    elapsed = time.perf_counter() - started
    print(f"{len(WORDS) * 2} word searches over {LINES} lines: {elapsed * 1000:.0f} ms")
    # A generous bound that a scan of 40,000 lines per query (~25 ms each in Python) would miss
    # only on a fast machine; the plan above is the real proof.
    assert elapsed < 30


def test_syntax_in_the_words_is_searched_for_not_run(five_days: Any) -> None:
    _, _, index, _, _, _ = five_days
    for words in ["NEAR(a b", '"unbalanced', "a OR b", "* AND -", "col:umn", "'; DROP"]:
        index.search(Query(words=words))  # no error: every word is quoted
    with pytest.raises(SearchError):
        index.search(Query(words='""'))


def test_new_lines_and_corrections_are_indexed_incrementally(five_days: Any) -> None:
    meeting, _, index, _, backend, loop = five_days
    key = room_key(meeting.id, "plenary")
    before = dict(index.upto)

    async def more() -> None:
        result = await backend.append(
            key,
            [
                Draft(
                    "line",
                    "plenary",
                    {"text": f"Zanzibar proposal {n}", "speaker": "Chair"},
                    at(4, 18, n),
                )
                for n in range(10)
            ],
        )
        first = result.events[0].seq
        await backend.append(
            key,
            [
                Draft(
                    "correction",
                    "plenary",
                    {"line": first, "text": "Quokka amendment", "was": "Zanzibar proposal 0"},
                    at(4, 18, 30),
                )
            ],
        )
        await index.refresh(backend, meeting)

    loop.run_until_complete(more())
    assert index.upto["plenary"] == before["plenary"] + 11
    assert index.search(Query(words="zanzibar"))["total"] == 9
    (hit,) = index.search(Query(words="quokka"))["hits"]
    assert hit["corrected"] and hit["text"] == "Quokka amendment"


async def test_search_over_http_is_for_the_chair(live: LiveServer) -> None:
    key = room_key(live.meeting.id, "plenary")
    await live.plenary.backend.append(
        key,
        [
            Draft("line", "plenary", {"text": t, "speaker": s, "delegation": d}, at(0, 10, n))
            for n, (t, s, d) in enumerate(
                [
                    ("Brazil supports the <b>text</b>.", "Ms. Silva", "Brazil"),
                    ("Egypt asks to amend the text.", "Mr. Said", "Egypt"),
                    ("The Chair thanks Brazil.", "Chair", ""),
                ]
            )
        ],
    )
    chair = {"authorization": f"Bearer {live.keys['chair']}"}
    url = f"/api/m/{live.meeting.id}/record/search"
    async with httpx.AsyncClient(base_url=live.base) as http:
        assert (await http.get(url, params={"q": "text"})).status_code == 403
        got = (await http.get(url, params={"q": "text"}, headers=chair)).json()
        assert [h["speaker"] for h in got["hits"]] == ["Ms. Silva", "Mr. Said"]
        assert got["hits"][0]["text"] == "Brazil supports the <b>text</b>."
        by = (await http.get(url, params={"delegation": "brazil"}, headers=chair)).json()
        assert by["total"] == 1 and by["hits"][0]["room_name"] == "Plenary"
        # The test meeting keeps UTC: 10:01 in Geneva is 09:01 there.
        window = {"from": "2014-02-24T09:01", "to": "2014-02-24T09:02"}
        timed = (await http.get(url, params=window, headers=chair)).json()
        assert [h["speaker"] for h in timed["hits"]] == ["Mr. Said"]
        day = (
            await http.get(url, params={"from": "2014-02-24", "to": "2014-02-24"}, headers=chair)
        ).json()
        assert day["total"] == 3  # a bare date is the whole day
        bad = await http.get(url, params={"from": "yesterday"}, headers=chair)
        assert bad.status_code == 400 and "YYYY-MM-DD" in bad.json()["error"]
        facets = (await http.get(f"/api/m/{live.meeting.id}/record/facets", headers=chair)).json()
        assert [d["value"] for d in facets["delegations"]] == ["Brazil", "Egypt"]
        assert facets["lines"] == 3


def test_a_replaced_record_is_indexed_afresh(tmp_path: Path) -> None:
    import asyncio

    async def run() -> None:
        meeting = Meeting("replaced01", "R", rooms=[Room("plenary", "Plenary")])
        backend = EmbeddedBackend(tmp_path / "a.db", url="sqlite:///a")
        await backend.start()
        key = room_key(meeting.id, "plenary")
        await backend.append(
            key, [Draft("line", "plenary", {"text": f"old {n}"}) for n in range(5)]
        )
        index = SearchIndex(meeting.id)
        await index.refresh(backend, meeting)
        await backend.close()
        other = EmbeddedBackend(tmp_path / "b.db", url="sqlite:///b")
        await other.start()
        await other.append(key, [Draft("line", "plenary", {"text": "new record"})])
        await index.refresh(other, meeting)
        assert index.search(Query(words="old"))["total"] == 0
        assert index.search(Query(words="new"))["total"] == 1
        await other.close()

    asyncio.run(run())
