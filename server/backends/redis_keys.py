"""The Redis backend's key layout, URL options and Lua scripts.

Every key of a room starts with ``PREFIX:{meeting/room}``: the braces are a hash tag, so on Redis
Cluster all of a room's keys and its pub/sub channel live in one hash slot and one script can
touch them all. Keys that are not a room's share the tag ``{PREFIX}``.

    PREFIX:{m/r}:log       stream, the record: entry id 0-SEQ, field f = the encoded frame
    PREFIX:{m/r}:meta      hash, field seq = the room's last sequence number
    PREFIX:{m/r}:cursors   hash, numbered source -> last accepted n
    PREFIX:{m/r}           pub/sub channel (sharded where Redis has it)
    PREFIX:{m/r}~fr…       the same keys for the room's interpretation caption channel fr
                           (server/domain/keys.py): outside the braces, so in the room's slot
    {PREFIX}:epoch         random marker written once: its absence means Redis lost its data
    {PREFIX}:lost          why a process found data lost (so that one starting later knows)
    {PREFIX}:meetings      hash, meeting id -> meeting document (JSON)
    {PREFIX}:versions      hash, meeting id -> version (compare-and-set on save)
    {PREFIX}:order         sorted set of meeting ids in creation order (+ {PREFIX}:order:n)
    {PREFIX}:rooms         set of room keys that have a log (for moving a record)
    PREFIX:{meeting}:file:ID   string, the bytes of an attached file
    PREFIX:{meeting}:files     set of the meeting's file ids (for moving a record)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

DEFAULT_PREFIX = "plenary"
_PREFIX_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
FRAME_FIELD = b"f"


@dataclass(frozen=True, slots=True)
class RedisURL:
    """A backend URL split into what redis-py connects to and the backend's own options."""

    client_url: str  # handed to redis-py (redis:// or rediss://), without our options
    cluster: bool
    prefix: str
    display: str  # safe to show: no password

    @classmethod
    def parse(cls, url: str) -> RedisURL:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        cluster = scheme.endswith("+cluster")
        if scheme not in ("redis", "rediss", "redis+cluster", "rediss+cluster"):
            raise ValueError(f"not a Redis URL: {url!r} (use redis://host:port/db)")
        query = parse_qsl(parts.query, keep_blank_values=True)
        prefix = next((v for k, v in query if k == "prefix"), DEFAULT_PREFIX)
        if not _PREFIX_RE.match(prefix):
            raise ValueError(
                f"prefix {prefix!r} must be 1-64 letters, digits, '_', '.' or '-' "
                "(braces would break Redis Cluster hash tags)"
            )
        rest = urlencode([(k, v) for k, v in query if k != "prefix"])
        base = scheme.removesuffix("+cluster")
        if cluster and parts.path.strip("/") not in ("", "0"):
            raise ValueError("Redis Cluster has only database 0: drop the /db from the URL")
        client_url = urlunsplit((base, parts.netloc, parts.path, rest, ""))
        host = parts.hostname or "localhost"
        port = parts.port or 6379
        display = f"{scheme}://{host}:{port}{parts.path or ''}"
        return cls(client_url, cluster, prefix, display)


@dataclass(frozen=True, slots=True)
class Keys:
    prefix: str

    def room_base(self, key: str) -> str:
        # Room keys (server/domain/keys.py) carry their own hash tag; any other name gets one, so
        # that a room's keys always share a slot.
        if key.startswith("{") and "}" in key:
            return f"{self.prefix}:{key}"
        return f"{self.prefix}:{{{key}}}"

    def log(self, key: str) -> str:
        return self.room_base(key) + ":log"

    def meta(self, key: str) -> str:
        return self.room_base(key) + ":meta"

    def cursors(self, key: str) -> str:
        return self.room_base(key) + ":cursors"

    def channel(self, key: str) -> bytes:
        return self.room_base(key).encode()

    def _global(self, name: str) -> str:
        return f"{{{self.prefix}}}:{name}"

    @property
    def epoch(self) -> str:
        return self._global("epoch")

    @property
    def lost(self) -> str:
        return self._global("lost")

    def epoch_id(self, url: RedisURL) -> str:
        """How a data directory names this record: the Redis address and the marker's key."""
        return f"{url.display} {self.epoch}"

    @property
    def meetings(self) -> str:
        return self._global("meetings")

    @property
    def versions(self) -> str:
        return self._global("versions")

    @property
    def order(self) -> str:
        return self._global("order")

    @property
    def order_counter(self) -> str:
        return self._global("order:n")

    @property
    def rooms(self) -> str:
        return self._global("rooms")

    # A meeting's files share its own hash tag: one slot per meeting, not the global one, so
    # large files spread across a cluster.
    def file(self, meeting_id: str, file_id: str) -> str:
        return f"{self.prefix}:{{{meeting_id}}}:file:{file_id}"

    def files(self, meeting_id: str) -> str:
        return f"{self.prefix}:{{{meeting_id}}}:files"


