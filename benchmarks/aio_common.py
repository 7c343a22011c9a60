"""Helpers shared by the asyncio-loop benchmark scripts (``aio_*.py``): which loop runs.

Every ``aio_*`` script takes ``--loop fdevent|asyncio|uvloop`` and, for fdevent, ``--core
compiled|pure``: the loop is ``fdevent.aio.new_event_loop()`` (the core ``import fdevent``
loads, chosen by FDEVENT_PURE as the library does), the stdlib's ``asyncio.new_event_loop()``,
or ``uvloop.new_event_loop()``. The fdevent core actually loaded must be the one asked for,
else the script exits with an error: a served benchmark's result comes from the load generator,
not from the server, so the server itself must refuse to run as the wrong core.
"""

import argparse
import asyncio
import sys

import bench_common as bc

LOOPS = ("fdevent", "asyncio", "uvloop")


def add_loop_args(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--loop", choices=LOOPS, default="fdevent")
    ap.add_argument("--core", choices=("compiled", "pure"), help="the fdevent core required")


def new_loop(a):
    """A new event loop of the kind ``a.loop`` names, set as current; returns (loop, info).

    info has "impl" (aio-compiled, aio-pure, asyncio, uvloop), "core" for fdevent (checked
    against ``a.core``) and the loop library's version."""
    if a.loop == "fdevent":
        _, info = bc.import_fdevent()
        if a.core and info["core"] != a.core:
            sys.exit(f"fdevent loaded the {info['core']} core, not the {a.core} one asked for")
        import fdevent.aio

        loop = fdevent.aio.new_event_loop()
        info["impl"] = "aio-" + info["core"]
    elif a.loop == "uvloop":
        import uvloop

        loop = uvloop.new_event_loop()
        info = {"impl": "uvloop", "uvloop_version": uvloop.__version__}
    else:
        loop = asyncio.new_event_loop()
        info = {"impl": "asyncio", "python": sys.version.split()[0]}
    asyncio.set_event_loop(loop)
    return loop, info


ready = bc.ready
