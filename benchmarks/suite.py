"""The benchmarks, each described once: sizes, programs, points, metrics, table.

An entry (``harness.spec.Benchmark``) is everything the runner knows about a benchmark; the
runner itself (``harness``) knows none of them by name. To add one: write its program(s), which
print one JSON line, and append an entry to ``SUITE`` (its place there is its section number
in the report). ``README.md`` says what each one measures and why it is built the way it is.

Program helpers: ``cores("fdevent", path)`` is the script for both fdevent cores (and
``cores("baseline", path)`` the same script under --baseline's interpreter; ``cores("stream",
path)`` for the stream layer's rows); ``loops(path)`` is the asyncio script, with ``--uvloop``
for uvloop.
"""

from harness import loads
from harness.procs import BenchError
from harness.report import fmt, fmt_ratio, md_table, med, percent, ratio, spread
from harness.spec import Benchmark, CProgram, Point, Script
from harness.stats import paired_ratio
from suite_aio import AIO_SUITE, ECHO_MEASURES, idle_connection_memory


def cores(layer, path, *args):
    return {f"{layer}-{core}": Script(path, args) for core in ("compiled", "pure")}


def loops(path, *args):
    return {"asyncio": Script(path, args), "uvloop": Script(path, (*args, "--uvloop"))}


def runs_fdevent_script(impl):
    """Whether impl runs the ``*_fdevent.py`` scripts (this tree's cores or the baseline's)."""
    return impl.startswith(("fdevent-", "baseline-"))


def size_label(n):
    return f"{n // 1024} KiB" if n >= 1024 and n % 1024 == 0 else f"{n} B"


# ---------------------------------------------------------------- 1. chain


def above_floor(pt, impl, d):
    """ns/event minus the syscall floor's at the same point: the loop's own cost."""
    floor = pt["impls"].get("floor", {}).get("summary", {}).get("ns_per_event")
    s = d["summary"].get("ns_per_event")
    return fmt(s["median"] - floor["median"] if s and floor and impl != "floor" else None)


CHAIN = Benchmark(
    name="chain",
    title="Chain (libevent bench.c style)",
    intro=lambda c: (
        f"{c['active']} active writers, {c['writes']:,} writes per round "
        f"({c['active'] + c['writes']:,} read callbacks), {c['rounds']} timed rounds "
        "per process (median). ns/event = wall time / read callbacks. "
        "'above floor' = ns/event minus the syscall floor (the loop's own cost)."
    ),
    sizes={
        "full": {
            "pipes": [100, 9900],
            "active": 100,
            "writes": 100000,
            "rounds": 5,
            "timeout": 300,
        },
        "quick": {"pipes": [100, 9900], "active": 100, "writes": 20000, "rounds": 2, "timeout": 60},
    },
    programs={
        **cores("fdevent", "chain_fdevent.py"),
        **loops("chain_asyncio.py"),
        "libevent": CProgram("chain_libevent", libevent=True),
        "floor": CProgram("chain_floor"),
        "python-floor": Script("chain_pyfloor.py"),
        **cores("baseline", "chain_fdevent.py"),
    },
    points=lambda c: [Point(f"N={n:,}", {"pipes": n}) for n in c["pipes"]],
    args=lambda c, p, impl: [
        *("--pipes", p["pipes"], "--active", c["active"]),
        *("--writes", c["writes"], "--rounds", c["rounds"]),
    ],
    metrics=("ns_per_event",),
    ratios=("ns_per_event",),
    unit="ns/event",
    columns=(
        ("ns/event", med("ns_per_event")),
        ("range", spread("ns_per_event")),
        ("above floor", above_floor),
        ("time / {ref}", ratio("ns_per_event")),
    ),
)


# ---------------------------------------------------------------- 2. echo

#: Issue 8's targets for the Stream echo: server CPU per request of one implementation over
#: another, at most the target (None: shown, no target).
ECHO_TARGETS = (
    ("stream-compiled", "uvloop", 0.90),
    ("stream-compiled", "libevent", 1.15),
    ("stream-compiled", "libevent-bev", None),
    ("stream-pure", "asyncio", 1.0),
)


def echo_targets(points, meta):
    """The targets per configuration, each a median of per-round ratios, marked ✓ or ✗."""
    head = ["config"]
    head += [f"{a} / {b}" + (f" (target ≤ {t:.2f})" if t else "") for a, b, t in ECHO_TARGETS]
    rows = []
    for pt in points:
        row = [pt["label"]]
        for a, b, target in ECHO_TARGETS:
            da, db = pt["impls"].get(a), pt["impls"].get(b)
            r = paired_ratio(da["samples"], db["samples"], "cpu_us_per_req") if da and db else None
            mark = "" if r is None or target is None else (" ✓" if r <= target else " ✗")
            row.append(fmt_ratio(r) + mark)
        rows.append(row)
    return [
        "### Echo targets (server CPU per request, paired per round)",
        "",
        md_table(head, rows),
        "",
    ]


