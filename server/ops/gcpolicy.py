"""Garbage collection for a process that holds thousands of long-lived connections.

CPython's full collection walks every tracked object. A server with thousands of open websockets
holds hundreds of thousands of them, all long-lived, and each full collection stopped the event
loop for hundreds of milliseconds: every viewer saw that as latency. So a background thread
freezes (``gc.freeze()``) what is alive every few seconds; collections then only look at objects
created since. Frozen objects that die are freed by reference counting as usual; only those that
die inside reference cycles wait for the next thaw, which hands everything back to the collector
once per ``GC_THAW_INTERVAL_S``.
"""

from __future__ import annotations

import gc
import threading
import time

from server.limits import GC_FREEZE_INTERVAL_S, GC_THAW_INTERVAL_S


def _run() -> None:
    thawed_at = time.monotonic()
    while True:
        time.sleep(GC_FREEZE_INTERVAL_S)
        if time.monotonic() - thawed_at >= GC_THAW_INTERVAL_S:
            gc.unfreeze()
            gc.collect()
            thawed_at = time.monotonic()
        gc.freeze()


def start() -> None:
    """Start freezing long-lived objects in the background (for ``plenary serve``)."""
    threading.Thread(target=_run, name="plenary-gc-freeze", daemon=True).start()
