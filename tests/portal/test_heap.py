"""The sync's heap guard: the cycle collector skips the long-lived heap during the work only."""

from __future__ import annotations

import gc
import weakref

from portal.heap import long_lived_frozen


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cycle collector frees it


def test_objects_alive_at_the_start_are_frozen_until_the_end() -> None:
    assert gc.get_freeze_count() == 0
    before = Node()
    with long_lived_frozen():
        frozen = gc.get_freeze_count()
        assert frozen > 0
        assert any(obj is before for obj in gc.get_objects()) is False  # out of every generation
    assert gc.get_freeze_count() == 0
    assert any(obj is before for obj in gc.get_objects(generation=2))


def test_garbage_made_during_the_work_is_still_collected_during_it() -> None:
    with long_lived_frozen():
        ref = weakref.ref(Node())
        gc.collect()
        assert ref() is None


def test_a_cycle_dropped_before_the_work_is_freed_when_it_ends() -> None:
    ref = weakref.ref(Node())
    with long_lived_frozen():
        gc.collect()
        assert ref() is not None  # frozen with everything else
    gc.collect()
    assert ref() is None


def test_nested_blocks_unfreeze_only_when_the_outer_one_ends() -> None:
    with long_lived_frozen():
        with long_lived_frozen():
            pass
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
