"""How a room is named in the backends: ``{meeting/room}``.

The braces are a Redis Cluster hash tag, so every key of one room lands in one hash slot and one
script can touch them all (server/backends/redis_keys.py). The embedded backend uses the same
names, so a record moves between backends unchanged.
"""

from __future__ import annotations


def room_key(meeting_id: str, room_id: str) -> str:
    """The backend key of a room."""
    return f"{{{meeting_id}/{room_id}}}"


def room_id_of(key: str) -> str:
    """The room's id within its meeting, from its backend key ``{meeting/room}``."""
    return key.strip("{}").rpartition("/")[2]
