"""The benchmark runner (benchmarks/run.py, harness/, suite.py): where a run writes, that every
entry of the suite is whole, that the report renders every benchmark's table, and that the
rounds interleave, pair and record failures as the method says.

Only a full run updates the committed ``RESULTS.md``, ``results.json`` and ``chart.png``; a
quick run writes its single samples under build/quick/."""

from __future__ import annotations

import importlib.util
import itertools
import json
import os
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from support import ROOT

BENCH = ROOT / "benchmarks"
COMMITTED = {BENCH / "RESULTS.md", BENCH / "results.json", BENCH / "chart.png"}


@pytest.fixture(scope="module")
def run() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_run", BENCH / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # puts benchmarks/ on sys.path: harness and suite import
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


def test_every_entry_is_whole(run: ModuleType) -> None:
    """Known implementations, programs that exist, the same size keys full and quick, ratios
    among the metrics, and needs that are programs or tools."""
    from harness import impls
    from harness.spec import CProgram, Script
    from suite import SUITE

    assert len({b.name for b in SUITE}) == len(SUITE)
    for b in SUITE:
        assert set(b.sizes) == {"full", "quick"}, b.name
        assert set(b.sizes["full"]) == set(b.sizes["quick"]), b.name
        assert set(b.ratios) <= set(b.metrics), b.name
        assert set(b.programs) <= set(impls.ALL), b.name
        assert any(i in b.programs for i in b.reference), b.name
        for prog in [*b.programs.values(), *b.needs]:
            if isinstance(prog, Script):
                assert (BENCH / prog.path).resolve().is_file(), prog
            elif isinstance(prog, CProgram):
                assert (BENCH / f"{prog.name}.c").is_file(), prog
            else:
                assert isinstance(prog, str), prog
        if b.load is None:
            assert "timeout" in b.sizes["full"], b.name


def fake_results(suite: Any, run_impls: list[str]) -> dict[str, Any]:
    """Every benchmark's quick points with two rounds of samples holding every metric."""
    from harness import measure, stats

    results = {}
    for b in suite:
        sizes = b.sizes["quick"]
        ref = measure.reference(b, list(b.programs))
        out = []
        for pt, pimpls in measure.points_to_run(b, sizes, run_impls):
            store = {i: [{m: 1.0 + r for m in b.metrics} for r in range(2)] for i in pimpls}
            errors: dict[str, list[str]] = {i: [] for i in pimpls}
            out.append(
                stats.summarize_point(pt.label, pt.params, store, errors, b.metrics, b.ratios, ref)
            )
        results[b.name] = out
    return results


def test_the_report_renders_every_benchmark(run: ModuleType) -> None:
    """A section per benchmark, numbered by the suite; every row as wide as its header."""
    from harness import impls, report
    from suite import SUITE

    run_impls = list(impls.ALL)
    results = fake_results(SUITE, run_impls)
    meta = {
        "quick": True,
        "runs": 2,
        "command": "python benchmarks/run.py --quick",
        "date": "today",
        "elapsed_s": 1.0,
        "machine": dict.fromkeys(
            ("uname", "cpu", "cores", "memory", "nofile_limit", "python", "cc", "cflags"), "x"
        )
        | {"matplotlib": "none"},
        "loadavg_before": "0",
        "loadavg_after": "0",
        "versions": {"baseline": "before"},
        "impls": run_impls,
        "reference": "fdevent-compiled",
        "pinning": "none",
        "notes": [],
        "config": {b.name: b.sizes["quick"] for b in SUITE},
    }
    text = report.report(SUITE, results, meta)
    for number, b in enumerate(SUITE, 1):
        assert f"## {number}. {b.title}" in text
    assert "### Chain before and after (--baseline)" in text
    assert "### Echo targets" in text
    lines = text.splitlines()
    tables = 0
    for k, line in enumerate(lines):
        if line.startswith("|---"):
            tables += 1
            width = len(lines[k - 1].split("|"))
            for row in itertools.takewhile(lambda x: x.startswith("| "), lines[k + 1 :]):
                assert len(row.split("|")) == width, row
    assert "### aio echo targets" in text
    assert "### aio lateness targets" in text
    # Each benchmark's, a before/after for each that runs the baseline, and the targets table
    # of each benchmark that has one (echo and the aio-* ones).
    baselines = sum("baseline-compiled" in b.programs for b in SUITE)
    assert tables == len(SUITE) + baselines + sum(b.extra is not None for b in SUITE)
    json.dumps(results)  # results.json holds them as they are


