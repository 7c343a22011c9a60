"""The report: markdown for people, JSON for programs, a chart for the README.

The markdown is a header (the command, the machine, the versions, the method) and then one
section per benchmark that ran, in the suite's order and numbered by it: the entry's title and
intro, one table row per (point, implementation) with the entry's columns and an errors column,
a before/after table when --baseline ran, then whatever the entry adds (``extra``). The JSON
holds the same run in full (every sample), so a report can be redrawn or compared later; the
chart is drawn from it by chart.py in a subprocess (matplotlib is optional).

The cell builders (``med``, ``ratio``, ``percent``, ``spread``) are what entries make their
columns from.
"""

import json
import os
import sys

from harness import HERE, ROOT, procs, stats
from harness.impls import BASELINES
from harness.measure import reference

#: Where --quick writes unless told otherwise: build/ is ignored by git.
QUICK_DIR = os.path.join(HERE, "build", "quick")


def output_paths(quick, out=None, json_path=None):
    """Where a run writes its report, raw results and chart: ``(md, json, png)``.

    A full run updates the committed benchmarks/RESULTS.md, results.json and chart.png; a
    --quick run writes under QUICK_DIR (ignored by git), so it never overwrites them. ``out``
    and ``json_path`` (--out, --json) choose other places; the chart goes next to the JSON
    (benchmarks/chart.png for the committed results.json, else the JSON's name with .png).
    """
    folder = QUICK_DIR if quick else HERE
    md = out if out is not None else os.path.join(folder, "RESULTS.md")
    js = json_path if json_path is not None else os.path.join(folder, "results.json")
    if os.path.abspath(js) == os.path.join(HERE, "results.json"):
        png = os.path.join(HERE, "chart.png")
    else:
        png = os.path.splitext(js)[0] + ".png"
    return md, js, png


# ---------------------------------------------------------------- formatting


def fmt(v, nd=0):
    if v is None:
        return "—"
    if isinstance(v, float) and nd == 0 and abs(v) < 10:
        return f"{v:.2f}"
    return f"{v:,.{nd}f}"


def pct(v):
    return "—" if v is None else f"{v * 100:.0f}%"


def fmt_ratio(v):
    return "—" if v is None else f"{v:.2f}x"


def md_table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


# ---------------------------------------------------------------- cells


def med(key, nd=0, scale=1.0):
    """A cell: the median of a metric (times scale), nd decimals."""

    def cell(pt, impl, d):
        v = stats.median(d, key)
        return fmt(v and v * scale, nd)

    return cell


def ratio(key):
    """A cell: the paired ratio of a metric against the reference."""
    return lambda pt, impl, d: fmt_ratio(d["ratio"].get(key))


def percent(key):
    """A cell: the median of a fraction, in percent."""
    return lambda pt, impl, d: pct(stats.median(d, key))


def spread(key):
    """A cell: the smallest and the largest value of a metric over the runs."""

    def cell(pt, impl, d):
        s = d["summary"].get(key)
        return f"{fmt(s['min'])}–{fmt(s['max'])}" if s else "—"  # noqa: RUF001 (a range dash)

    return cell


# ---------------------------------------------------------------- markdown


def header(meta):
    m = meta["machine"]
    lines = ["# fdevent benchmark results", ""]
    if meta["quick"]:
        lines += [
            f"> **Quick run** (`--quick`): small sizes and {meta['runs']} run(s): a smoke test; "
            "these numbers are unreliable.",
            "",
        ]
    lines += [
        f"- Command: `{meta['command']}`",
        f"- Date: {meta['date']} (took {meta['elapsed_s']:.0f} s)",
        f"- Machine: `{m['uname']}`",
        f"- CPU: {m['cpu']}, {m['cores']} cores; memory {m['memory']}; "
        f"open-file limit {m['nofile_limit']}",
        f"- Load average before / after: {meta['loadavg_before']} / {meta['loadavg_after']}",
        f"- Python: {m['python']}",
        "- Libraries: "
        + ", ".join(f"{k} {v}" for k, v in meta["versions"].items())
        + f"; C compiler: {m['cc']} ({m['cflags']}); matplotlib {m['matplotlib']}",
        f"- Implementations run: {', '.join(meta['impls'])}",
        f"- Method: {meta['runs']} run(s) per measurement, interleaved across implementations "
        "(the order rotates each round), each a fresh process; figures are medians over the "
        "runs, ratios are medians of the per-round ratios against each section's reference "
        f"(its columns name it: **{meta['reference'] or 'n/a'}**). Pinning: {meta['pinning']}.",
        "",
    ]
    if meta["notes"]:
        lines += ["Notes:", ""] + [f"- {n}" for n in meta["notes"]] + [""]
    return lines


