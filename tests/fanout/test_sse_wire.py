"""The fallback's wire: a websocket message as one Server-Sent Event, encoded once per room."""

from __future__ import annotations

import asyncio
import json

from hypothesis import given
from hypothesis import strategies as st

from server.fanout.sse import SseOutbox, last_seq_in, sse_event


def parse(stream: bytes) -> list[tuple[int | None, list[str]]]:
    """Events as a Server-Sent Events reader sees them: (last id so far, data lines)."""
    events: list[tuple[int | None, list[str]]] = []
    last: int | None = None
    data: list[str] = []
    for line in stream.decode().split("\n"):
        if line == "":
            if data:
                events.append((last, data))
            data = []
        elif line.startswith("id: "):
            last = int(line[4:])
        elif line.startswith("data: "):
            data.append(line[6:])
    return events


frames = st.lists(
    st.one_of(
        st.builds(
            lambda s, t: {"seq": s, "type": "line", "room": "p", "data": {"text": t}},
            st.integers(1, 10**9),
            st.text(),
        ),
        st.builds(lambda t: {"type": "live", "room": "p", "data": {"text": t}}, st.text()),
        st.builds(lambda s: {"type": "hb", "seq": s}, st.integers(0, 10**9)),
    ),
    min_size=1,
    max_size=8,
)


@given(frames)
def test_an_event_carries_the_frames_of_a_message_and_the_seq_of_its_last_event(
    batch: list[dict[str, object]],
) -> None:
    message = b"\n".join(json.dumps(f, separators=(",", ":")).encode() for f in batch)
    [(event_id, data)] = parse(sse_event(message))
    assert [json.loads(d) for d in data] == batch
    recorded = [f["seq"] for f in batch if f["type"] == "line"]
    assert event_id == (recorded[-1] if recorded else None)
    assert last_seq_in(message) == event_id


async def test_a_message_is_encoded_once_for_every_outbox_of_a_room() -> None:
    sent: list[list[str]] = [[], []]
    outboxes = [SseOutbox(), SseOutbox()]
    for box, got in zip(outboxes, sent, strict=True):

        async def send(text: str, got: list[str] = got) -> None:
            got.append(text)

        box.start(send, None, lambda: None)
    message = b'{"seq":7,"type":"line","room":"p","data":{}}\n{"type":"hb","seq":7}'
    for box in outboxes:
        box.push(message, None)
    queued = [box._frames[0] for box in outboxes if box._frames]  # type: ignore[attr-defined]
    assert len(queued) == 2 and queued[0] is queued[1]  # the same bytes, not a copy
    while any(box.sending for box in outboxes):
        await asyncio.sleep(0.01)
    assert sent[0] == sent[1] == [sse_event(message).decode()]
    for box in outboxes:
        await box.stop()
