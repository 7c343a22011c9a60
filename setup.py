"""Build the compiled core: the pure core's modules, compiled by Cython under another name.

The pure core (``fdevent/_pure``) is typed Python in Cython's pure-Python mode. Each of its
modules is compiled, from its own file, as ``fdevent._compiled.<name>``, so the two cores
share one source and can be imported side by side. Only the ``.pxd`` declarations and the C
header are staged (to ``build/cysrc/fdevent/_compiled``): Cython finds a module's ``.pxd``,
and resolves the relative cimports in it, by the module's package name.

Cython records each source file's path relative to the directory it runs in, and tracebacks
show that path. Compiling ``fdevent/_pure/base.py`` from the project root records
``fdevent/_pure/base.py``: a package-relative path that exists in every install (the pure core
ships with the compiled one) and holds exactly the compiled code, so a traceback through the
compiled core shows the real source lines, never a build-tree path.

Cython words argument errors its own way (``attach() takes at most 1 positional argument (2
given)``: no class, ``self`` not counted). ``_argument_errors`` rewrites those calls in the
generated C so that the compiled core says what CPython says for the pure core
(``Event.attach() takes from 1 to 2 positional arguments but 3 were given``).

Release builds carry no debug info (``-g0``: it made up three quarters of the modules' size);
set ``FDEVENT_DEBUG_INFO=1`` to keep it (valgrind, gdb; remove ``build/`` first, or objects
compiled without it are linked again). Set ``FDEVENT_NO_EXT=1`` to skip the
compiled core (then only the pure core is installed; CI never does this).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from setuptools import Extension, setup

HERE = Path(__file__).parent.resolve()
#: Paths relative to HERE; the build runs there (Cython records paths relative to it).
PURE = Path("fdevent", "_pure")
COMPILED = Path("fdevent", "_compiled")
STAGE = Path("build", "cysrc")
#: Modules of the one source that stay Python: the shim is what the pure core uses when
#: Cython is not installed, and the compiled core never imports it.
NOT_COMPILED = {"clib/shim"}
DIRECTIVES = {
    "language_level": 3,
    # Methods as cyfunctions: inspect.signature() and help() see their real signatures.
    "binding": True,
    # No __reduce_cython__/__setstate_cython__: events and bases are not picklable in either
    # core (they hold C state and OS resources), and help() shows the pure core's methods.
    "auto_pickle": False,
}


def _modules() -> list[str]:
    """Every module of the one source to compile, as a path under ``_pure`` without ``.py``."""
    found = (p.relative_to(PURE).with_suffix("").as_posix() for p in PURE.rglob("*.py"))
    return sorted(m for m in found if not m.endswith("__init__") and m not in NOT_COMPILED)


def _subpackages() -> list[Path]:
    """``_pure`` and each folder under it that is a package, relative to ``_pure``."""
    return sorted(p.parent.relative_to(PURE) for p in PURE.rglob("__init__.py"))


def packages() -> list[str]:
    """The import packages to install: fdevent, its pure core and the compiled twin's tree."""
    found = ["fdevent"]
    for root in ("fdevent._pure", "fdevent._compiled"):
        found += [".".join((root, *sub.parts)) for sub in _subpackages()]
    return found


def _stage() -> None:
    # build/cysrc/fdevent/_compiled/...: the .pxd files and headers of every module, in the
    # package tree under which Cython looks up fdevent._compiled.<path>'s declarations and
    # resolves their relative cimports. copy2 keeps the times, so cythonize regenerates only
    # what changed. The __init__.py files are Python (the core's names, the pollers'
    # factory): they are copied into fdevent/_compiled as they are, not compiled.
    if (STAGE / "fdevent").exists():
        shutil.rmtree(STAGE / "fdevent")
    (STAGE / "fdevent").mkdir(parents=True)
    (STAGE / "fdevent" / "__init__.py").write_text("")
    subs = _subpackages()
    if COMPILED.is_dir():
        # A folder or module the one source no longer has (moved or renamed): its old build
        # goes, so nothing stale can be imported.
        for old in [p for p in COMPILED.rglob("*") if p.is_dir() and p.name != "__pycache__"]:
            if old.exists() and old.relative_to(COMPILED) not in subs:
                shutil.rmtree(old)
        modules = set(_modules())
        for built in COMPILED.rglob("*.so"):
            name = built.relative_to(COMPILED).as_posix().split(".")[0]
            if name not in modules:
                built.unlink()
    for sub in subs:
        (STAGE / COMPILED / sub).mkdir(parents=True, exist_ok=True)
        (STAGE / COMPILED / sub / "__init__.py").write_text("")
        (COMPILED / sub).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(PURE / sub / "__init__.py", COMPILED / sub / "__init__.py")
    for src in [*PURE.rglob("*.pxd"), *PURE.rglob("*.h")]:
        shutil.copy2(src, STAGE / COMPILED / src.relative_to(PURE))


