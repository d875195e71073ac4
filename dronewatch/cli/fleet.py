"""The fleet side of ``dronewatch search``: several ``--drone`` URLs fly one search.

Why its own module: the single-drone search keeps its own report; a fleet's report is
one row per flight (the drone, its share or the rest of whose share it flew, how it
ended, what it saw), the POD of the whole search, the separation held, and the findings
of all of them (one fuser). The command only connects, calls
:func:`dronewatch.ops.fleet.run_fleet_search` and prints. At a terminal, a drone that came
home early is flown again only once the operator confirms its battery was swapped.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.table import Table

from dronewatch.cli.common import console, exit_3_unless_a_person_alarm, fail, run
from dronewatch.geo import Terrain
from dronewatch.ops import Announcement, FlightOptions, SearchRequest
from dronewatch.ops.cameras import camera_source
from dronewatch.ops.fleet import (
    DroneResult,
    FleetDrone,
    FleetReport,
    run_fleet_search,
    shared_camera,
)
from dronewatch.ops.station import connect_station
from dronewatch.store import FindingKind, Store
from dronewatch.zones import ZoneSet

__all__ = ["confirm_swap", "fly_fleet"]


def fly_fleet(request: SearchRequest, urls: Sequence[str], *, zones: ZoneSet, terrain: Terrain,
              store: str, camera: str, seed: int, camera_model: str, out_dir: Path,
              speedup: float | None, key: bytes | None, tlog: Path,
              options: FlightOptions, announce: Callable[[Announcement], None],
              as_json: bool) -> None:
    """Connect every drone (a .tlog each beside ``tlog``), fly the search, print the report.

    Exit code 3 when no person was found, as for one drone.
    """
    source = shared_camera(camera_source(camera, terrain, seed=seed, model=camera_model))
    with contextlib.ExitStack() as stack:
        db = stack.enter_context(run(lambda: Store(store)))
        drones = []
        for i, url in enumerate(urls):
            log = tlog.with_stem(f"{tlog.stem}-drone{i + 1}")
            vehicle = stack.enter_context(run(lambda u=url, t=log: connect_station(
                u, speedup, key, t)))
            drones.append(FleetDrone(url, vehicle, source))
        try:
            swap = None if as_json or not sys.stdin.isatty() else confirm_swap
            report = run(lambda: run_fleet_search(request, drones, zones, terrain, db, out_dir,
                                                  options=options, announce=announce,
                                                  confirm_swap=swap))
        except KeyboardInterrupt:
            fail("stopped by Ctrl-C before the flight: nothing was uploaded or flown", 130)
    if as_json:
        print(fleet_json(report))
    else:
        console.print(fleet_table(report))
    exit_3_unless_a_person_alarm(report.findings)


def confirm_swap(name: str) -> bool:
    """Ask the operator whether the drone that came home has a fresh battery now."""
    answer = console.input(f"[bold]{name} is home: swap its battery, then type y to fly it "
                           "again (anything else: it stays on the ground): [/]")
    return answer.strip().lower() in ("y", "yes")


def fleet_table(report: FleetReport) -> Table:
    table = Table(title=f"mission {report.mission_id}: {len(report.drones)} drones, POD "
                        f"{report.pod:.0%}")
    for column in ("drone", "share", "outcome", "area seen", "frames", "note"):
        table.add_column(column)
    for d in (*report.drones, *report.relays):
        r = d.report
        share = f"{d.share} (relay)" if d.relay_of else d.share
        table.add_row(d.name, share or "-", str(r.outcome) if r else "did not fly",
                      f"{r.covered_share:.0%} of {d.region_m2 / 1e4:.1f} ha" if r else "-",
                      str(r.frames) if r else "-", d.error)
    for text in report.unsearched:
        table.add_row("-", "left unsearched", "-", "-", "-", text)
    persons = [f for f in report.findings if f.kind is FindingKind.PERSON]
    for f in persons:
        table.add_row(f"person #{f.id}", f"{f.lat_deg:.6f}, {f.lon_deg:.6f}",
                      f.status.value, f"± {f.accuracy_m:.1f} m", str(f.evidence_count),
                      f"confidence {f.confidence:.0%}")
    gap = "none closer" if report.min_gap_m == float("inf") else f"{report.min_gap_m:.0f} m"
    table.caption = (f"separation: {len(report.breaches)} hold(s); closest at one height: "
                     f"{gap}" + (f"; LOST: {', '.join(report.lost)}" if report.lost else "")
                     + (f"; {report.recalled}" if report.recalled else ""))
    return table


def _row(d: DroneResult) -> dict[str, object]:
    return {"drone": d.name, "share": d.share, "relay_of": d.relay_of,
            "transit_offset_m": d.transit_offset_m,
            "outcome": d.report.outcome.value if d.report else "did not fly",
            "flight_id": d.report.flight_id if d.report else None,
            "region_m2": round(d.region_m2),
            "covered_share": round(d.report.covered_share, 3) if d.report else 0.0,
            "pod": round(d.report.pod_achieved, 3) if d.report else 0.0,
            "frames": d.report.frames if d.report else 0, "error": d.error}


def fleet_json(report: FleetReport) -> str:
    gap = None if report.min_gap_m == float("inf") else round(report.min_gap_m, 1)
    return json.dumps({
        "mission_id": report.mission_id,
        "drones": [_row(d) for d in report.drones],
        "relays": [_row(d) for d in report.relays],
        "pod": round(report.pod, 3), "unsearched": list(report.unsearched),
        "recalled": report.recalled,
        "findings": [{"id": f.id, "kind": f.kind.value, "status": f.status.value,
                      "lat_deg": f.lat_deg, "lon_deg": f.lon_deg,
                      "accuracy_m": round(f.accuracy_m, 2), "confidence": round(f.confidence, 3),
                      "evidence": f.evidence_count} for f in report.findings],
        "separation_holds": len(report.breaches), "min_gap_m": gap, "lost": list(report.lost)})
