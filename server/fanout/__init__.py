"""Fan-out inside one server process: the hub, each connection's outbox, direct frame writes,
presence."""
