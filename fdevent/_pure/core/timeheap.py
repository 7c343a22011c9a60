"""The timer heap: a binary min-heap of events ordered by (deadline, sequence number).

Each event stores its own position (``_heap_index``, -1 when not in the heap), so removing or
re-arming one is O(log n) with no search and no tombstones: a cancelled timer costs nothing
afterwards and holds no memory (asyncio's heap keeps cancelled handles until they surface).
Ties are broken by a sequence number taken at scheduling, so timers due at the same instant
fire in the order they were armed, and events are never compared with each other.

A million timers make the sifts the busiest code of a timer-heavy program, and their cost is
memory: each level reads records that are not in the cache. So the compiled sifts index the
list without bounds checks (every index is in range), and the record keeps what they read
right after its header (``record.pxd``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Type checkers read the shim's typed no-ops, never Cython's untyped decorators: so an
    # installed fdevent is typed for its users whether or not Cython is installed.
    from ..clib import shim as cython
else:
    try:
        import cython
    except ImportError:  # pragma: no cover - the pure core without Cython installed
        from ..clib import shim as cython
    if not cython.compiled:  # at run time the pure core takes the shim (its docstring)
        from ..clib import shim as cython

from .record import EventRecord


@cython.cfunc
@cython.inline
@cython.exceptval(check=False)
def _before(a: EventRecord, b: EventRecord) -> cython.bint:
    # The heap's order: the earlier deadline, then the earlier scheduling.
    return a._deadline < b._deadline or (a._deadline == b._deadline and a._seq < b._seq)


@cython.final
@cython.cclass
class TimerHeap:
    """Min-heap of events keyed by ``(ev._deadline, ev._seq)``."""

    def __init__(self) -> None:
        self.heap: list[EventRecord] = []
        self.seq = 0

    def __len__(self) -> int:
        return len(self.heap)

    @cython.cfunc
    def schedule(self, ev: EventRecord, deadline: cython.double) -> None:
        """Put ``ev`` in the heap due at ``deadline``, or move it there if it is in already."""
        self.seq += 1
        ev._seq = self.seq
        old: cython.double = ev._deadline
        ev._deadline = deadline
        i: cython.Py_ssize_t = ev._heap_index
        if i < 0:
            self.heap.append(ev)
            self._sift_up(len(self.heap) - 1, ev)
        elif deadline < old:
            self._sift_up(i, ev)
        else:
            # Later deadline, or the same one with a newer sequence number: it can only sink.
            self._sift_down(i, ev)

    @cython.cfunc
    @cython.boundscheck(False)
    @cython.wraparound(False)
    def remove(self, ev: EventRecord) -> None:
        """Take ``ev`` out of the heap; it must be in it."""
        heap = self.heap
        i: cython.Py_ssize_t = ev._heap_index
        last: EventRecord = heap.pop()
        ev._heap_index = -1
        if last is not ev:
            if i > 0 and _before(last, heap[(i - 1) >> 1]):
                self._sift_up(i, last)
            else:
                self._sift_down(i, last)

    @cython.cfunc
    @cython.boundscheck(False)
    @cython.wraparound(False)
    def pop(self) -> EventRecord:
        """Take the earliest event out of the heap and return it; the heap must not be empty."""
        heap = self.heap
        top: EventRecord = heap[0]
        last: EventRecord = heap.pop()
        top._heap_index = -1
        if last is not top:
            self._sift_down(0, last)
        return top

    @cython.cfunc
    def clear(self) -> None:
        """Empty the heap, marking every event as out of it."""
        ev: EventRecord
        for ev in self.heap:
            ev._heap_index = -1
        self.heap = []

    @cython.cfunc
    @cython.boundscheck(False)
    @cython.wraparound(False)
    def _sift_up(self, i: cython.Py_ssize_t, ev: EventRecord) -> None:
        # Place ev, which belongs at i or above, moving the entries it passes down. The
        # comparison is written out, not a call to _before: on the pure core a call per level
        # (and a cython.cast per read) costs more than the sift itself.
        heap = self.heap
        d: cython.double = ev._deadline
        parent: EventRecord
        j: cython.Py_ssize_t
        while i > 0:
            j = (i - 1) >> 1
            parent = heap[j]
            if parent._deadline < d or (parent._deadline == d and parent._seq < ev._seq):
                break
            heap[i] = parent
            parent._heap_index = i
            i = j
        heap[i] = ev
        ev._heap_index = i

    @cython.cfunc
    @cython.boundscheck(False)
    @cython.wraparound(False)
    def _sift_down(self, i: cython.Py_ssize_t, ev: EventRecord) -> None:
        # Place ev, which belongs at i or below, moving the entries it passes up.
        heap = self.heap
        n: cython.Py_ssize_t = len(heap)
        d: cython.double = ev._deadline
        child: EventRecord
        other: EventRecord
        c: cython.Py_ssize_t = 2 * i + 1
        while c < n:
            child = heap[c]
            if c + 1 < n:
                other = heap[c + 1]
                if other._deadline < child._deadline or (
                    other._deadline == child._deadline and other._seq < child._seq
                ):
                    c += 1
                    child = other
            if d < child._deadline or (d == child._deadline and ev._seq < child._seq):
                break
            heap[i] = child
            child._heap_index = i
            i = c
            c = 2 * i + 1
        heap[i] = ev
        ev._heap_index = i