# --- argument errors worded as CPython words them ------------------------------------------

_MARK = "/* fdevent: argument errors worded as CPython's (setup.py) */"
_HELPER = (
    _MARK
    + r"""
#include <string.h>
static void fdevent_args_invalid(const char *qualname, Py_ssize_t self, Py_ssize_t lo,
                                 Py_ssize_t hi, Py_ssize_t found, const char *names,
                                 PyObject *const *values) {
    PyObject *missing, *text = NULL, *head = NULL, *sep = NULL;
    Py_ssize_t i, n;
    const char *name = names;
    if (found > hi) {
        Py_ssize_t given = found + self;
        if (lo == hi)
            PyErr_Format(PyExc_TypeError, "%s() takes %zd positional argument%s but %zd %s given",
                         qualname, hi + self, hi + self == 1 ? "" : "s", given,
                         given == 1 ? "was" : "were");
        else
            PyErr_Format(PyExc_TypeError,
                         "%s() takes from %zd to %zd positional arguments but %zd %s given",
                         qualname, lo + self, hi + self, given, given == 1 ? "was" : "were");
        return;
    }
    missing = PyList_New(0);
    if (!missing) return;
    for (i = 0; i < lo && *name; i++, name += strlen(name) + 1) {
        if (i >= found && !(values && values[i])) {
            PyObject *quoted = PyUnicode_FromFormat("'%s'", name);
            if (!quoted || PyList_Append(missing, quoted) < 0) {
                Py_XDECREF(quoted);
                Py_DECREF(missing);
                return;
            }
            Py_DECREF(quoted);
        }
    }
    n = PyList_GET_SIZE(missing);
    if (n == 0) {
        PyErr_Format(PyExc_TypeError, "%s() takes at least %zd positional arguments (%zd given)",
                     qualname, lo + self, found + self);
    } else {
        if (n == 1) {
            text = PyList_GET_ITEM(missing, 0);
            Py_INCREF(text);
        } else if (n == 2) {
            text = PyUnicode_FromFormat("%U and %U", PyList_GET_ITEM(missing, 0),
                                        PyList_GET_ITEM(missing, 1));
        } else if ((head = PyList_GetSlice(missing, 0, n - 1)) &&
                   (sep = PyUnicode_FromString(", "))) {
            PyObject *joined = PyUnicode_Join(sep, head);
            if (joined) {
                text = PyUnicode_FromFormat("%U, and %U", joined, PyList_GET_ITEM(missing, n - 1));
                Py_DECREF(joined);
            }
        }
        if (text)
            PyErr_Format(PyExc_TypeError, "%s() missing %zd required positional argument%s: %U",
                         qualname, n, n == 1 ? "" : "s", text);
    }
    Py_XDECREF(text);
    Py_XDECREF(head);
    Py_XDECREF(sep);
    Py_DECREF(missing);
}
"""
)
_WRAPPER = re.compile(r"^static (?:PyObject \*|int )__pyx_pw_(\w+)\(")
_ARGNAMES = re.compile(r"__pyx_pyargnames\[\] = \{(.*)\};")
_KEYWORDS = re.compile(
    r"(__Pyx_(?:ParseKeywords|ParseOptionalKeywords|RejectKeywords|CheckKeywordStrings|"
    r'RaiseKeywordRequired|RaiseDoubleKeywordsError)\(.*)"(\w+)"'
)
_RAISE = re.compile(r'__Pyx_RaiseArgtupleInvalid\("(\w+)", \d+, (\d+), (\d+), (\w+)\)')


