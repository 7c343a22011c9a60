"""The implementations, in one table, and how a process of each one is started.

An implementation is a name the command line and the report use. A benchmark entry says which
program runs for each name it supports (``suite.py``); this module says what the name means for
any program: which interpreter runs it, with what environment, and which fdevent core its
result must report. fdevent's two cores run in separate processes, told apart by
``FDEVENT_PURE``; the process reports the core it really loaded, and a mismatch is an error, so
a silent fallback from one core to the other can never be measured as the other.

``--baseline PYTHON`` adds baseline-compiled and baseline-pure: the same scripts, run by that
interpreter with its own checkout on ``PYTHONPATH`` (the code "before"), interleaved with the
rest in every round.
"""

import os
import sys
from dataclasses import dataclass

from harness import ROOT
from harness.procs import BenchError


@dataclass(frozen=True)
class Impl:
    name: str
    #: The fdevent core the process must report, or None when it is not fdevent.
    core: str | None = None
    #: Run by --baseline's interpreter, with its checkout on PYTHONPATH.
    baseline: bool = False


IMPLS = (
    Impl("fdevent-compiled", core="compiled"),  # raw Events on the compiled core
    Impl("fdevent-pure", core="pure"),
    Impl("stream-compiled", core="compiled"),  # Streams, Listener (the buffered layer)
    Impl("stream-pure", core="pure"),
    Impl("aio-compiled", core="compiled"),  # fdevent.aio: an asyncio loop on an EventBase
    Impl("aio-pure", core="pure"),
    Impl("asyncio"),
    Impl("uvloop"),
    Impl("libevent"),  # C libevent, raw events
    Impl("libevent-bev"),  # C libevent's bufferevents
    Impl("floor"),  # C: the syscalls with no event loop (chain only)
    Impl("python-floor"),  # the floor plus one Python callback per event (chain only)
    Impl("baseline-compiled", core="compiled", baseline=True),
    Impl("baseline-pure", core="pure", baseline=True),
)
BY_NAME = {i.name: i for i in IMPLS}
ALL = tuple(BY_NAME)
#: What --impl accepts besides the names: both cores of a layer at once.
ALIASES = {
    "fdevent": ("fdevent-compiled", "fdevent-pure"),
    "stream": ("stream-compiled", "stream-pure"),
    "aio": ("aio-compiled", "aio-pure"),
}
BASELINES = tuple(i.name for i in IMPLS if i.baseline)


@dataclass(frozen=True)
class Baseline:
    """--baseline: the interpreter, the checkout its fdevent comes from, that checkout's commit."""

    python: str
    root: str
    commit: str | None


class Setup:
    """What a run has to start programs with: the C programs it built, the baseline (if any)
    and the pinning (``procs.Pins``)."""

    def __init__(self, built, pins, baseline=None):
        self.built, self.pins, self.baseline = built, pins, baseline

    def python(self, impl):
        if BY_NAME[impl].baseline:
            if self.baseline is None:
                raise BenchError(f"{impl} needs --baseline")
            return self.baseline.python
        return sys.executable

    def env(self, impl):
        """The environment of a process of impl: its checkout first on PYTHONPATH, and
        FDEVENT_PURE=1 for a pure core (unset otherwise, so the compiled core is the default)."""
        env = dict(os.environ)
        spec = BY_NAME[impl]
        root = self.baseline.root if spec.baseline and self.baseline else ROOT
        old = env.get("PYTHONPATH")
        env["PYTHONPATH"] = root + (os.pathsep + old if old else "")
        env.pop("FDEVENT_PURE", None)
        if spec.core == "pure":
            env["FDEVENT_PURE"] = "1"
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        return env

    def exe(self, name):
        """The path of a built C program; BenchError if it did not build."""
        if name not in self.built:
            raise BenchError(f"{name} was not built")
        return self.built[name]


def check_core(impl, res):
    """Refuse a result from the wrong fdevent core (a fallback would be measured as the other)."""
    want = BY_NAME[impl].core
    if want is not None and res.get("core") != want:
        raise BenchError(f"{impl}: the subprocess loaded the {res.get('core')} core")
    return res


def parse_list(text, allowed, what):
    """A comma-separated --bench or --impl value, checked, aliases expanded, duplicates dropped."""
    out = []
    for x in text.split(","):
        x = x.strip()
        if not x:
            continue
        if what == "implementation" and x in ALIASES:
            out += ALIASES[x]
        elif x in allowed:
            out.append(x)
        else:
            raise SystemExit(f"unknown {what} {x!r}; choose from {', '.join(allowed)}")
    return list(dict.fromkeys(out))
