"""The asyncio-loop benchmarks (issue 14): fdevent.aio against uvloop and the stdlib's loop.

Each entry runs one program for four implementations: ``aio-compiled`` and ``aio-pure``
(``fdevent.aio`` on each core), ``asyncio`` (the stdlib's loop) and ``uvloop``; the program
picks the loop with ``--loop`` (``aio_common.py``). Ratios are against uvloop, the loop the
issue's targets name, and each entry's ``extra`` lists those targets per point, marked ✓ or ✗
as the echo benchmark marks its own. ``suite.py`` appends these entries to ``SUITE``.
"""

from harness import loads
from harness.report import fmt, fmt_ratio, md_table, med, percent, ratio
from harness.spec import Benchmark, CProgram, Point, Script
from harness.stats import paired_ratio

#: The implementations of every entry here, in the report's order.
AIO_IMPLS = ("aio-compiled", "aio-pure", "asyncio", "uvloop")
REFERENCE = ("uvloop", "asyncio")


def aio_loops(path, *args):
    """path's program for each loop: fdevent.aio on either core (the core checked by the
    program itself, as a server's result comes from its load generator), stdlib, uvloop."""
    progs = {
        f"aio-{core}": Script(path, (*args, "--loop", "fdevent", "--core", core))
        for core in ("compiled", "pure")
    }
    progs["asyncio"] = Script(path, (*args, "--loop", "asyncio"))
    progs["uvloop"] = Script(path, (*args, "--loop", "uvloop"))
    return progs


def size_label(n):
    return f"{n // 1024} KiB" if n >= 1024 and n % 1024 == 0 else f"{n} B"


def targets(title, specs):
    """An ``extra``: per point, the paired ratio of impl a over impl b of a metric, marked
    against its target. specs: (a, b, metric, target(point) -> (op, value) or None)."""

    def extra(points, meta):
        head = ["point"] + [f"{a} / {b} {m}" for a, b, m, _ in specs]
        rows = []
        for pt in points:
            row = [pt["label"]]
            for a, b, metric, target in specs:
                da, db = pt["impls"].get(a), pt["impls"].get(b)
                r = paired_ratio(da["samples"], db["samples"], metric) if da and db else None
                goal = target(pt)
                cell = fmt_ratio(r)
                if goal is not None:
                    op, value = goal
                    cell += f" (target {op} {value:.2f})"
                    if r is not None:
                        cell += " ✓" if (r <= value if op == "≤" else r >= value) else " ✗"
                row.append(cell)
            rows.append(row)
        return [f"### {title} (paired per round; ✓ met, ✗ not met)", "", md_table(head, rows), ""]

    return extra


# ---------------------------------------------------------------- aio-echo

API_LABEL = {"protocol": "Protocol", "streams": "streams"}
#: The issue's targets: server CPU per request at most 0.9x uvloop's (Protocol), 1.0x (streams).
ECHO_TARGET = {"protocol": 0.90, "streams": 1.00}

#: What an echo benchmark measures against the C load generator (suite.py's echo, aio-echo).
ECHO_MEASURES = {
    "load": loads.echoload,
    "needs": (CProgram("echoload"),),
    "metrics": (
        *("rps", "p50_us", "p99_us"),
        *("cpu_user_us_per_req", "cpu_sys_us_per_req", "cpu_us_per_req"),
        *("server_cpu_util", "client_cpu_util", "other_cpu_util", "server_minflt_per_req"),
    ),
    "ratios": ("cpu_us_per_req", "rps"),
    "unit": "CPU µs/req",
    "point_header": "config",
}


