"""The facts of meetings whose record was read lately, reused while their logs have not grown.

The record console asks for the digest, the figures, each scope's charts and the summary one after
the other; each is computed from the same facts, and reading a five-day meeting's logs takes a
few hundred milliseconds. The facts are kept for the few meetings read last, under a fingerprint
of the meeting document's version and each room's last sequence number: any new event, or any
change to the meeting (a participant renamed, a room added), and they are read afresh.
"""

from __future__ import annotations

from collections import OrderedDict

from server.backends.base import Log
from server.domain.keys import room_key
from server.domain.meetings import Meeting
from server.limits import MAX_CACHED_REPORT_MEETINGS
from server.record.facts import Facts, facts_from_logs, load

Fingerprint = tuple[int, tuple[int, ...]]


class FactsCache:
    def __init__(self, size: int = MAX_CACHED_REPORT_MEETINGS) -> None:
        self.size = size
        self._entries: OrderedDict[str, tuple[Fingerprint, Facts]] = OrderedDict()
        self.hits = 0

    async def facts(self, backend: Log, meeting: Meeting) -> Facts:
        # Taken before the logs are read: facts read afterwards hold at least this much, so they
        # are never older than the fingerprint they are kept under.
        fingerprint = await _fingerprint(backend, meeting)
        entry = self._entries.get(meeting.id)
        if entry is not None and entry[0] == fingerprint:
            self._entries.move_to_end(meeting.id)
            self.hits += 1
            return entry[1]
        facts = facts_from_logs(meeting, await load(backend, meeting))
        self._entries[meeting.id] = (fingerprint, facts)
        self._entries.move_to_end(meeting.id)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return facts


async def _fingerprint(backend: Log, meeting: Meeting) -> Fingerprint:
    seqs = [await backend.last_seq(room_key(meeting.id, room.id)) for room in meeting.rooms]
    return meeting.version, tuple(seqs)
