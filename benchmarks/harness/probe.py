"""The environment: the machine, the versions, the C builds, which implementations can run.

Everything here is asked of a subprocess (``import fdevent`` with and without FDEVENT_PURE,
``import uvloop``, the baseline's interpreter) rather than of the runner's own process, since the
benchmarks run in subprocesses with their own environment: what counts is what they load. An
implementation that cannot run here is left out with a note in the report, never an error.
"""

import json
import os
import platform
import resource
import shutil
import sys

from harness import BUILD, HERE, ROOT
from harness.impls import BASELINES, BY_NAME, Baseline
from harness.procs import run_cmd
from harness.spec import CProgram

#: -O2 as a distribution would build libevent; the warnings keep the C programs clean.
CFLAGS = ("-O2", "-Wall", "-Wextra")


def c_programs(benches):
    """Every CProgram the benchmarks name (as an implementation's program or a need)."""
    found = {}
    for b in benches:
        for prog in [*b.programs.values(), *b.needs]:
            if isinstance(prog, CProgram):
                found[prog.name] = prog
    return list(found.values())


def build_c(programs, notes):
    """Compile the C programs into benchmarks/build/ (when missing or out of date).

    Returns {name: path} of those that built; a failure is a note."""
    os.makedirs(BUILD, exist_ok=True)
    built = {}
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        notes.append("no C compiler: the C programs (libevent, floor, echoload) are skipped")
        return built
    header = os.path.join(HERE, "bench_util.h")
    for prog in programs:
        src = os.path.join(HERE, prog.name + ".c")
        exe = os.path.join(BUILD, prog.name)
        newest = max(os.path.getmtime(src), os.path.getmtime(header))
        if os.path.exists(exe) and os.path.getmtime(exe) >= newest:
            built[prog.name] = exe
            continue
        argv = [cc, *CFLAGS, "-o", exe, src] + (["-levent"] if prog.libevent else [])
        rc, _, err = run_cmd(argv, timeout=120)
        if rc == 0:
            built[prog.name] = exe
            if err.strip():
                notes.append(f"compiler warnings for {prog.name}.c:\n{err.strip()}")
        else:
            notes.append(f"could not build {prog.name}: {err.strip().splitlines()[-1:] or rc}")
    return built


def probe_cmd(argv, timeout=10):
    """argv's stripped stdout, or None if it is not installed or fails."""
    if not shutil.which(argv[0]):
        return None
    try:
        rc, out, _ = run_cmd(argv, timeout=timeout)
    except OSError:
        return None
    return out.strip() if rc == 0 else None


def probe_python(code, env, python=None, timeout=30):
    rc, out, _ = run_cmd([python or sys.executable, "-c", code], env=env, timeout=timeout)
    return out.strip() if rc == 0 else None


def detect(setup, benches, notes):
    """Which implementations this machine can run ({name: True}), and the versions."""
    avail, versions = {}, {}
    code = "import fdevent, json; print(json.dumps([fdevent.CORE, fdevent.__version__]))"
    for impl in ("fdevent-compiled", "fdevent-pure"):
        want = BY_NAME[impl].core
        out = probe_python(code, setup.env(impl))
        if out:
            core, ver = json.loads(out)
            versions["fdevent"] = ver
            if core == want:
                avail[impl] = True
                avail["stream-" + want] = True  # the same core, its buffered layer
                if probe_python("import fdevent.aio", setup.env(impl)) is not None:
                    avail["aio-" + want] = True  # the same core, its asyncio loop
                else:
                    notes.append(f"aio-{want}: not available (`import fdevent.aio` failed)")
            else:
                notes.append(f"{impl}: not available (`import fdevent` loads the {core} core)")
        else:
            notes.append(f"{impl}: not available (`import fdevent` failed)")
    avail["asyncio"] = True
    versions["asyncio"] = "Python " + platform.python_version()
    out = probe_python("import uvloop; print(uvloop.__version__)", setup.env("uvloop"))
    if out:
        avail["uvloop"] = True
        versions["uvloop"] = out
    else:
        notes.append("uvloop: not installed (pip install uvloop)")
    avail["python-floor"] = True
    # The C implementations: available when every program the suite gives them was built.
    for impl in ("libevent", "libevent-bev", "floor"):
        progs = [b.programs[impl] for b in benches if impl in b.programs]
        missing = [p.name for p in progs if p.name not in setup.built]
        if progs and not missing:
            avail[impl] = True
        elif any(p.libevent for p in progs):
            notes.append(f"{impl}: not available (install libevent-dev)")
        elif progs:
            notes.append(f"{impl}: not available ({', '.join(missing)} did not build)")
    if avail.get("libevent"):
        versions["libevent"] = probe_cmd(["pkg-config", "--modversion", "libevent"]) or "unknown"
    return avail, versions