AIO_ECHO = Benchmark(
    name="aio-echo",
    title="asyncio echo: fdevent.aio vs uvloop and the stdlib loop",
    intro=lambda c: (
        "The echo benchmark (echoload: C connections, one request in flight each, every byte "
        f"verified; {c['warmup']} s warm-up, {c['duration']} s window) against "
        "benchmarks/aio_echo.py on each loop: `Protocol` = an `asyncio.Protocol` whose "
        "`data_received` calls `transport.write`; `streams` = `asyncio.start_server`, "
        "read(64 KiB) / write / drain. Server CPU per request from /proc/PID/stat; ratios "
        "against uvloop."
    ),
    sizes={
        "full": {
            "apis": ["protocol", "streams"],
            "configs": [(1, 64), (50, 64), (500, 64), (50, 16384)],
            "warmup": 1.0,
            "duration": 5.0,
        },
        "quick": {
            "apis": ["protocol", "streams"],
            "configs": [(1, 64), (50, 64), (500, 64), (50, 16384)],
            "warmup": 0.2,
            "duration": 0.5,
        },
    },
    programs=aio_loops("aio_echo.py"),
    points=lambda c: [
        Point(f"{API_LABEL[api]}, C={n}, {size_label(s)}", {"api": api, "conns": n, "size": s})
        for api in c["apis"]
        for n, s in c["configs"]
    ],
    args=lambda c, p, impl: [
        *("--api", p["api"], "--port", 0),
        *("--max-seconds", c["warmup"] + c["duration"] + 60),
    ],
    **ECHO_MEASURES,
    reference=REFERENCE,
    columns=(
        ("req/s", med("rps")),
        ("p99 µs", med("p99_us", 0)),
        ("user µs/req", med("cpu_user_us_per_req", 2)),
        ("sys µs/req", med("cpu_sys_us_per_req", 2)),
        ("CPU µs/req", med("cpu_us_per_req", 2)),
        ("CPU / {ref}", ratio("cpu_us_per_req")),
        ("srv CPU", percent("server_cpu_util")),
        ("other CPU", percent("other_cpu_util")),
        ("faults/req", med("server_minflt_per_req", 2)),
    ),
    extra=targets(
        "aio echo targets (server CPU per request)",
        (
            (
                "aio-compiled",
                "uvloop",
                "cpu_us_per_req",
                lambda pt: ("≤", ECHO_TARGET[pt["params"]["api"]]),
            ),
            ("aio-pure", "uvloop", "cpu_us_per_req", lambda pt: None),
            ("aio-compiled", "asyncio", "cpu_us_per_req", lambda pt: None),
        ),
    ),
)


# ---------------------------------------------------------------- aio-http

AIO_HTTP = Benchmark(
    name="aio-http",
    title="HTTP frameworks with wrk: aiohttp and uvicorn on each loop",
    intro=lambda c: (
        f"`wrk -t1 -cN -d{c['duration']}s` (pinned to the load CPU) against "
        "benchmarks/aio_http.py on each loop (pinned to the server CPU): an aiohttp "
        '`web.Application` with one GET route, or uvicorn (`http="httptools"`) serving a '
        "minimal ASGI app; access logs off, HTTP/1.1 keep-alive. Server CPU from "
        "/proc/PID/stat around the wrk run; ratios against uvloop."
    ),
    sizes={
        "full": {
            "frameworks": ["aiohttp", "uvicorn"],
            "conns": [50],
            "duration": 5.0,
            "timeout": 60,
        },
        "quick": {
            "frameworks": ["aiohttp", "uvicorn"],
            "conns": [50],
            "duration": 1.0,
            "timeout": 30,
        },
    },
    programs=aio_loops("aio_http.py"),
    points=lambda c: [
        Point(f"{fw}, wrk -c{n}", {"framework": fw, "conns": n})
        for fw in c["frameworks"]
        for n in c["conns"]
    ],
    args=lambda c, p, impl: [
        *("--framework", p["framework"], "--port", 0, "--max-seconds", c["duration"] + 60)
    ],
    load=loads.wrk,
    needs=("wrk",),
    metrics=("rps", "cpu_us_per_req", "p50_ms", "p99_ms", "server_cpu_util"),
    ratios=("cpu_us_per_req", "rps"),
    unit="CPU µs/req",
    reference=REFERENCE,
    columns=(
        ("req/s", med("rps")),
        ("req/s / {ref}", ratio("rps")),
        ("p50 ms", med("p50_ms", 2)),
        ("p99 ms", med("p99_ms", 2)),
        ("CPU µs/req", med("cpu_us_per_req", 2)),
        ("CPU / {ref}", ratio("cpu_us_per_req")),
        ("srv CPU", percent("server_cpu_util")),
    ),
    extra=targets(
        "aio http targets",
        (
            ("aio-compiled", "uvloop", "rps", lambda pt: ("≥", 1.0)),
            ("aio-compiled", "uvloop", "cpu_us_per_req", lambda pt: ("≤", 1.0)),
            ("aio-pure", "uvloop", "rps", lambda pt: None),
        ),
    ),
)