ECHO = Benchmark(
    name="echo",
    title="Echo over loopback TCP (ping-pong)",
    intro=lambda c: (
        f"C connections, one request in flight each, every echoed byte verified; "
        f"{c['warmup']} s warm-up, then a {c['duration']} s measured window. Server "
        "CPU from /proc/PID/stat (utime, stime; 1/CLK_TCK resolution) at the window's "
        "ends, divided by the requests in it. 'srv CPU' / 'load CPU' = share of one "
        "core used by the server / load generator (near 100% = saturated); 'other "
        "CPU' = CPU everything else on the machine used meanwhile, in % of one core (from "
        "/proc/stat; high = a noisy run); 'faults/req' = the server's minor page "
        "faults per request."
    ),
    sizes={
        "full": {
            "configs": [(1, 64), (50, 64), (500, 64), (50, 16384)],
            "warmup": 1.0,
            "duration": 5.0,
        },
        "quick": {
            "configs": [(1, 64), (50, 64), (500, 64), (50, 16384)],
            "warmup": 0.2,
            "duration": 0.5,
        },
    },
    programs={
        **cores("stream", "echo_stream.py"),
        **cores("fdevent", "echo_fdevent.py"),
        **loops("echo_asyncio.py"),
        "libevent": CProgram("echo_libevent", libevent=True),
        "libevent-bev": CProgram("echo_libevent_bev", libevent=True),
        **cores("baseline", "echo_fdevent.py"),
    },
    points=lambda c: [
        Point(f"C={n}, {size_label(s)}", {"conns": n, "size": s}) for n, s in c["configs"]
    ],
    # The server's own bound on its life, should the runner not stop it.
    args=lambda c, p, impl: ["--port", 0, "--max-seconds", c["warmup"] + c["duration"] + 60],
    **ECHO_MEASURES,
    columns=(
        ("req/s", med("rps")),
        ("p50 µs", med("p50_us", 0)),
        ("p99 µs", med("p99_us", 0)),
        ("user µs/req", med("cpu_user_us_per_req", 2)),
        ("sys µs/req", med("cpu_sys_us_per_req", 2)),
        ("CPU µs/req", med("cpu_us_per_req", 2)),
        ("CPU / {ref}", ratio("cpu_us_per_req")),
        ("srv CPU", percent("server_cpu_util")),
        ("load CPU", percent("client_cpu_util")),
        ("other CPU", percent("other_cpu_util")),
        ("faults/req", med("server_minflt_per_req", 2)),
    ),
    extra=echo_targets,
)


# ---------------------------------------------------------------- 3. timers


def timers_growth(res):
    res["rss_growth_kib"] = res["peak_rss_kib"] - res["baseline_rss_kib"]
    return res


def timers_phases(pt, impl, d):
    return " / ".join(med(f"{p}_cpu_s", 2)(pt, impl, d) for p in ("schedule", "cancel", "run"))


TIMERS = Benchmark(
    name="timers",
    title="Timers",
    intro=lambda c: (
        f"{c['count']:,} one-shot timers, delays from a fixed-seed LCG (seed "
        f"{c['seed']}) under 1 s, every second one cancelled, run until the rest "
        "fire. CPU = user+sys (getrusage) over schedule + cancel + run. Peak RSS = "
        "ru_maxrss of the whole process; 'growth' = peak minus the RSS before "
        "scheduling (the interpreter and the delay list are in the baseline)."
    ),
    sizes={
        "full": {"count": 1000000, "seed": 12345, "timeout": 300},
        "quick": {"count": 100000, "seed": 12345, "timeout": 60},
    },
    programs={
        **cores("fdevent", "timers_fdevent.py"),
        **loops("timers_asyncio.py"),
        "libevent": CProgram("timers_libevent", libevent=True),
        **cores("baseline", "timers_fdevent.py"),
    },
    points=lambda c: [Point(f"{c['count']:,} timers")],
    args=lambda c, p, impl: ["--count", c["count"], "--seed", c["seed"]],
    derive=timers_growth,
    metrics=(
        *("cpu_s", "user_s", "sys_s", "schedule_cpu_s", "cancel_cpu_s", "run_cpu_s"),
        *("peak_rss_kib", "rss_growth_kib", "wall_s"),
    ),
    ratios=("cpu_s",),
    unit="CPU s",
    columns=(
        ("CPU s", med("cpu_s", 3)),
        ("user s", med("user_s", 3)),
        ("sys s", med("sys_s", 3)),
        ("schedule / cancel / run s", timers_phases),
        ("peak RSS MiB", med("peak_rss_kib", 1, 1 / 1024)),
        ("growth MiB", med("rss_growth_kib", 1, 1 / 1024)),
        ("CPU / {ref}", ratio("cpu_s")),
    ),
)