def test_rounds_rotate_pair_and_record_failures(run: ModuleType, tmp_path: Path) -> None:
    """Real subprocesses: the order rotates each round, a failed run is None in its round and
    drops out of the paired ratio, and its error reaches the report."""
    from harness import impls, measure, procs
    from harness.spec import Benchmark, Point, Script

    prog = tmp_path / "prog.py"
    prog.write_text(
        "import json, sys\n"
        "name, value = sys.argv[1], float(sys.argv[2])\n"
        "if value < 0: sys.exit('told to fail')\n"
        "print(json.dumps({'impl': name, 'x': value}))\n"
    )
    values = {"asyncio": [2.0, 4.0, 6.0], "python-floor": [1.0, -1.0, 2.0]}
    calls: list[str] = []

    def args(sizes: dict, params: dict, impl: str) -> list[Any]:
        calls.append(impl)
        return [impl, values[impl][(len(calls) - 1) // 2]]

    bench = Benchmark(
        name="fake",
        title="Fake",
        intro=lambda c: "",
        sizes={"full": {"timeout": 30}, "quick": {"timeout": 30}},
        programs={"asyncio": Script(str(prog)), "python-floor": Script(str(prog))},
        points=lambda c: [Point("one")],
        args=args,
        metrics=("x",),
        ratios=("x",),
        columns=(),
        pin=False,
        reference=("python-floor",),
    )
    setup = impls.Setup({}, procs.Pins(False, 0, 1))
    lines: list[str] = []
    points, failures = measure.run_rounds(
        bench, setup, {"timeout": 30}, 3, ["asyncio", "python-floor"], lines.append
    )
    a, p = "asyncio", "python-floor"
    assert calls == [a, p, p, a, a, p]
    assert failures == 1
    got = points[0]["impls"]
    assert got["python-floor"]["samples"][1] is None
    assert "told to fail" in got["python-floor"]["errors"]
    assert got["asyncio"]["summary"]["x"]["median"] == 4.0
    # Rounds 1 and 3 pair: 2/1 and 6/2; round 2 has no reference.
    assert got["asyncio"]["ratio"]["x"] == pytest.approx(2.5)
    assert any("FAILED" in line for line in lines)


def test_wrk_output_is_read(run: ModuleType) -> None:
    from harness.loads import parse_wrk

    out = """Running 1s test @ http://127.0.0.1:1/
  Latency Distribution
     50%  650.00us
     99%   11.12ms
  31566 requests in 1.00s, 2.1MB read
  Non-2xx or 3xx responses: 3
Requests/sec:  31566.40
"""
    assert parse_wrk(out) == {
        "p50_ms": pytest.approx(0.65),
        "p99_ms": 11.12,
        "requests": 31566,
        "errors": 3,
        "rps": 31566.4,
    }


def test_a_python_program_runs_from_benchmarks(run: ModuleType) -> None:
    from harness import HERE
    from harness.spec import Script

    class FakeSetup:
        def python(self, impl: str) -> str:
            return "py"

    argv = Script("../examples/http_hello.py", ("--x",)).argv(FakeSetup(), "asyncio")
    assert argv == ["py", os.path.join(os.path.dirname(HERE), "examples", "http_hello.py"), "--x"]
