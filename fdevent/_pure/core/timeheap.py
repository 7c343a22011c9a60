"""The timer heap: a binary min-heap of events ordered by (deadline, sequence number).

Each event stores its own position (``_heap_index``, -1 when not in the heap), so removing or
re-arming one is O(log n) with no search and no tombstones: a cancelled timer costs nothing
afterwards and holds no memory (asyncio's heap keeps cancelled handles until they surface).
Ties are broken by a sequence number taken at scheduling, so timers due at the same instant
fire in the order they were armed, and events are never compared with each other.
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

if TYPE_CHECKING:
    from .record import EventRecord


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
            ev._heap_index = len(self.heap) - 1
            self._sift_up(ev._heap_index)
        elif deadline < old:
            self._sift_up(i)
        else:
            # Later deadline, or the same one with a newer sequence number: it can only sink.
            self._sift_down(i)

    @cython.cfunc
    def remove(self, ev: EventRecord) -> None:
        """Take ``ev`` out of the heap; it must be in it."""
        heap = self.heap
        i: cython.Py_ssize_t = ev._heap_index
        last: EventRecord = heap.pop()
        ev._heap_index = -1
        if last is not ev:
            heap[i] = last
            last._heap_index = i
            self._sift_down(i)
            self._sift_up(last._heap_index)

    @cython.cfunc
    def pop(self) -> EventRecord:
        """Take the earliest event out of the heap and return it; the heap must not be empty."""
        heap = self.heap
        top: EventRecord = heap[0]
        last: EventRecord = heap.pop()
        top._heap_index = -1
        if last is not top:
            heap[0] = last
            last._heap_index = 0
            self._sift_down(0)
        return top

    @cython.cfunc
    def clear(self) -> None:
        """Empty the heap, marking every event as out of it."""
        ev: EventRecord
        for ev in self.heap:
            ev._heap_index = -1
        self.heap = []

    @cython.cfunc
    def _sift_up(self, i: cython.Py_ssize_t) -> None:
        heap = self.heap
        ev: EventRecord = heap[i]
        parent: EventRecord
        j: cython.Py_ssize_t
        while i > 0:
            j = (i - 1) >> 1
            parent = heap[j]
            if parent._deadline < ev._deadline or (
                parent._deadline == ev._deadline and parent._seq < ev._seq
            ):
                break
            heap[i] = parent
            parent._heap_index = i
            i = j
        heap[i] = ev
        ev._heap_index = i

    @cython.cfunc
    def _sift_down(self, i: cython.Py_ssize_t) -> None:
        heap = self.heap
        n: cython.Py_ssize_t = len(heap)
        ev: EventRecord = heap[i]
        child: EventRecord
        other: EventRecord
        c: cython.Py_ssize_t
        while True:
            c = 2 * i + 1
            if c >= n:
                break
            child = heap[c]
            if c + 1 < n:
                other = heap[c + 1]
                if other._deadline < child._deadline or (
                    other._deadline == child._deadline and other._seq < child._seq
                ):
                    c += 1
                    child = other
            if ev._deadline < child._deadline or (
                ev._deadline == child._deadline and ev._seq < child._seq
            ):
                break
            heap[i] = child
            child._heap_index = i
            i = c
        heap[i] = ev
        ev._heap_index = i
