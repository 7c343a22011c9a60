"""Build the compiled core: the pure core's modules, compiled by Cython under another name.

The pure core (``fdevent/_pure``) is typed Python in Cython's pure-Python mode. Its modules
are copied, with their ``.pxd`` declarations, to ``build/cysrc/fdevent/_compiled`` and
compiled as ``fdevent._compiled.*``, so the two cores share one source and can be imported
side by side. Set ``FDEVENT_NO_EXT=1`` to skip the compiled core (then only the pure core is
installed; CI never does this). Release builds carry no debug info (``-g0``: it made up three
quarters of the modules' size); set ``FDEVENT_DEBUG_INFO=1`` to keep it (valgrind, gdb).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from setuptools import Extension, setup

HERE = Path(__file__).parent
PURE = HERE / "fdevent" / "_pure"
SRC = HERE / "build" / "cysrc"
MODULES = [
    "_checks",
    "_record",
    "_sync",
    "_timeheap",
    "_evmap",
    "event",
    "base",
    "backends/_poller",
    "backends/epoll",
    "backends/poll",
    "backends/select",
    "backends/kqueue",
]
HEADERS = ["_cext.h"]


def _stage() -> None:
    # Cython resolves relative cimports through the package tree, so stage a tree with the
    # compiled package's name: fdevent/__init__.py, fdevent/_compiled/{__init__,*.py,*.pxd}.
    dest = SRC / "fdevent" / "_compiled"
    if SRC.exists():
        shutil.rmtree(SRC)
    (dest / "backends").mkdir(parents=True)
    (SRC / "fdevent" / "__init__.py").write_text("")
    (dest / "__init__.py").write_text("")
    for name in MODULES:
        for ext in (".py", ".pxd"):
            src = PURE / (name + ext)
            if src.exists():
                shutil.copyfile(src, dest / (name + ext))
    for name in HEADERS:
        shutil.copyfile(PURE / name, dest / name)
        shutil.copyfile(PURE / name, dest / "backends" / name)
    # The compiled pollers' package: its __init__ (the factory) stays Python, so it is copied
    # into the source tree next to the compiled modules rather than compiled.
    (dest / "backends" / "__init__.py").write_text("")
    pkg = HERE / "fdevent" / "_compiled" / "backends"
    pkg.mkdir(exist_ok=True)
    shutil.copyfile(PURE / "backends" / "__init__.py", pkg / "__init__.py")


def _extensions() -> list[Extension]:
    if os.environ.get("FDEVENT_NO_EXT"):
        return []
    from Cython.Build import cythonize

    _stage()
    cflags = [] if os.environ.get("FDEVENT_DEBUG_INFO") else ["-g0"]
    exts = [
        Extension(
            "fdevent._compiled." + name.replace("/", "."),
            [str((SRC / "fdevent" / "_compiled" / (name + ".py")).relative_to(HERE))],
            include_dirs=[str(SRC / "fdevent" / "_compiled")],
            extra_compile_args=cflags,
        )
        for name in MODULES
    ]
    return cythonize(  # type: ignore[no-any-return]
        exts,
        include_path=[str(SRC)],
        compiler_directives={
            "language_level": 3,
            "binding": True,
            # Events and pollers hold C state and OS resources: nothing to pickle.
            "auto_pickle": False,
        },
        quiet=True,
    )


setup(ext_modules=_extensions())
