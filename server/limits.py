"""Every timeout, limit and buffer size of the server and its command line in one place, each
with the reason it has its value. (The pages' own timings are in static/client.js.)"""

# A websocket frame from a client is a keystroke, a line or a command. A pasted paragraph fits
# comfortably; anything larger is an attack or a bug, and uvicorn closes with 1009.
MAX_FRAME_BYTES = 64 * 1024

# A caption POST carries one or a few lines; Zoom and YouTube send far less than this.
MAX_CAPTION_BODY_BYTES = 64 * 1024

# Caption software over HTTP (server/domain/caption_rules.py). Text sent without a line end is
# the station's open line; when the station sends nothing more for this long, it is committed as
# a line: longer than a speaker's pause for breath, short enough that nothing hangs at the end.
CAPTION_PAUSE_S = 5.0
# Every process that follows the room closes such a line, should the one that recorded its last
# part have died; the others wait this much longer, so that normally one of them does it.
CAPTION_PAUSE_GRACE_S = 2.0
# A station's latest POSTs whose number and text are remembered to recognise a retry. Senders
# retry a POST before they send the next one (a few may be in flight), so a retry is always
# among the last few; an older number with new text is new text.
CAPTION_SEQS_REMEMBERED = 64
# Caption stations (caption URLs) one room may have: a handful of CAT stations and speech
# engines; each is a credential in the meeting document, which every request reads.
MAX_STATIONS_PER_ROOM = 50
# Caption channels one room may have besides its floor: the six UN languages and a few more;
# each is a log a page may follow, and every room's list of them is in every welcome.
MAX_CHANNELS_PER_ROOM = 12

# One committed line. Captioners commit sentence by sentence; a line this long is a runaway paste.
MAX_LINE_CHARS = 4000

# Speaker labels, languages and other short fields.
MAX_LABEL_CHARS = 200

# The largest number a client may send (a command's n, an entry or item id, a resume point): the
# largest integer JavaScript holds exactly, and far inside the record's 64-bit integers, so no
# number from outside can overflow anything it is stored in or compared with.
MAX_ID = 2**53 - 1

# The live line being typed. Longer than any spoken sentence; the captioner must commit.
MAX_LIVE_CHARS = 4000

# A line being typed that nothing has updated for this long is left out of what a joining viewer
# is shown: its captioner's process may have died without clearing it.
LIVE_SNAPSHOT_MAX_AGE_S = 60.0

# Viewers see the live line at most this often per room, whatever the typing rate: ten updates a
# second reads as instant and keeps fan-out cost independent of how fast captioners type.
LIVE_FLUSH_INTERVAL_S = 0.1

# A client must say hello (credentials, resume point) promptly after connecting.
HELLO_TIMEOUT_S = 10.0
# A captioner's link is checked again, at its next keystroke or line, once this long has passed
# since the last check: a revoked link stops writing within this time, and typing costs no
# read of the meeting per keystroke. (Commands are checked every time.)
CAPTIONER_RECHECK_S = 10.0
# The hellos that arrive within this long of a check that the meeting this process holds is the
# record's current version share that check (a crowd reconnecting brings a couple per
# millisecond). A change saved in this process ends it at once; one saved by another process
# (the CLI revoking a link) is seen by hellos at most this much later than it would be anyway.
MEETING_CHECK_SHARED_S = 0.005

# Application-level heartbeat: browsers cannot see websocket pings, so the page learns the
# connection is alive (and the room's latest seq, to detect anything missed) from this frame.
HEARTBEAT_INTERVAL_S = 15.0

# Closing a connection waits this long for the close handshake; a peer that does not answer is
# gone, and the connection is dropped anyway.
CLOSE_TIMEOUT_S = 2.0

# An answer that asks the client to try again later (503 while the record is unavailable, close
# 4503) suggests this pause: a Redis restart or a slow fsync is over in about a second.
RETRY_AFTER_S = 1.0

# Protocol-level ping sent by uvicorn; a peer that does not answer within the timeout is dead
# (a laptop that went to sleep, a phone that lost its network) and its resources are freed.
WS_PING_INTERVAL_S = 20.0
WS_PING_TIMEOUT_S = 20.0

