"""The server's garbage-collection policy: full collections only at the thaw."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from server.ops import gcpolicy


@pytest.fixture
def thresholds() -> Iterator[None]:
    saved = gc.get_threshold()
    try:
        yield
    finally:
        gc.set_threshold(*saved)


class Node:
    partner: Node | None = None


def full_collections_while_allocating(objects: int) -> int:
    """How many full collections CPython starts by itself while ``objects`` long-lived containers
    (as connections make) are created."""
    seen: list[int] = []

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and info["generation"] == 2:
            seen.append(1)

    gc.callbacks.append(note)
    try:
        kept = [[i] for i in range(objects)]
    finally:
        gc.callbacks.remove(note)
    del kept
    return len(seen)


def test_with_the_defaults_long_lived_allocations_start_full_collections(thresholds: None) -> None:
    # The control: without the policy, the same allocations do start full collections.
    gc.set_threshold(700, 10, 10)
    gc.collect()
    assert full_collections_while_allocating(500_000) > 0


def test_the_policy_leaves_full_collections_to_the_thaw(thresholds: None) -> None:
    gc.set_threshold(700, 10, 10)
    gcpolicy.configure()
    young, middle, oldest = gc.get_threshold()
    assert (young, middle) == (700, 10)  # the young generations are left as CPython sets them
    assert oldest == gcpolicy.NO_AUTOMATIC_FULL_COLLECTION
    gc.collect()
    assert full_collections_while_allocating(500_000) == 0
    # The thaw's explicit collection still finds cycles that died in the oldest generation.
    cycle = Node()
    cycle.partner = Node()
    cycle.partner.partner = cycle
    alive = weakref.ref(cycle)
    gc.collect(1)
    gc.collect(1)  # now in the oldest generation
    del cycle
    full_collections_while_allocating(200_000)
    assert alive() is not None  # no automatic full collection found it
    gc.collect()
    assert alive() is None
