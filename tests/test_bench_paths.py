"""``benchmarks/run.py`` writes a quick run's single samples where they cannot replace the
committed results: only a full run updates ``RESULTS.md``, ``results.json`` and ``chart.png``."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from support import ROOT

BENCH = ROOT / "benchmarks"
COMMITTED = {BENCH / "RESULTS.md", BENCH / "results.json", BENCH / "chart.png"}


@pytest.fixture(scope="module")
def run() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_run", BENCH / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_full_run_updates_the_committed_results(run: ModuleType) -> None:
    assert {Path(p) for p in run.output_paths(quick=False)} == COMMITTED


def test_a_quick_run_writes_elsewhere(run: ModuleType) -> None:
    paths = [Path(p) for p in run.output_paths(quick=True)]
    assert paths == [
        BENCH / "build" / "quick" / "RESULTS.md",
        BENCH / "build" / "quick" / "results.json",
        BENCH / "build" / "quick" / "results.png",
    ]
    assert not set(paths) & COMMITTED


def test_quick_output_is_ignored_by_git() -> None:
    assert "build/" in (BENCH / ".gitignore").read_text().split()


@pytest.mark.parametrize("quick", [False, True])
def test_explicit_paths_win_and_the_chart_follows_the_json(run: ModuleType, quick: bool) -> None:
    md, js, png = run.output_paths(quick, "/tmp/r.md", "/tmp/x/raw.json")
    assert (md, js, png) == ("/tmp/r.md", "/tmp/x/raw.json", "/tmp/x/raw.png")
    assert run.output_paths(quick, None, "/tmp/y/results.json")[2] == "/tmp/y/results.png"
