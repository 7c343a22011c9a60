"""The benchmark runner's machinery, one part per module; what is measured is in ``suite.py``.

- ``procs``: process supervision: spawn, pin with taskset, time out, finish by PID, and kill
  whatever is left at exit.
- ``probe``: the environment: the machine, the versions, the C builds of the ``.c`` programs,
  which implementations this machine can run (``--baseline`` included).
- ``impls``: the implementations (fdevent's cores, asyncio, uvloop, libevent, the floors, the
  baseline) and how each one's programs are started.
- ``spec``: the shape of a benchmark entry (``Benchmark``, ``Point``, ``Script``, ``CProgram``).
- ``measure``: one measurement (a single process, or a server under a load generator) and the
  interleaved rounds around it.
- ``loads``: the load generators a served benchmark drives a server with (echoload, wrk).
- ``stats``: medians and the paired per-round ratios.
- ``report``: the markdown report, the raw JSON and the chart.

The scripts in ``benchmarks/`` import nothing from here: each one runs on its own and prints one
JSON line, which is all the runner reads.
"""

import os

#: benchmarks/: the benchmark programs, and where relative program paths start.
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: The repository root: the Python programs run with it on PYTHONPATH (fdevent from this tree).
ROOT = os.path.dirname(HERE)
#: Build products (the C programs) and quick runs' output; ignored by git.
BUILD = os.path.join(HERE, "build")