# Frames waiting for one viewer. Viewers on hotel Wi-Fi stall for seconds; past this many frames
# (or bytes) we drop them with a resume code and let them catch up from the log, so one slow
# viewer never holds memory or time that belongs to the others.
VIEWER_QUEUE_MAX_FRAMES = 2000
VIEWER_QUEUE_MAX_BYTES = 1024 * 1024

# A viewer that is behind gets several events in one websocket message (newline separated);
# this bounds the size of one such batch.
MAX_BATCH_BYTES = 256 * 1024

# Recent events each room keeps encoded in memory so that a reconnecting crowd resumes without
# touching the record. Older resume points are read from the record.
RECENT_EVENTS_PER_ROOM = 2000

# A room with no local clients that nothing in this process has used for this long is let go:
# its projection is freed and its backend subscription dropped. Caption POSTs keep it in use.
ROOM_IDLE_S = 120.0

# Events read from the record per query while a client catches up.
BACKLOG_PAGE = 1000

# After an append, the appending process waits this long for its own events to come back
# through pub/sub (they normally do within a millisecond) before reading them from the record.
SYNC_WAIT_S = 0.5

# A gap in the live stream whose missing events cannot be read yet is tried again after this.
GAP_REPAIR_RETRY_S = 0.05

# Messages a client may send: a sustained rate and a burst. Fast typists produce ~15 keystrokes a
# second; a pasted block and a commit arrive together.
CLIENT_RATE_PER_S = 40.0
CLIENT_BURST = 200

# Websocket connections one client address may hold open to one server process, so one machine
# cannot exhaust it. Generous, since a whole delegation (or a venue's Wi-Fi) can sit behind one
# NAT address; past it the connection is closed with 4429.
MAX_CONNECTIONS_PER_ADDRESS = 5000

# Wrong keys and passcodes (server/web/guard.py). Per client address: a person mistyping a
# passcode retries a few times, a guesser thousands; past the burst, one more try per
# GUESS_ADDRESS_PER_S, answered 429 / 4429 with when to retry. Per meeting, over every address:
# bounds how fast a botnet can try one meeting's passcode; it holds back only passcodes not yet
# seen to be right, so viewers who enter the right one (and every key) are never kept out.
GUESS_ADDRESS_BURST = 10
GUESS_ADDRESS_PER_S = 10 / 60
GUESS_MEETING_BURST = 30
GUESS_MEETING_PER_S = 10 / 60
# Addresses and meetings remembered; past this, those that have had time to refill are forgotten.
GUESS_TRACKED_MAX = 10_000

# Appends to the embedded record are committed in groups: one fsync covers every line that
# arrived while the previous commit was running.
MAX_APPENDS_PER_COMMIT = 500

# Commands checked against the room's state are retried this many times when another process
# appended first.
MAX_COMMAND_RETRIES = 8

# -- Redis backend -----------------------------------------------------------------------------
# A Redis command (an append is one script call) that takes longer than this is treated as Redis
# being unavailable: the caller gets a retryable error instead of a request that hangs forever
# behind a stalled server. An fsync on a busy disk takes milliseconds, not seconds.
REDIS_COMMAND_TIMEOUT_S = 5.0
REDIS_CONNECT_TIMEOUT_S = 2.0

# Commands one process has in flight to Redis at once (one connection each). Redis runs commands
# one at a time, so more connections add no throughput: a burst of appends waits for a free
# connection instead of opening hundreds (redis-py refuses past 100 per pool).
REDIS_MAX_IN_FLIGHT = 64

# How long `plenary serve` waits for Redis at start. Compose starts Redis and the servers
# together, and a Redis replaying a large append-only file answers LOADING for a while.
REDIS_START_WAIT_S = 30.0

# Reconnecting the pub/sub connection after Redis went away: start fast (a restart takes well
# under a second), back off so that a long outage does not become a connection storm.
REDIS_RECONNECT_MIN_S = 0.05
REDIS_RECONNECT_MAX_S = 2.0