# ---------------------------------------------------------------- aio-calls

AIO_CALLS = Benchmark(
    name="aio-calls",
    title="call_soon and call_later + cancel on each loop",
    intro=lambda c: (
        f"{c['count']:,} `loop.call_soon(cb)` then one loop iteration that runs them; or "
        f"{c['count']:,} `loop.call_later(delay, cb).cancel()` then one iteration (where a "
        "loop purges cancelled timers). CPU ns per call (the process's CPU clock), both phases; "
        "the median of "
        f"{c['rounds']} rounds per process after a warm-up (benchmarks/aio_calls.py)."
    ),
    sizes={
        "full": {"count": 1000000, "rounds": 3, "timeout": 300},
        "quick": {"count": 100000, "rounds": 1, "timeout": 60},
    },
    programs=aio_loops("aio_calls.py"),
    points=lambda c: [
        Point(f"{c['count']:,} call_soon", {"method": "soon"}),
        Point(f"{c['count']:,} call_later + cancel", {"method": "later"}),
    ],
    args=lambda c, p, impl: [
        *("--method", p["method"], "--count", c["count"], "--rounds", c["rounds"])
    ],
    metrics=("ns_per_call", "schedule_ns", "run_ns"),
    ratios=("ns_per_call",),
    unit="ns/call",
    reference=REFERENCE,
    columns=(
        ("ns/call", med("ns_per_call", 0)),
        ("schedule ns", med("schedule_ns", 0)),
        ("run ns", med("run_ns", 0)),
        ("/ {ref}", ratio("ns_per_call")),
    ),
    extra=targets(
        "aio call targets (ns per call)",
        (("aio-compiled", "uvloop", "ns_per_call", lambda pt: ("≤", 1.0)),),
    ),
)


# ---------------------------------------------------------------- aio-mem


def idle_connection_memory(name, title, intro, programs, reference, extra=None):
    """A benchmark of bytes per idle connection (mem_stream.py), by tracemalloc and by RSS:
    the stream one (suite.py's streammem) and the loops' transports (aio-mem)."""
    return Benchmark(
        name=name,
        title=title,
        intro=intro,
        sizes={"full": {"conns": 5000, "timeout": 120}, "quick": {"conns": 2000, "timeout": 60}},
        programs=programs,
        points=lambda c: [
            Point(f"tracemalloc, {c['conns']:,} idle connections", {"method": "tracemalloc"}),
            Point(f"RSS, {c['conns']:,} idle connections", {"method": "rss"}),
        ],
        args=lambda c, p, impl: (
            ["--conns", c["conns"]] + (["--rss"] if p["method"] == "rss" else [])
        ),
        metrics=("bytes_per_conn",),
        ratios=("bytes_per_conn",),
        unit="bytes/conn",
        reference=reference,
        columns=(("bytes/conn", med("bytes_per_conn", 0)), ("/ {ref}", ratio("bytes_per_conn"))),
        **({} if extra is None else {"extra": extra}),
    )


