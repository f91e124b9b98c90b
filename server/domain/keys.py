"""How a room and its caption channels are named in the backends: ``{meeting/room}``.

The braces are a Redis Cluster hash tag, so every key of one room lands in one hash slot and one
script can touch them all (server/backends/redis_keys.py). The embedded backend uses the same
names, so a record moves between backends unchanged.

A room's floor channel is the room's own log; an interpretation channel has its own log named
after the room's with its language tag, ``{meeting/room}~fr``: outside the braces, so it shares
the room's hash slot, and never a room id (ids are slugs, without ``~``).
"""

from __future__ import annotations

from server.domain.channels import FLOOR

_CHANNEL_MARK = "~"


def room_key(meeting_id: str, room_id: str, channel: str = FLOOR) -> str:
    """The backend key of a room's channel (the room's own key for its floor)."""
    key = f"{{{meeting_id}/{room_id}}}"
    return key if channel == FLOOR else f"{key}{_CHANNEL_MARK}{channel}"


def room_id_of(key: str) -> str:
    """The room's id within its meeting, from a backend key ``{meeting/room}`` or
    ``{meeting/room}~tag``."""
    return key.partition("}")[0].lstrip("{").rpartition("/")[2]


def channel_of(key: str) -> str:
    """The channel a backend key is the log of: ``floor`` or a language tag."""
    return key.partition("}")[2].removeprefix(_CHANNEL_MARK) or FLOOR