def detect_baseline(python):
    """--baseline PYTHON: the checkout that interpreter imports fdevent from. SystemExit if it
    does not import, or imports this tree's (a baseline of oneself measures nothing)."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env.pop("FDEVENT_PURE", None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # the baseline's checkout is read, never written
    code = (
        "import fdevent, json, os; print(json.dumps([fdevent.CORE, fdevent.__version__, "
        "os.path.dirname(os.path.dirname(os.path.abspath(fdevent.__file__)))]))"
    )
    try:
        rc, out, err = run_cmd([python, "-c", code], env=env, timeout=30)
    except OSError as e:
        raise SystemExit(f"--baseline {python}: {e}") from None
    if rc != 0:
        raise SystemExit(f"--baseline {python}: `import fdevent` failed: {err.strip()[-300:]}")
    _, version, root = json.loads(out.strip().splitlines()[-1])
    if os.path.realpath(root) == os.path.realpath(ROOT):
        raise SystemExit(f"--baseline {python} imports this tree's fdevent ({root})")
    commit = probe_cmd(["git", "-C", root, "log", "-1", "--format=%h %s"])
    return Baseline(python, root, commit), version


def detect_baseline_cores(setup, version, avail, versions, notes):
    """Which of the baseline's cores load, under the same FDEVENT_PURE switch."""
    b = setup.baseline
    versions["baseline"] = f"fdevent {version} at {b.root} ({b.commit or 'no git'})"
    for impl in BASELINES:
        core = probe_python("import fdevent; print(fdevent.CORE)", setup.env(impl), b.python)
        if core == BY_NAME[impl].core:
            avail[impl] = True
        else:
            notes.append(f"{impl}: not available (the baseline loads the {core} core)")


def _read_first(path, prefix=None):
    """The first line of path (that starts with prefix), or None."""
    try:
        with open(path) as f:
            for line in f:
                if prefix is None or line.startswith(prefix):
                    return line
    except OSError:
        pass
    return None


def machine_info(setup):
    """What the report's header says about the machine and the tools."""
    cpu = _read_first("/proc/cpuinfo", "model name")
    mem = _read_first("/proc/meminfo")
    cc = probe_cmd(["cc", "--version"])
    out = probe_python("import matplotlib; print(matplotlib.__version__)", setup.env("asyncio"))
    return {
        "uname": probe_cmd(["uname", "-a"]) or " ".join(platform.uname()),
        "cpu": cpu.split(":", 1)[1].strip() if cpu else "unknown",
        "cores": os.cpu_count(),
        "memory": mem.split(":", 1)[1].strip() if mem else "unknown",
        "python": sys.version.replace("\n", " "),
        "cc": cc.splitlines()[0] if cc else "none",
        "cflags": " ".join(CFLAGS),
        "matplotlib": out or "not installed",
        "nofile_limit": resource.getrlimit(resource.RLIMIT_NOFILE)[1],
    }


def loadavg():
    line = _read_first("/proc/loadavg")
    return " ".join(line.split()[:3]) if line else "unknown"