# The pub/sub connection is pinged this often; one that has heard nothing (not even the pong) for
# two intervals is dead (a network partition sends no reset) and is replaced.
REDIS_PUBSUB_PING_S = 5.0

# A room's first subscription waits this long for the pub/sub connection to come up or for Redis
# to confirm the subscription; past it the client is told to retry (close code 4503).
REDIS_SUBSCRIBE_WAIT_S = 3.0

# How many lines one re-attribution may name (a run of lines: an intervention's worth and more).
MAX_REATTRIBUTED_LINES = 2000

# -- speakers' list, agenda, participants ---------------------------------------------------------
# A short note with a point of order ("quorum", "interpretation"): a phrase, not a speech.
MAX_NOTE_CHARS = 140

# Entries waiting on one room's list. Far more than any meeting's list; it bounds the projection
# every process holds and the work of a reorder.
MAX_WAITING_ENTRIES = 500

# A speaking-time limit longer than this is a typing mistake (minutes entered as seconds).
MAX_SPEAKING_LIMIT_S = 3 * 3600

# An agenda longer than a five-day meeting's (with sub-items) ever is; bounds each adoption's
# snapshot event.
MAX_AGENDA_ITEMS = 300
MAX_AGENDA_NUMBER_CHARS = 20
MAX_AGENDA_TITLE_CHARS = 300

# The outcome of an item and a group's report: a paragraph or a few, as a chair's summary quotes.
MAX_OUTCOME_CHARS = 4000

# Registered participants per meeting. The meeting document (with one credential each) is read
# on every connection, so it must stay small enough to load in a few milliseconds.
MAX_PARTICIPANTS = 3000

# A participants CSV upload: 3000 rows of name, delegation, group and presence fit easily.
MAX_CSV_BYTES = 512 * 1024

# Stakeholder groups a meeting may define, and rooms a meeting may have.
MAX_STAKEHOLDER_GROUPS = 20
MAX_ROOMS = 50

# The meeting document is saved over the version it was read at; when another chair or process
# saved first, it is read again and the change re-applied, at most this many times.
MAX_MEETING_SAVE_RETRIES = 8

# Presence: each process repeats, per room, the participants connected to it with every
# heartbeat (HEARTBEAT_INTERVAL_S); a reader forgets a process not heard from for this long
# (two missed heartbeats and a margin: the process has gone).
PRESENCE_TTL_S = 40.0

# -- fan-out ------------------------------------------------------------------------------------
# A viewer dropped for falling too far behind gets its close frame (code 4009, "resume") queued
# behind what its socket already holds. If it has not read that far after this long, it is not
# reading at all (a frozen tab, a dead network): the connection is aborted and its buffers freed.
STALLED_CLOSE_GRACE_S = 5.0

# The kernel's send buffer per websocket. Left to itself Linux grows it to 4 MiB for a peer that
# does not read, memory the process never sees. Captions are a few KB/s; this still carries a
# resume backlog at over 1 MB/s across a 100 ms round trip, and a viewer that stops reading
# reaches its outbox bounds (and is dropped) after about 1 MB instead of 5.
VIEWER_SEND_BUFFER_BYTES = 64 * 1024

# Garbage collection (server/ops/gcpolicy.py). Every few seconds the objects alive are moved out
# of the collector's view, so a full collection never walks thousands of open connections (at
# 2,000 viewers that walk froze the event loop for 200 ms). Every so often they are handed back,
# so that cycles among objects that have died since are still collected: one full pass per
# interval.
GC_FREEZE_INTERVAL_S = 5.0
GC_THAW_INTERVAL_S = 600.0

# -- the meeting record: search ------------------------------------------------------------------
# Meetings whose transcript search index a process keeps in memory. An index of a five-day
# meeting (about 40,000 lines) takes some tens of MB; older ones are dropped and rebuilt from the
# log when searched again.
MAX_SEARCH_INDEXES = 8

# Meetings whose report facts a process keeps while their logs do not grow (server/record/cache.py):
# the facts are a small fraction of the logs they are read from.
MAX_CACHED_REPORT_MEETINGS = 4

