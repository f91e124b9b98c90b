"""Which registered participants are connected, per room, so the chair sees who is there.

Presence is not part of the record. Each process knows only its own connections, so each
publishes, per room, the list of participants connected to it as an ephemeral ``presence`` frame
(tagged with a process id): when the list changes, and again with every heartbeat. Readers keep
the latest list per process and forget a process not heard from within ``PRESENCE_TTL_S``; that
works the same with one process or many behind a load balancer.
"""

from __future__ import annotations

import asyncio
import secrets
from collections import Counter

from server.domain.events import ephemeral_frame
from server.fanout.hub import Hub
from server.limits import PRESENCE_TTL_S

# Identifies this process in presence frames.
PROC = secrets.token_hex(6)


class Presence:
    """The participants connected to this process, per room (one per server process)."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        # room key -> (room id, participant id -> connections)
        self.rooms: dict[str, tuple[str, Counter[str]]] = {}

    def join(self, key: str, room_id: str, participant: str) -> None:
        _, counts = self.rooms.setdefault(key, (room_id, Counter()))
        counts[participant] += 1
        if counts[participant] == 1:
            self.publish(key)

    def leave(self, key: str, participant: str) -> None:
        entry = self.rooms.get(key)
        if entry is None:
            return
        counts = entry[1]
        counts[participant] -= 1
        if counts[participant] <= 0:
            del counts[participant]
            self.publish(key)
            if not counts:
                del self.rooms[key]

    def publish(self, key: str) -> None:
        """Tell everyone in the room who is connected here (an empty list once all left)."""
        room_id, counts = self.rooms.get(key, ("", Counter()))
        if not room_id:
            return
        frame = ephemeral_frame(
            "presence",
            room_id,
            {"proc": PROC, "participants": sorted(counts), "ttl_ms": int(PRESENCE_TTL_S * 1000)},
        )
        task = asyncio.get_running_loop().create_task(self.hub.backend.publish(key, frame))
        task.add_done_callback(_ignore_failure)

    def connected(self, key: str, room_id: str, participant: str | None, role: str) -> Present:
        """Around a websocket session (``with``): a participant is present while it lasts; a
        chair arriving gets this process's list at once instead of at the next heartbeat."""
        return Present(self, key, room_id, participant, role)

    def refresh(self) -> None:
        """Repeat every room's list (with the heartbeat), so late readers learn it and readers
        forget processes that are gone."""
        for key in list(self.rooms):
            self.publish(key)


def _ignore_failure(task: asyncio.Task[None]) -> None:
    # Presence is repeated with every heartbeat: one publish lost to an outage is superseded.
    if not task.cancelled():
        task.exception()


class Present:
    """``Presence.connected``'s context manager: an object of a few slots rather than a
    suspended generator, since every viewer holds one for as long as it is connected."""

    __slots__ = ("_key", "_participant", "_presence", "_role", "_room_id")

    def __init__(
        self, presence: Presence, key: str, room_id: str, participant: str | None, role: str
    ) -> None:
        self._presence, self._key, self._room_id = presence, key, room_id
        self._participant, self._role = participant, role

    def __enter__(self) -> None:
        presence, key = self._presence, self._key
        if self._participant is not None:
            presence.join(key, self._room_id, self._participant)
        elif self._role == "chair" and key in presence.rooms:
            presence.publish(key)

    def __exit__(self, *exc: object) -> None:
        if self._participant is not None:
            self._presence.leave(self._key, self._participant)
