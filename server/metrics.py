"""Prometheus metrics. One registry per process, exposed at /metrics."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.connections = Gauge(
            "plenary_connections",
            "Open websocket connections by room",
            ["room"],
            registry=self.registry,
        )
        self.events = Counter(
            "plenary_events_delivered_total",
            "Recorded events fanned out by this process",
            registry=self.registry,
        )
        self.frames_compressed = Counter(
            "plenary_frames_compressed_total",
            "Messages compressed for the fan-out: once per room per message, whatever the number "
            "of viewers that negotiated compression",
            registry=self.registry,
        )
        self.appends = Counter(
            "plenary_appends_total",
            "Events appended to the record by this process",
            registry=self.registry,
        )
        self.fanout_lag = Histogram(
            "plenary_fanout_lag_seconds",
            "From an event's timestamp to its fan-out by this process",
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )
        self.slow_clients_dropped = Counter(
            "plenary_slow_clients_dropped_total",
            "Clients disconnected for falling behind",
            registry=self.registry,
        )
        self.gap_repairs = Counter(
            "plenary_gap_repairs_total",
            "Gaps in the live stream repaired from the record",
            registry=self.registry,
        )
        self.backend_reconnects = Counter(
            "plenary_backend_reconnects_total",
            "Reconnections to the backend (Redis)",
            registry=self.registry,
        )
        self.backend_up = Gauge(
            "plenary_backend_up",
            "1 while the backend's record and subscriptions are usable, else 0",
            registry=self.registry,
        )
        self.backend_unavailable = Counter(
            "plenary_backend_unavailable_total",
            "Appends and reads refused because the backend was unavailable (retried by clients)",
            registry=self.registry,
        )


METRICS = Metrics()