# ---------------------------------------------------------------- 4. mem


def mem_points(c):
    """Per method: fdevent at K events per fd (only fdevent allows several), then everyone at
    one per fd; uvloop has no tracemalloc figure (libuv need not use Python's allocators)."""
    fds, k = c["fds"], c["per_fd"]
    pts = []
    for method in ("RSS", "tracemalloc"):
        params = {"method": method.lower()}
        if k > 1:
            label = f"{method}, {fds:,} fds x {k} events = {fds * k:,}"
            pts.append(Point(label, {**params, "per_fd": k}, only=runs_fdevent_script))
        only = None if method == "RSS" else (lambda impl: impl != "uvloop")
        pts.append(Point(f"{method}, {fds:,} fds x 1 event", {**params, "per_fd": 1}, only=only))
    return pts


def mem_args(c, p, impl):
    per_fd = ["--per-fd", p["per_fd"]] if runs_fdevent_script(impl) else []
    method = ["--tracemalloc"] if p["method"] == "tracemalloc" else []
    return ["--fds", c["fds"], *per_fd, *method]


MEM = Benchmark(
    name="mem",
    title="Memory per idle I/O event",
    intro=lambda c: (
        f"Persistent read events on eventfds that are never written (one fd each, so "
        f"{c['fds']:,} fit under the 20,000 open-file limit; socketpairs would need two "
        "fds each). fdevent allows several events per fd, so it is also measured at "
        f"{c['per_fd']} events per fd ({c['fds'] * c['per_fd']:,} events); asyncio and "
        "uvloop allow one reader per fd, so they are measured at "
        f"{c['fds']:,}. RSS = delta of /proc/self/statm around attaching (kernel "
        "memory for epoll registrations is not in it); tracemalloc = Python-heap "
        "delta (a separate process). uvloop's tracemalloc figure is omitted (libuv "
        "memory may not go through Python's allocators). Target (issue 7): at most 150 "
        "bytes per event at 1 event per fd (RSS, compiled core)."
    ),
    sizes={
        "full": {"fds": 10000, "per_fd": 10, "timeout": 120},
        "quick": {"fds": 10000, "per_fd": 10, "timeout": 60},
    },
    programs={
        **cores("fdevent", "mem_fdevent.py"),
        **loops("mem_asyncio.py"),
        **cores("baseline", "mem_fdevent.py"),
    },
    points=mem_points,
    args=mem_args,
    metrics=("bytes_per_event",),
    ratios=("bytes_per_event",),
    unit="bytes/event",
    columns=(("bytes/event", med("bytes_per_event", 0)), ("/ {ref}", ratio("bytes_per_event"))),
)


# ---------------------------------------------------------------- 5. xthread


def xthread_check(res):
    if res.get("wrong_thread"):
        raise BenchError(f"{res['wrong_thread']} callbacks ran outside the loop thread")
    return res


XTHREAD = Benchmark(
    name="xthread",
    title="Cross-thread wakeup latency (idle loop)",
    intro=lambda c: (
        f"The loop idles in its poll; a producer thread asks it to run a callback "
        f"(fdevent: `ev.activate()`; asyncio, uvloop: `loop.call_soon_threadsafe()`) and "
        f"waits for it; latency = from the call to the callback's first line. "
        f"{c['samples']:,} samples after {c['warmup']} warm-up ones, {c['gap_us']} µs "
        "apart (so the loop is asleep again each time). Percentiles in µs, medians over "
        "the runs. Not pinned: the two threads each need a core."
    ),
    sizes={
        "full": {"samples": 10000, "warmup": 500, "gap_us": 200, "timeout": 120},
        "quick": {"samples": 1000, "warmup": 100, "gap_us": 200, "timeout": 60},
    },
    programs={
        **cores("fdevent", "xthread_fdevent.py"),
        **loops("xthread_asyncio.py"),
        **cores("baseline", "xthread_fdevent.py"),
    },
    points=lambda c: [Point("idle loop")],
    args=lambda c, p, impl: [
        *("--samples", c["samples"], "--warmup", c["warmup"], "--gap-us", c["gap_us"])
    ],
    # On one core the figure would be the scheduler's time slice, not the wakeup.
    pin=False,
    derive=xthread_check,
    metrics=("p50_us", "p90_us", "p99_us", "max_us", "mean_us"),
    ratios=("p50_us", "p99_us"),
    unit="p50 µs",
    columns=(
        ("p50 µs", med("p50_us", 1)),
        ("p90 µs", med("p90_us", 1)),
        ("p99 µs", med("p99_us", 1)),
        ("max µs", med("max_us", 0)),
        ("p50 /", ratio("p50_us")),
        ("p99 /", ratio("p99_us")),
    ),
)


