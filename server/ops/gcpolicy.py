"""Garbage collection for a process that holds thousands of long-lived connections.

CPython's full collection walks every tracked object. A server with thousands of open websockets
holds hundreds of thousands of them, all long-lived, and each full collection stopped the event
loop for hundreds of milliseconds: every viewer saw that as latency. So a background thread
freezes (``gc.freeze()``) what is alive every few seconds; collections then only look at objects
created since. Frozen objects that die are freed by reference counting as usual; only those that
die inside reference cycles wait for the next thaw, which hands everything back to the collector
once per ``GC_THAW_INTERVAL_S``.

The collector's own full collections are switched off (the oldest generation's threshold is set
out of reach); the thaw is the full collection. CPython starts one whenever the objects promoted
since the last exceed a quarter of those it counted then, and after a freeze it counts almost
none: in a reconnect storm (thousands of handshakes in a few seconds) it ran one every half second,
each walking every connection made since the last freeze, and they were a quarter of the
server's CPU. Objects that reach the oldest generation between two freezes are frozen at the next
one, so what full collections would have found waits for the thaw either way.
"""

from __future__ import annotations

import gc
import threading
import time

from server.limits import GC_FREEZE_INTERVAL_S, GC_THAW_INTERVAL_S

# gen-1 collections between two automatic full collections: about 7 billion allocations with
# CPython's default thresholds, so never in practice (the threshold is a C int).
NO_AUTOMATIC_FULL_COLLECTION = 1_000_000_000


def _run() -> None:
    thawed_at = time.monotonic()
    while True:
        time.sleep(GC_FREEZE_INTERVAL_S)
        if time.monotonic() - thawed_at >= GC_THAW_INTERVAL_S:
            gc.unfreeze()
            gc.collect()
            thawed_at = time.monotonic()
        gc.freeze()


def configure() -> None:
    """Leave full collections to the thaw: the young generations keep CPython's thresholds."""
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, NO_AUTOMATIC_FULL_COLLECTION)


def start() -> None:
    """Start freezing long-lived objects in the background (for ``plenary serve``)."""
    configure()
    threading.Thread(target=_run, name="plenary-gc-freeze", daemon=True).start()