AIO_MEM = idle_connection_memory(
    name="aio-mem",
    title="Memory per idle connection (transport + protocol) on each loop",
    intro=lambda c: (
        f"benchmarks/mem_stream.py: {c['conns']:,} socketpairs made first (not counted); one "
        "end of each handed to `loop.connect_accepted_socket` with a protocol that keeps its "
        "transport; reading on, nothing sent. tracemalloc = the Python-heap delta per "
        "connection (uvloop's libuv memory goes through Python's raw allocator and is "
        "counted); RSS = the resident-set delta. Ratios against uvloop."
    ),
    programs={
        **{impl: Script("mem_stream.py", ("--impl", "aio")) for impl in AIO_IMPLS[:2]},
        "asyncio": Script("mem_stream.py", ("--impl", "asyncio")),
        "uvloop": Script("mem_stream.py", ("--impl", "uvloop")),
    },
    reference=REFERENCE,
    extra=targets(
        "aio memory targets (bytes per idle connection)",
        (("aio-compiled", "uvloop", "bytes_per_conn", lambda pt: ("≤", 1.0)),),
    ),
)


# ---------------------------------------------------------------- aio-lateness


def lateness_targets(points, meta):
    """The issue's absolute targets: no timer early in any run, p99 lateness at most 0.2 ms."""
    rows = []
    for pt in points:
        for impl, d in pt["impls"].items():
            early = d["summary"].get("early")
            p99 = d["summary"].get("p99_ms")
            worst = early and early["max"]
            ok = early is not None and p99 is not None and worst == 0 and p99["median"] <= 0.2
            mark = ("✓" if ok else "✗") if impl.startswith("aio-") else ""
            rows.append([impl, fmt(worst, 0), fmt(p99 and p99["median"], 3), mark])
    head = ["impl", "early (most in a run)", "p99 ms", "0 early, p99 ≤ 0.2 ms"]
    return ["### aio lateness targets", "", md_table(head, rows), ""]


AIO_LATENESS = Benchmark(
    name="aio-lateness",
    title="Timer lateness of call_at on an idle loop",
    intro=lambda c: (
        f"benchmarks/aio_lateness.py (lateness.py's method through `loop.call_at`): "
        f"{c['count']:,} timers armed at once, deadlines spread over 0.15 to {c['span']} s, "
        "on an idle loop; lateness = `time.monotonic()` in the callback minus the deadline "
        "(every loop's `time()` is CLOCK_MONOTONIC or lags it, so 'early' is real). Early = "
        "callbacks that ran before their deadline; percentiles in ms, medians over the runs. "
        f"'arming ms' = the time the {c['count']:,} call_at took: past 150 ms the first "
        "timers were due before the loop ran, and the lateness is the arming's."
    ),
    sizes={
        "full": {"count": 10000, "span": 0.5, "timeout": 60},
        "quick": {"count": 10000, "span": 0.5, "timeout": 60},
    },
    programs=aio_loops("aio_lateness.py"),
    points=lambda c: [Point(f"{c['count']:,} call_at timers")],
    args=lambda c, p, impl: ["--count", c["count"], "--span", c["span"]],
    metrics=("early", "p50_ms", "p90_ms", "p99_ms", "max_ms", "arm_ms"),
    ratios=("p99_ms",),
    unit="p99 ms",
    reference=REFERENCE,
    columns=(
        ("early", med("early", 0)),
        ("p50 ms", med("p50_ms", 3)),
        ("p90 ms", med("p90_ms", 3)),
        ("p99 ms", med("p99_ms", 3)),
        ("max ms", med("max_ms", 3)),
        ("p99 / {ref}", ratio("p99_ms")),
        ("arming ms", med("arm_ms", 1)),
    ),
    extra=lateness_targets,
)

#: In the report's order, after suite.py's own entries.
AIO_SUITE = (AIO_ECHO, AIO_HTTP, AIO_CALLS, AIO_MEM, AIO_LATENESS)
