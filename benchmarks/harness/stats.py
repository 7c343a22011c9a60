"""Statistics: medians over the runs, and ratios paired within a round.

The machine is shared and noisy, in phases: a figure is the median over the runs (robust to one
slow run), and a ratio between two implementations is the median of the per-round ratios, each
taken between two runs of the same round, so a slow phase weighs on both sides of it. A failed
run is ``None`` in its round and drops out of both.
"""

import statistics


def summarize(samples, key):
    """{median, min, max, n} of one metric over a list of results (None: a failed run)."""
    vals = [s[key] for s in samples if s is not None and s.get(key) is not None]
    if not vals:
        return None
    return {"median": statistics.median(vals), "min": min(vals), "max": max(vals), "n": len(vals)}


def paired_ratio(rounds_a, rounds_ref, key):
    """Median over rounds of a[key] / ref[key] (rounds where both succeeded)."""
    ratios = []
    for a, b in zip(rounds_a, rounds_ref, strict=True):
        if a is not None and b is not None and b.get(key):
            ratios.append(a[key] / b[key])
    return statistics.median(ratios) if ratios else None


def paired_rounds(rounds_a, rounds_b):
    """How many rounds both succeeded in."""
    return sum(1 for a, b in zip(rounds_a, rounds_b, strict=True) if a and b)


def summarize_point(label, params, store, errors, metrics, ratios, reference):
    """A measurement point as the report and results.json hold it: per implementation, the
    summary of each metric, the ratios against ``reference``, the raw samples and the errors.

    ``store[impl]`` and ``errors[impl]`` are per-round lists (a sample or None; messages)."""
    pt = {"label": label, "params": params, "impls": {}}
    for impl, samples in store.items():
        ratio = {}
        if reference in store:
            ratio = {m: paired_ratio(samples, store[reference], m) for m in ratios}
        pt["impls"][impl] = {
            "summary": {m: summarize(samples, m) for m in metrics},
            "ratio": ratio,
            "samples": samples,
            "errors": "; ".join(sorted(set(errors[impl])))[:300],
        }
    return pt


def median(d, key):
    """The median of one metric of an implementation's summary (None if it has none)."""
    s = d["summary"].get(key)
    return s and s["median"]
