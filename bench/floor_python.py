"""The floor's sender written in Python: bench/floor.c's work, with the writes made by plenary's
own fan-out loop (server/fanout/lane.py ``write_each``: the compiled loop where the package was
built with a C compiler; with ``--map``, the Python one, ``map(os.write, ...)``).

Same arguments, same sockets, same JSON lines on stdout as the C sender, so ``floor_run(...,
sender="python")`` measures it beside the C one against the same readers. What it costs above
the C sender is what Python adds per delivery to the kernel's write (argument parsing, the
released and retaken interpreter lock, the file descriptors' int objects), with nothing else of
the server's in the way: no event loop, no parsing, no record.

Usage: python -m bench.floor_python [--map] PORT CONNECTIONS PAYLOAD_BYTES STEP_SECONDS RATE...
"""

from __future__ import annotations

import json
import resource
import socket
import sys
import time
from array import array
from typing import Any

from server.fanout.lane import write_each, write_each_python


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _say(event: dict[str, Any]) -> None:
    print(json.dumps(event), flush=True)


def _frame(payload: int) -> bytes:
    """A server-to-client text frame: FIN + text opcode, 16-bit length, no mask."""
    return bytes([0x81, 126, payload >> 8, payload & 0xFF]) + b"x" * payload


def main(argv: list[str]) -> int:
    loop = write_each_python if argv[:1] == ["--map"] else write_each
    argv = argv[1:] if argv[:1] == ["--map"] else argv
    if len(argv) < 5:
        print(__doc__, file=sys.stderr)
        return 2
    port, n, payload, step_s = int(argv[0]), int(argv[1]), int(argv[2]), float(argv[3])
    rates = [float(r) for r in argv[4:]]
    if n <= 0 or not 126 <= payload <= 65535 or step_s <= 0:
        need = "need CONNECTIONS > 0, 126 <= PAYLOAD_BYTES <= 65535, STEP_SECONDS > 0"
        print(need, file=sys.stderr)
        return 2
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(4096)
    _say({"event": "listening", "port": listener.getsockname()[1]})
    conns = []
    for _ in range(n):
        conn, _addr = listener.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conns.append(conn)  # blocking, as the C sender's: a full socket makes the write wait
    _say({"event": "connected", "connections": n})
    fds = array("i", (c.fileno() for c in conns))
    frame = _frame(payload)
    time.sleep(1.0)  # let the readers settle, as the C sender does
    for rate in rates:
        ticks, sends, errors = int(rate * step_s + 0.5), 0, 0
        _say({"event": "step-start", "rate": rate})
        cpu0, t0 = _cpu_seconds(), time.monotonic()
        for k in range(ticks):
            wait = t0 + k / rate - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            short = loop(fds, frame)
            # Blocking sockets take a whole frame or fail: what did not go counts as an error.
            errors += len(short)
            sends += n - len(short)
        cpu, wall = _cpu_seconds() - cpu0, time.monotonic() - t0
        _say(
            {
                "event": "step-end",
                "rate": rate,
                "sends": sends,
                "errors": errors,
                "frame_bytes": len(frame),
                "cpu_s": round(cpu, 6),
                "wall_s": round(wall, 3),
                "us_per_send": round(cpu * 1e6 / sends, 4) if sends else 0.0,
            }
        )
        time.sleep(1.0)
    for conn in conns:
        conn.close()
    _say({"event": "done"})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
