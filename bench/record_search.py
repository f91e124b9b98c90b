"""How fast the record search is on a five-day meeting's transcript (40,000 lines).

    python -m bench.record_search [--lines 40000]

Builds the generated record of tests/test_search.py in a temporary embedded backend, then times
building the index from the log, single-word, phrase and filtered searches, and an incremental
refresh after new lines. Prints one line per measurement.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import tempfile
import time
from pathlib import Path

from server.backends.embedded import EmbeddedBackend
from server.domain.events import Draft
from server.domain.keys import room_key
from server.record.search import Query, SearchIndex
from tests.record import test_search


def _timed(index: SearchIndex, queries: list[Query]) -> tuple[float, float]:
    times = []
    for q in queries:
        started = time.perf_counter()
        index.search(q)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times)


async def run(lines: int) -> None:
    test_search.LINES = lines
    meeting, drafts, _ = test_search.generate()
    with tempfile.TemporaryDirectory() as tmp:
        backend = EmbeddedBackend(Path(tmp) / "record.db", url="sqlite:///bench")
        await backend.start()
        try:
            for room, ds in drafts.items():
                for start in range(0, len(ds), 1000):
                    await backend.append(room_key(meeting.id, room), ds[start : start + 1000])
            index = SearchIndex(meeting.id)
            started = time.perf_counter()
            await index.refresh(backend, meeting)
            print(f"build index, {lines} lines: {time.perf_counter() - started:.2f} s")
            words = test_search.WORDS
            cases = {
                "one word": [Query(words=w, limit=50) for w in words],
                "two words": [
                    Query(words=f"{a} {b}", limit=50) for a, b in itertools.pairwise(words)
                ],
                "phrase": [
                    Query(words=f'"{a} {b}"', limit=50) for a, b in itertools.pairwise(words)
                ],
                "word + delegation": [
                    Query(words=w, delegation=f"Delegation {n % 40}", limit=50)
                    for n, w in enumerate(words)
                ],
                "speaker only": [Query(speaker=f"Speaker {n}", limit=50) for n in range(60)],
            }
            for name, queries in cases.items():
                median, worst = _timed(index, queries)
                print(f"{name:<18} median {median:6.2f} ms  max {worst:6.2f} ms")
            key = room_key(meeting.id, "plenary")
            await backend.append(
                key, [Draft("line", "plenary", {"text": f"new {n}"}) for n in range(100)]
            )
            started = time.perf_counter()
            await index.refresh(backend, meeting)
            print(f"refresh after 100 new lines: {(time.perf_counter() - started) * 1000:.1f} ms")
        finally:
            await backend.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=40_000)
    asyncio.run(run(parser.parse_args().lines))


if __name__ == "__main__":
    main()