# Hits returned by one search request; a page of results, not the whole record (use exports).
MAX_SEARCH_RESULTS = 500

# -- the command line: `plenary push` and the demo -------------------------------------------------
# A caption POST that fails is retried with the same seq: quickly at first (a blip), backing off
# so that a recovered server never sits idle for long, and never hammering one that is down.
PUSH_RETRY_FIRST_S = 0.2
PUSH_RETRY_MAX_S = 5.0
# One request that has not been answered in this long is tried again (with the same seq).
PUSH_REQUEST_TIMEOUT_S = 10.0
# `plenary push --names` reads "NAME: text"; a name is at most this long ("Mr. Peter Major
# (Hungary)", "The representative of the United Kingdom"), so a sentence with a colon in it
# ("The Chair said that the following had been agreed: …") is not taken for one.
PUSH_NAME_MAX_CHARS = 60

# The demo's clients wait this long for the server to answer a command before giving up.
DEMO_COMMAND_TIMEOUT_S = 15.0

# -- the rolling document ---------------------------------------------------------------------
# Rolling documents per meeting: a compilation or two, not a document store.
MAX_DOCUMENTS = 20
# Categories of one document (A, B, C … as a framework proposes them), and the letters that name
# one: "A" to "ZZZ" covers any framework people number by letter.
MAX_CATEGORIES = 26
MAX_CATEGORY_LETTER_CHARS = 3
# Proposals in one document. A five-day working group's compilation has a few hundred; each is
# an event every viewer of the plenary receives when it joins, so the bound keeps that backlog
# small.
MAX_PROPOSALS = 500
# One proposal's text: a recommendation is a paragraph. Events that copy a group's whole share
# (tasking, its report, the plenary's endorsement) hold at most MAX_SHARE_PROPOSALS of these.
MAX_PROPOSAL_CHARS = 2000
# Proposals one break-out group is tasked with at once: a share of the document, not all of it,
# so an event carrying the share stays well under a megabyte that any websocket client accepts.
MAX_SHARE_PROPOSALS = 200
# Who submitted one proposal (delegations, stakeholders, groups).
MAX_SUBMITTERS = 20
# A proposal split in more parts than this, or more proposals merged at once, is a mistake.
MAX_SPLIT_PARTS = 10
MAX_MERGED = 20
# A document's title, and its description (where it comes from).
MAX_DOCUMENT_TITLE_CHARS = 300
MAX_DOCUMENT_DESCRIPTION_CHARS = 2000
# An imported CSV or Markdown outline: 500 proposals of 2000 characters fit.
MAX_DOCUMENT_FILE_BYTES = 1024 * 1024
# Errors listed for a file that does not import: enough to fix a whole column at once, few
# enough to read.
MAX_IMPORT_ERRORS = 20

# -- attachments --------------------------------------------------------------------------------
# A file attached to an agenda item: a correspondence group's spreadsheet, a presentation. The
# bytes live in the backend so every server process serves them (Redis holds them in memory and
# fsyncs them): a few megabytes each, never a video.
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
# Attachments per meeting, so a meeting's files stay a small fraction of what its backend holds.
MAX_ATTACHMENTS = 100

# -- the plain-HTTP fallback (server/web/sse.py) ------------------------------------------------
# A fallback stream whose socket has not taken one write for this long is not being read (a
# frozen tab, a dead network): the response ends and its buffers are freed; a live client
# resumes with Last-Event-ID. Long enough for a backlog page over a thin mobile link.
SSE_SEND_TIMEOUT_S = 30.0

# When the server stops, a fallback stream is given this long to end cleanly (its last chunk
# written), so the client sees a finished response and resumes on the next process at once.
SSE_SHUTDOWN_GRACE_S = 1.0

# HTTP clients whose message rate is tracked per process (CLIENT_RATE_PER_S, CLIENT_BURST, per
# connection id). Past this the least recently seen is forgotten: a bound on memory, not a limit
# on clients (a forgotten one starts again with a full burst).
HTTP_RATE_CLIENTS = 10_000
