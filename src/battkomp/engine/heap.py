"""Keep freed memory in the process during a run (glibc only).

A run allocates and frees thousands of float64 temporaries of a few MB (each block of draws makes
dozens). With glibc's defaults the allocator returns the free top of a heap to the system once it
exceeds the trim threshold (at most 64 MB, and far less for the blocks' thread arenas), and the
next block faults the same memory in again: about 130 000 minor page faults in a 10 000-draw run
of the demo, whose first touch is slow on the virtual machine of docs/performance.md.

:func:`retained_heap` raises the thresholds for the duration of a run and, when the last
concurrent run ends, gives the freed memory back (``malloc_trim``) and sets the thresholds to
glibc's documented defaults (docs/decisions.md 48). Values are untouched: only where memory comes
from changes. Elsewhere than on glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import platform
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# mallopt parameters (malloc.h)
M_TRIM_THRESHOLD = -1
M_TOP_PAD = -2
M_MMAP_THRESHOLD = -3

#: During a run: allocations up to 32 MB (glibc's own ceiling for its dynamic threshold) come from
#: the heaps, and up to 512 MB of free heap is kept, grown 64 MB at a time.
RUN_SETTINGS = (
    (M_MMAP_THRESHOLD, 32 * 2**20),
    (M_TRIM_THRESHOLD, 512 * 2**20),
    (M_TOP_PAD, 64 * 2**20),
)
#: After the last run: glibc's documented defaults (mallopt(3)).
DEFAULT_SETTINGS = (
    (M_MMAP_THRESHOLD, 128 * 2**10),
    (M_TRIM_THRESHOLD, 128 * 2**10),
    (M_TOP_PAD, 128 * 2**10),
)

_lock = threading.Lock()
_active = 0


def _libc() -> ctypes.CDLL | None:
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _libc()


def _apply(settings: tuple[tuple[int, int], ...]) -> None:
    if _LIBC is None:
        return
    for param, value in settings:
        _LIBC.mallopt(param, value)


@contextmanager
def retained_heap() -> Iterator[None]:
    """Keep freed memory in the process while the block runs (nested and concurrent uses
    share one setting; the last to leave restores it).

    >>> with retained_heap():
    ...     None
    """
    global _active
    with _lock:
        _active += 1
        if _active == 1:
            _apply(RUN_SETTINGS)
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0:
                _apply(DEFAULT_SETTINGS)
                if _LIBC is not None:
                    _LIBC.malloc_trim(0)
