#!/usr/bin/env python3
"""Draw benchmarks/chart.png from benchmarks/results.json (written by run.py).

    python benchmarks/chart.py [results.json] [chart.png]

Panels: chain ns/event (N=100 and N=9,900), echo server CPU µs per request (per
configuration), timers CPU seconds, and memory bytes per idle event if measured.
Lower is better in every panel; bars are medians, whiskers the min-max over runs.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

COLORS = {
    "fdevent-compiled": "#1b7837",
    "fdevent-pure": "#7fbf7b",
    "asyncio": "#4575b4",
    "uvloop": "#91bfdb",
    "libevent": "#d73027",
    "floor": "#999999",
    "python-floor": "#cccccc",
}
ORDER = list(COLORS)


def panel(ax, points, metric, title, ylabel):
    impls = [i for i in ORDER if any(i in pt["impls"] for pt in points)]
    if not impls:
        ax.set_visible(False)
        return
    width = 0.8 / len(impls)
    for j, impl in enumerate(impls):
        xs, ys, lo, hi = [], [], [], []
        for k, pt in enumerate(points):
            s = pt["impls"].get(impl, {}).get("summary", {}).get(metric)
            if not s:
                continue
            xs.append(k - 0.4 + width * (j + 0.5))
            ys.append(s["median"])
            lo.append(s["median"] - s["min"])
            hi.append(s["max"] - s["median"])
        if xs:
            ax.bar(
                xs,
                ys,
                width,
                yerr=[lo, hi],
                capsize=2,
                label=impl,
                color=COLORS.get(impl, "#444444"),
                edgecolor="black",
                linewidth=0.4,
            )
    ax.set_xticks(range(len(points)))
    ax.set_xticklabels([pt["label"] for pt in points], fontsize=8)
    ax.set_title(title, fontsize=10)
    ax.set_ylabel(ylabel, fontsize=9)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=7)


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "results.json")
    dst = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "chart.png")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with open(src) as f:
        data = json.load(f)
    res, meta = data["results"], data["meta"]
    specs = [
        ("chain", "ns_per_event", "Chain: ns per event (lower is better)", "ns / event"),
        (
            "echo",
            "cpu_us_per_req",
            "Echo: server CPU per request (lower is better)",
            "µs CPU / request",
        ),
        ("timers", "cpu_s", "Timers: CPU for schedule+cancel+run (lower is better)", "CPU seconds"),
        ("mem", "bytes_per_event", "Memory per idle I/O event (lower is better)", "bytes / event"),
    ]
    specs = [s for s in specs if res.get(s[0])]
    if not specs:
        raise SystemExit("no results to chart")
    fig, axes = plt.subplots(len(specs), 1, figsize=(10, 3.4 * len(specs)), squeeze=False)
    for ax, (bench, metric, title, ylabel) in zip(axes[:, 0], specs, strict=True):
        points = res[bench]
        if bench == "mem":
            points = [pt for pt in points if pt["params"].get("method") == "rss"]
        panel(ax, points, metric, title, ylabel)
    sub = f"{meta['date']} - {meta['machine']['cpu']} - {meta['runs']} run(s)"
    if meta.get("quick"):
        sub += " - QUICK RUN, unreliable"
    fig.suptitle("fdevent against its peers\n" + sub, fontsize=11)
    fig.tight_layout()
    fig.savefig(dst, dpi=110)
    print(dst)


if __name__ == "__main__":
    main()