# Append drafts to a room's log: check the record, the cursor and expect_seq, number the events,
# add them to the stream and publish them, all in one atomic step. Publishing inside the script
# makes the record and the published messages agree, with no gap between them.
#
# KEYS: log stream, meta hash, cursors hash
# ARGV: publish command, channel, expect_seq or '', known seq, cursor source or '', cursor n,
#       then one encoded body (a frame without its leading {"seq":N,) per event
# Returns {status, last seq before the append}; status is ok, duplicate, conflict or lost.
APPEND = """
local last = tonumber(redis.call('HGET', KEYS[2], 'seq') or '0')
if last < tonumber(ARGV[4]) then
  return {'lost', last}
end
-- Cursor values are compared as decimal strings: senders may count past 2^53.
local function le(a, b)
  if #a ~= #b then return #a < #b end
  return a <= b
end
local source = ARGV[5]
if source ~= '' then
  local prev = redis.call('HGET', KEYS[3], source) or '0'
  if le(ARGV[6], prev) then
    return {'duplicate', last}
  end
end
if ARGV[3] ~= '' and tonumber(ARGV[3]) ~= last then
  return {'conflict', last}
end
if source ~= '' then
  redis.call('HSET', KEYS[3], source, ARGV[6])
end
local frames = {}
for i = 7, #ARGV do
  local seq = string.format('%d', last + i - 6)
  local frame = '{"seq":' .. seq .. ',' .. ARGV[i]
  redis.call('XADD', KEYS[1], '0-' .. seq, 'f', frame)
  frames[#frames + 1] = frame
end
if #frames > 0 then
  redis.call('HSET', KEYS[2], 'seq', string.format('%d', last + #frames))
  redis.call(ARGV[1], ARGV[2], table.concat(frames, '\\n'))
end
return {'ok', last}
"""

# A room's epoch (server/backends/base.py), in its meta hash: created when first asked for; with
# ARGV[1] set, replaced by ARGV[2] if it is still ARGV[1]. Returns the epoch now.
# KEYS: meta hash. ARGV: the epoch seen or '', a new epoch.
EPOCH = """
local current = redis.call('HGET', KEYS[1], 'epoch')
if (not current) or (ARGV[1] ~= '' and current == ARGV[1]) then
  redis.call('HSET', KEYS[1], 'epoch', ARGV[2])
  return ARGV[2]
end
return current
"""

# Publish an ephemeral frame. A script rather than a bare command so that Redis Cluster routes
# it by the channel's slot exactly like an append. KEYS: channel. ARGV: publish command, frame.
PUBLISH = """
return redis.call(ARGV[1], KEYS[1], ARGV[2])
"""

# Save a meeting over the version it was loaded at (0: create it). Returns 1, or 0 on conflict.
# KEYS: meetings hash, versions hash, order zset, order counter.
# ARGV: meeting id, loaded version, new version, document.
SAVE_MEETING = """
local current = redis.call('HGET', KEYS[2], ARGV[1])
if ARGV[2] == '0' then
  if current then return 0 end
  redis.call('ZADD', KEYS[3], redis.call('INCR', KEYS[4]), ARGV[1])
elseif current ~= ARGV[2] then
  return 0
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
return 1
"""
