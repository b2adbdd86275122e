"""The engine's memory helpers change where memory comes from, never the values in it."""

from __future__ import annotations

import numpy as np

from battkomp.engine import heap
from battkomp.engine.montecarlo import PREFAULT_BYTES, _mmap_of, mapped, populate


def test_a_mapped_array_is_populated_without_losing_what_was_written() -> None:
    rows = PREFAULT_BYTES // (85 * 4) + 7  # large enough to be mapped, not a whole page
    a = mapped((rows, 85))
    assert _mmap_of(a) is not None  # populate can reach its memory
    a[::3] = 2.5
    populate([a], rows=100)  # the pages of rows already written stay as they are
    a[1::3] = -1.0
    a[2::3] = 0.0
    assert (a[::3] == 2.5).all()
    assert (a[1::3] == -1.0).all()
    assert (a[2::3] == 0.0).all()


def test_small_arrays_are_plain_and_populate_leaves_them_alone() -> None:
    a = mapped((3, 2))
    assert _mmap_of(a) is None
    a[...] = 1.0
    populate([a, np.arange(4.0)])
    assert (a == 1.0).all()


def test_retained_heap_is_shared_by_nested_runs_and_restored_by_the_last() -> None:
    calls: list[tuple[tuple[int, int], ...]] = []
    original = heap._apply
    heap._apply = calls.append  # type: ignore[assignment]
    try:
        with heap.retained_heap():
            with heap.retained_heap():
                assert calls == [heap.RUN_SETTINGS]
            assert calls == [heap.RUN_SETTINGS]
        assert calls == [heap.RUN_SETTINGS, heap.DEFAULT_SETTINGS]
        assert heap._active == 0
    finally:
        heap._apply = original