def _mangled(module: str) -> str:
    # Cython's C names start with the module path, each part prefixed by its length.
    return "".join(f"{len(part)}{part}_" for part in module.split("."))


def _class_of(wrapper: str, prefix: str, classes: set[str]) -> str | None:
    # __pyx_pw_<prefix>5Event_5attach: a method of Event; <prefix>1fd_of: a module function.
    rest = wrapper[len(prefix) :]
    m = re.match(r"\d+", rest)
    if not m:
        return None
    start = m.end()
    name = rest[start : start + int(m.group())]
    after = rest[start + int(m.group()) : start + int(m.group()) + 1]
    return name if after == "_" and name in classes else None


def _argument_errors(c_file: Path, module: str, source: Path) -> int:
    """Rewrite the argument-error calls of ``c_file`` (Cython's output for ``module``).

    Returns how many calls it rewrote (-1 if the file was rewritten before).
    """
    text = c_file.read_text()
    if _MARK in text:
        return -1
    prefix = _mangled(module)
    classes = set(re.findall(r"^class (\w+)", source.read_text(), re.M))
    out = []
    cls: str | None = None
    names = ""
    has_values = False
    patched = 0
    for line in text.splitlines(keepends=True):
        m = _WRAPPER.match(line)
        if m:
            cls, names, has_values = _class_of(m.group(1), prefix, classes), "", False
        if "PyObject* values[" in line:
            has_values = True
        a = _ARGNAMES.search(line)
        if a:
            found = re.findall(r"__pyx_n_\w_(\w+)", a.group(1))
            names = "".join(name + r"\000" for name in found)
        r = _RAISE.search(line)
        if r:
            func, lo, hi, count = r.groups()
            qualname = f"{cls}.{func}" if cls else func
            call = (
                f'fdevent_args_invalid("{qualname}", {1 if cls else 0}, {lo}, {hi}, {count}, '
                f'"{names}", {"values" if has_values else "NULL"})'
            )
            line = line[: r.start()] + call + line[r.end() :]
            patched += 1
        elif cls:
            # Keyword errors name the function as given: give them the qualified name.
            line = _KEYWORDS.sub(rf'\1"{cls}.\2"', line)
        out.append(line)
    if not patched:
        return 0
    text = "".join(out).replace(
        "got multiple values for keyword argument '%U'", "got multiple values for argument '%U'"
    )
    include = '#include "Python.h"\n'
    if include not in text:
        raise RuntimeError(f"{c_file}: no Python.h include; has Cython changed?")
    c_file.write_text(text.replace(include, include + _HELPER, 1))
    return patched


def _extensions() -> list[Extension]:
    if os.environ.get("FDEVENT_NO_EXT"):
        return []
    from Cython.Build import cythonize

    cflags = [] if os.environ.get("FDEVENT_DEBUG_INFO") else ["-g0"]
    cwd = os.getcwd()
    os.chdir(HERE)
    try:
        _stage()
        modules = _modules()
        exts = [
            Extension(
                "fdevent._compiled." + name.replace("/", "."),
                [str(PURE / (name + ".py"))],
                include_dirs=[str(STAGE / COMPILED / "clib")],
                extra_compile_args=cflags,
            )
            for name in modules
        ]
        exts = cythonize(  # type: ignore[no-untyped-call]
            exts,
            include_path=[str(STAGE)],
            build_dir=str(STAGE / "c"),
            compiler_directives=DIRECTIVES,
            quiet=True,
        )
        counts = [
            _argument_errors(Path(ext.sources[0]), ext.name, PURE / (name + ".py"))
            for ext, name in zip(exts, modules, strict=True)
        ]
        if not any(counts):
            raise RuntimeError("no argument-error call found in Cython's output: has it changed?")
        return exts  # type: ignore[no-any-return]
    finally:
        os.chdir(cwd)


setup(ext_modules=_extensions(), packages=packages())