def section(number, bench, points, meta):
    """One benchmark's section: title, intro, table, before/after, the entry's extra lines."""
    sizes = meta["config"][bench.name]
    ref = reference(bench, [i for pt in points for i in pt["impls"]])
    head = [bench.point_header, "impl"]
    head += [h.format(ref=ref) for h, _ in bench.columns] + ["errors"]
    rows = [
        [pt["label"], impl, *(cell(pt, impl, d) for _, cell in bench.columns), d["errors"] or ""]
        for pt in points
        for impl, d in pt["impls"].items()
    ]
    lines = [f"## {number}. {bench.title}", "", bench.intro(sizes), "", md_table(head, rows), ""]
    lines += before_after(bench, points, meta)
    if bench.extra:
        lines += bench.extra(points, meta)
    return lines


def before_after(bench, points, meta):
    """After / before of the headline metric when --baseline ran: the median of the per-round
    ratios, paired within each round."""
    key, unit = bench.ratios[0], bench.unit
    rows = []
    for pt in points:
        for before in BASELINES:
            after = "fdevent-" + before.split("-", 1)[1]
            a, b = pt["impls"].get(after), pt["impls"].get(before)
            if not (a and b):
                continue
            r = stats.paired_ratio(a["samples"], b["samples"], key)
            rows.append(
                [
                    pt["label"],
                    after.split("-", 1)[1],
                    fmt(stats.median(b, key)),
                    fmt(stats.median(a, key)),
                    fmt_ratio(r),
                    f"{(r - 1) * 100:+.1f}%" if r else "—",
                    stats.paired_rounds(a["samples"], b["samples"]),
                ]
            )
    if not rows:
        return []
    head = ["point", "core", f"before {unit}", f"after {unit}", "after / before", "change"]
    return [
        f"### {bench.title.split(' (')[0]} before and after (--baseline)",
        "",
        f"Before: {meta['versions'].get('baseline', '?')}. After: this tree. Each round ran "
        "both, interleaved with the others; the ratio is the median of the per-round "
        f"after/before ratios of {unit} (below 1.00x: less after).",
        "",
        md_table([*head, "rounds"], rows),
        "",
    ]


def report(suite, results, meta):
    """The markdown report of a run: results[name] = its points, for the benchmarks that ran."""
    lines = header(meta)
    for number, bench in enumerate(suite, 1):
        if bench.name in results:
            lines += section(number, bench, results[bench.name], meta)
    if meta.get("chart"):
        lines += [f"Chart: `{meta['chart']}`", ""]
    return "\n".join(lines)


# ---------------------------------------------------------------- files


def write_json(path, meta, results):
    with open(path, "w") as f:
        json.dump({"meta": meta, "results": results}, f, indent=1)


def draw_chart(json_path, png, env, notes):
    """Run chart.py on the JSON; returns the chart's path from the repository root, or None
    (with a note) when it could not be drawn."""
    rc, _, err = procs.run_cmd(
        [sys.executable, os.path.join(HERE, "chart.py"), json_path, png], env=env, timeout=120
    )
    if rc == 0:
        return os.path.relpath(png, ROOT)
    notes.append("chart not made: " + (err.strip().splitlines() or ["?"])[-1])
    return None
