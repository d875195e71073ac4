"""Benchmark: high-incidence areas found in a seeded year, and the time to report on it.

    python -m tests.benchmarks.analysis [--json] [--seed N] [--findings N]

A SQLite store is filled with a simulated year (tests.analysis.simyear): 50,000 hotspot
findings, 60 % around six planted areas (two of them appearing half-way through the
year), 40 % scattered over the 40 x 40 km district. The areas of the whole year are
found (dronewatch.analysis.areas) and scored against the planted ones:

- ``areas_recall``: share of planted areas with a reported area centred within 3 sigma
  (at least 200 m) of them;
- ``areas_precision``: share of reported areas that are such a hit;
- ``report_seconds``: reading the year's places from the store, finding its areas and
  comparing them with the previous window (the first half against the second), plus
  the weekly report of the last week when that exists.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from dronewatch.analysis.areas import compare_windows, find_areas
from dronewatch.store import Store
from dronewatch.store.tallies import places
from tests.analysis.simyear import START_UNIX_S, WEEK_S, fill_store, score
from tests.benchmarks._report import report, wants_json

WEEKS = 52


def run(seed: int, total: int, out: Path) -> dict[str, float]:
    with Store(out / "year.sqlite") as store:
        planted = fill_store(store, seed, total, WEEKS)
        started = time.perf_counter()
        end = START_UNIX_S + WEEKS * WEEK_S
        year = find_areas(places(store, START_UNIX_S, end))
        half = START_UNIX_S + WEEKS // 2 * WEEK_S
        compare_windows(find_areas(places(store, half, end)),
                        find_areas(places(store, START_UNIX_S, half)))
        try:
            from dronewatch.analysis.report import write_week_report
        except ImportError:
            pass
        else:
            write_week_report(store, end - WEEK_S, out / "week.html", now_unix_s=end)
        seconds = time.perf_counter() - started
    recall, precision = score([(a.lat_deg, a.lon_deg) for a in year], planted)
    return {"areas_recall": round(recall, 3), "areas_precision": round(precision, 3),
            "report_seconds": round(seconds, 2), "areas": len(year), "planted": len(planted)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--findings", type=int, default=50_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as out:
        r = run(args.seed, args.findings, Path(out))
    report(f"high-incidence areas over a simulated year ({args.findings} findings, seed "
           f"{args.seed})",
           [("planted areas", str(r["planted"])), ("areas reported", str(r["areas"])),
            ("recall", f"{r['areas_recall']:.2f}"), ("precision", f"{r['areas_precision']:.2f}"),
            ("report", f"{r['report_seconds']:.1f} s")],
           {k: r[k] for k in ("areas_recall", "areas_precision", "report_seconds")},
           as_json=wants_json() or args.json)


if __name__ == "__main__":
    main()
