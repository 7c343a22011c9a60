"""Which core ``import fdevent`` loads, and saying so: no wrong core without a word.

Each case imports fdevent in a subprocess, from a copy of the package made for the case (the
pure sources, with or without a compiled module) or from the install under test.
"""

from __future__ import annotations

import importlib.machinery
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from support import IMPORT_ROOT

import fdevent

_PROBE = """
import json, warnings
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import fdevent
print(json.dumps({
    "core": fdevent.CORE,
    "file": fdevent.__file__,
    "warnings": [f"{w.category.__name__}: {w.message}" for w in caught],
}))
"""


def _probe(cwd: Path, pythonpath: Path | None = None) -> dict[str, Any]:
    env = dict(os.environ)
    env.pop("FDEVENT_PURE", None)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def _pure_copy(dest: Path) -> Path:
    """A copy of the fdevent package under ``dest`` without its compiled modules."""
    shutil.copytree(
        IMPORT_ROOT / "fdevent",
        dest / "fdevent",
        ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.pyd"),
    )
    return dest / "fdevent"


def test_no_compiled_core_gives_the_pure_one_silently(tmp_path: Path) -> None:
    _pure_copy(tmp_path / "site")
    got = _probe(tmp_path, tmp_path / "site")
    assert got["file"].startswith(str(tmp_path))
    assert got["core"] == "pure"
    assert got["warnings"] == []


def test_a_broken_compiled_core_warns_once_with_the_reason(tmp_path: Path) -> None:
    pkg = _pure_copy(tmp_path / "site")
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    (pkg / "_compiled" / "core" / f"base{suffix}").write_bytes(b"not a shared object")
    got = _probe(tmp_path, tmp_path / "site")
    assert got["file"].startswith(str(tmp_path))
    assert got["core"] == "pure"
    assert len(got["warnings"]) == 1, got["warnings"]
    message = got["warnings"][0]
    assert message.startswith("RuntimeWarning: fdevent's compiled core is installed but does")
    assert "ImportError" in message  # the reason: the loader's own error


def test_the_installed_core_imports_without_a_warning(tmp_path: Path) -> None:
    got = _probe(tmp_path)
    assert got["core"] == fdevent.CORE
    assert got["warnings"] == []


def test_a_checkout_seen_from_its_parent_does_not_shadow_the_package(tmp_path: Path) -> None:
    # A fresh clone is a directory named fdevent; from its parent, that directory is a
    # namespace package candidate. The installed package (regular, editable or not) must win.
    (tmp_path / "fdevent").mkdir()
    (tmp_path / "fdevent" / "README.md").write_text("a checkout, not a package\n")
    got = _probe(tmp_path)
    assert got["file"] is not None, "an empty namespace package was imported"
    assert Path(got["file"]).resolve() == Path(fdevent.__file__).resolve()
    assert got["core"] == fdevent.CORE


def test_base_repr_names_its_core(core: ModuleType, backend: str) -> None:
    with core.EventBase(backend=backend) as base:
        assert repr(base) == (
            f"<EventBase core={core.CORE} backend={backend} attached=0 active=0 idle>"
        )
    assert repr(base).endswith(" closed>")


def test_the_compiled_core_imports_no_module_of_the_pure_one() -> None:
    code = (
        "import sys, fdevent; assert fdevent.CORE == 'compiled', fdevent.CORE; "
        "print(sorted(m for m in sys.modules if m.startswith('fdevent._pure')))"
    )
    env = dict(os.environ)
    env.pop("FDEVENT_PURE", None)
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=IMPORT_ROOT,  # not the checkout or sdist the tests run from: the fdevent under test
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_every_pure_module_runs_on_the_shim() -> None:
    # Cython's own pure-mode module checks and converts in every cast()/declare(): the pure
    # core must run on clib/shim's no-ops even where Cython is installed, in every module.
    import importlib
    import pkgutil

    import fdevent._pure as pure
    from fdevent._pure.clib import shim

    seen = 0
    for info in pkgutil.walk_packages(pure.__path__, pure.__name__ + "."):
        mod = importlib.import_module(info.name)
        bound = vars(mod).get("cython")
        if bound is None or mod is shim:
            continue
        seen += 1
        assert bound is shim, f"{info.name} runs on {bound!r}, not the shim"
    assert seen >= 20  # the walk found the core's modules
