"""Debug mode's report of a base collected with events attached, under Python's default filters.

Python's default warning filters ignore ``ResourceWarning`` (it shows only with ``-X dev`` or
``-W``), so a ResourceWarning alone told a user who turned on debug mode nothing. Debug mode
also logs the report on the ``fdevent`` logger, which shows by default (logging's last resort
prints warnings to stderr), and still issues the ResourceWarning for tools and ``-W error``.
Each program runs in a fresh interpreter with no ``-W``/``-X`` option and no environment
variable that touches warnings or the debug flag.
"""

from __future__ import annotations

import subprocess
import sys
from types import ModuleType

import pytest
from support import IMPORT_ROOT
from support.programs import env_for

PROGRAM = """
import gc, fdevent
base = fdevent.EventBase(debug={debug})
fdevent.Timer(base, lambda *a: None).attach(10.0)
fdevent.Timer(base, lambda *a: None).attach(10.0)
del base
gc.collect()
print("collected", flush=True)
"""

#: What would change the warnings or the debug flag of the program: left out of its environment.
_NOT_INHERITED = ("PYTHONWARNINGS", "PYTHONDEVMODE", "PYTHONTRACEMALLOC", "FDEVENT_DEBUG")


def _run(core: ModuleType, debug: str, *options: str) -> subprocess.CompletedProcess[str]:
    env = env_for(pure=core.CORE == "pure")
    for name in _NOT_INHERITED:
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, *options, "-c", PROGRAM.format(debug=debug)],
        capture_output=True,
        text=True,
        env=env,
        cwd=IMPORT_ROOT,
        timeout=60,
        check=True,
    )


def test_debug_mode_shows_an_unclosed_base_with_default_filters(core: ModuleType) -> None:
    run = _run(core, "True")
    assert run.stdout == "collected\n"
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr  # the log line; the ResourceWarning stays filtered
    assert lines[0].startswith("unclosed <EventBase ")
    assert "garbage-collected with 2 event(s) attached" in lines[0]
    assert "ResourceWarning" not in run.stderr


def test_no_report_without_debug_mode(core: ModuleType) -> None:
    run = _run(core, "False")
    assert (run.stdout, run.stderr) == ("collected\n", "")


@pytest.mark.parametrize("option", ["-Wdefault", "-Xdev"])
def test_the_resource_warning_is_still_there_for_tools(core: ModuleType, option: str) -> None:
    run = _run(core, "True", option)
    assert "ResourceWarning: unclosed <EventBase " in run.stderr
    assert any(line.startswith("unclosed <EventBase ") for line in run.stderr.splitlines())
