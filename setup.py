"""Build the compiled core: the pure core's modules, compiled by Cython under another name.

The pure core (``fdevent/_pure``) is typed Python in Cython's pure-Python mode. Its modules
are copied, with their ``.pxd`` declarations, to ``build/cysrc/fdevent/_compiled`` and
compiled as ``fdevent._compiled.*``, so the two cores share one source and can be imported
side by side. Set ``FDEVENT_NO_EXT=1`` to skip the compiled core (then only the pure core is
installed; CI never does this).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from setuptools import Extension, setup

HERE = Path(__file__).parent
PURE = HERE / "fdevent" / "_pure"
SRC = HERE / "build" / "cysrc"
MODULES = ["_checks", "_timeheap", "_evmap", "event", "base"]
HEADERS = ["_cext.h"]


def _stage() -> None:
    # Cython resolves relative cimports through the package tree, so stage a tree with the
    # compiled package's name: fdevent/__init__.py, fdevent/_compiled/{__init__,*.py,*.pxd}.
    dest = SRC / "fdevent" / "_compiled"
    if SRC.exists():
        shutil.rmtree(SRC)
    dest.mkdir(parents=True)
    (SRC / "fdevent" / "__init__.py").write_text("")
    (dest / "__init__.py").write_text("")
    for name in MODULES:
        for ext in (".py", ".pxd"):
            src = PURE / (name + ext)
            if src.exists():
                shutil.copyfile(src, dest / (name + ext))
    for name in HEADERS:
        shutil.copyfile(PURE / name, dest / name)


def _extensions() -> list[Extension]:
    if os.environ.get("FDEVENT_NO_EXT"):
        return []
    from Cython.Build import cythonize

    _stage()
    exts = [
        Extension(
            f"fdevent._compiled.{name}",
            [str((SRC / "fdevent" / "_compiled" / (name + ".py")).relative_to(HERE))],
            include_dirs=[str(SRC / "fdevent" / "_compiled")],
        )
        for name in MODULES
    ]
    return cythonize(  # type: ignore[no-any-return]
        exts,
        include_path=[str(SRC)],
        compiler_directives={
            "language_level": 3,
            "binding": True,
        },
        quiet=True,
    )


setup(ext_modules=_extensions())
