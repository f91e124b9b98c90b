"""The peers: small servers doing plenary's fan-out job the way a Python team commonly would.

Each speaks the same minimal protocol to the load generator: viewers connect to ``/ws/{room}``, a
captioner connects to ``/pub/{room}`` and sends ``{"type": "commit"|"live", "text": ...}``; the
server numbers committed lines per room, encodes the frame once and sends it to every viewer of
the room. (python-socketio speaks Socket.IO instead: the generator speaks it directly.)
"""