# ---------------------------------------------------------------- 6. fdtable

FDTABLE = Benchmark(
    name="fdtable",
    title="Attach and detach with K events on one fd",
    intro=lambda c: (
        f"K persistent read events on one eventfd: attach all, detach all (same order), "
        f"repeated until {c['ops']:,} attaches, {c['rounds']} rounds per process (median). "
        "ns per event. An fd table that keeps an fd's events in a list is flat in K; one "
        "that rebuilds a tuple per change grows with K. At K=1 each attach and detach is "
        "also an epoll_ctl call."
    ),
    sizes={
        "full": {"per_fd": [1, 100, 100000], "ops": 200000, "rounds": 5, "timeout": 300},
        "quick": {"per_fd": [1, 100, 100000], "ops": 100000, "rounds": 1, "timeout": 120},
    },
    programs={**cores("fdevent", "fdtable_fdevent.py"), **cores("baseline", "fdtable_fdevent.py")},
    points=lambda c: [Point(f"K={k:,} on one fd", {"per_fd": k}) for k in c["per_fd"]],
    args=lambda c, p, impl: [
        *("--per-fd", p["per_fd"], "--ops", c["ops"], "--rounds", c["rounds"])
    ],
    metrics=("attach_detach_ns", "attach_ns", "detach_ns"),
    ratios=("attach_detach_ns",),
    unit="ns",
    columns=(
        ("attach ns", med("attach_ns", 0)),
        ("detach ns", med("detach_ns", 0)),
        ("both ns", med("attach_detach_ns", 0)),
        ("/ {ref}", ratio("attach_detach_ns")),
    ),
)


# ---------------------------------------------------------------- 7. streammem

STREAMMEM = idle_connection_memory(
    name="streammem",
    title="Memory per idle connection (Stream vs transport + protocol)",
    intro=lambda c: (
        f"{c['conns']:,} socketpairs made first (not counted); one end of each becomes an "
        "fdevent Stream with empty buffers, or asyncio's/uvloop's transport + protocol "
        "(`loop.connect_accepted_socket`). Reading on, nothing sent. tracemalloc = the "
        "Python-heap delta per connection (uvloop's libuv memory goes through Python's raw "
        "allocator and is counted); RSS = the resident-set delta. Target: a Stream at most "
        "half of asyncio's pair."
    ),
    programs={
        **cores("stream", "mem_stream.py", "--impl", "fdevent"),
        "asyncio": Script("mem_stream.py", ("--impl", "asyncio")),
        "uvloop": Script("mem_stream.py", ("--impl", "uvloop")),
    },
    reference=("stream-compiled", "stream-pure"),
)


# ---------------------------------------------------------------- 8. http

HTTP = Benchmark(
    name="http",
    title="HTTP hello with wrk (a third-party client)",
    intro=lambda c: (
        f"`wrk -t1 -cN -d{c['duration']}s` (pinned to the load CPU) against "
        "examples/http_hello.py (fdevent streams) or benchmarks/http_asyncio.py (the same "
        "server on asyncio / uvloop Protocols), pinned to the server CPU; HTTP/1.1 "
        "keep-alive. Server CPU from /proc/PID/stat around the wrk run."
    ),
    sizes={
        "full": {"conns": [50], "duration": 5.0, "timeout": 60},
        "quick": {"conns": [50], "duration": 1.0, "timeout": 30},
    },
    programs={**cores("stream", "../examples/http_hello.py"), **loops("http_asyncio.py")},
    points=lambda c: [Point(f"wrk -c{n}", {"conns": n}) for n in c["conns"]],
    args=lambda c, p, impl: ["--port", 0, "--max-seconds", c["duration"] + 60],
    load=loads.wrk,
    needs=("wrk",),
    metrics=("rps", "cpu_us_per_req", "p50_ms", "p99_ms", "server_cpu_util"),
    ratios=("cpu_us_per_req", "rps"),
    unit="CPU µs/req",
    reference=("stream-compiled", "stream-pure"),
    columns=(
        ("req/s", med("rps")),
        ("p50 ms", med("p50_ms", 2)),
        ("p99 ms", med("p99_ms", 2)),
        ("CPU µs/req", med("cpu_us_per_req", 2)),
        ("CPU / {ref}", ratio("cpu_us_per_req")),
        ("srv CPU", percent("server_cpu_util")),
    ),
)


#: Every benchmark, in the report's order; the asyncio-loop ones (issue 14) are in suite_aio.
SUITE = (CHAIN, ECHO, TIMERS, MEM, XTHREAD, FDTABLE, STREAMMEM, HTTP, *AIO_SUITE)
BY_NAME = {b.name: b for b in SUITE}
