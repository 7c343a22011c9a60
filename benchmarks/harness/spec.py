"""The shape of a benchmark entry: what ``suite.py`` fills in, and all the runner reads.

A benchmark is data: its sizes (full and quick), the program each implementation runs, the
options that program gets at each measurement point, the metrics its result line carries, and
the report's table (one column per ``(header, cell)``). The runner has two ways to measure,
chosen by ``load``: without one, the program is a single process whose JSON line is the
result; with one, the program is a server (started with ``--port 0``, ready when it prints its
port) and ``load`` drives it and returns the result.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from harness import HERE


@dataclass(frozen=True)
class Script:
    """A Python program (a path from benchmarks/), run by the implementation's interpreter."""

    path: str
    args: tuple = ()

    def argv(self, setup, impl):
        return [setup.python(impl), os.path.normpath(os.path.join(HERE, self.path)), *self.args]


@dataclass(frozen=True)
class CProgram:
    """A C program benchmarks/NAME.c, built into benchmarks/build/NAME (with -levent if
    ``libevent``)."""

    name: str
    libevent: bool = False

    def argv(self, setup, impl):
        return [setup.exe(self.name)]


@dataclass(frozen=True)
class Point:
    """One measurement point: its label in the report, the parameters the benchmark's ``args``
    reads, and (``only``) which implementations it is for, when not all of them."""

    label: str
    params: dict = field(default_factory=dict)
    only: Callable[[str], bool] | None = None


Cell = Callable[[dict, str, dict], str]  # (point, impl, that impl's summary) -> the cell's text


@dataclass(frozen=True)
class Benchmark:
    name: str
    #: The report section's title (numbered by the entry's place in the suite).
    title: str
    #: The paragraph under the title, from the sizes.
    intro: Callable[[dict], str]
    #: {"full": sizes, "quick": sizes}; the same keys in both.
    sizes: dict
    #: implementation -> Script or CProgram, in the order of the report's rows.
    programs: dict
    #: The measurement points, from the sizes.
    points: Callable[[dict], list[Point]]
    #: The program's options at a point: (sizes, point params, impl) -> argv tail.
    args: Callable[[dict, dict, str], list]
    #: The result's metrics to summarise (median, min, max); the first is logged after each run.
    metrics: tuple
    #: Metrics also given as a paired per-round ratio against the reference implementation.
    ratios: tuple
    #: The table's columns after the point and the implementation: (header, cell). A header may
    #: say {ref}: the reference implementation.
    columns: tuple
    #: The unit of ratios[0], for the before/after table of a --baseline run.
    unit: str = ""
    point_header: str = "point"
    #: The reference for ratios: the first of these that runs.
    reference: tuple = ("fdevent-compiled", "fdevent-pure")
    #: Served benchmarks: (setup, sizes, params, port, server pid) -> result (harness.loads).
    load: Callable[..., dict] | None = None
    #: Adds derived metrics to a result, or raises BenchError for a bad one.
    derive: Callable[[dict], dict] | None = None
    #: Pin single-process runs to the server CPU (not when the program needs two cores).
    pin: bool = True
    #: CPrograms (built with the rest) and tools (found on PATH) it cannot run without.
    needs: tuple = ()
    #: More report lines after the table: (points, meta) -> lines.
    extra: Callable[[list, dict], list[str]] | None = None
