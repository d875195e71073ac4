"""The ground station of a rehearsal as its own process, for faults that need one.

Why a process: kill -9, a signal and a file-size limit act on a whole process, so the
tests run the station here and the simulated drone in another, over real UDP.

    python -m tests.ops.ground URL STORE OUT_DIR [--on-find loiter] [--rehearse N]

prints every announcement as one flushed line ("KIND: text"), then the report as
"REPORT {json}".
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from dronewatch.ops import Announcement, FlightOptions, OnFind, run_search
from dronewatch.ops.rehearse import run_rehearsal
from dronewatch.store import Store
from tests.ops.rehearsal import link, rehearsal


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("store")
    parser.add_argument("out", type=Path)
    parser.add_argument("--on-find", default="continue")
    parser.add_argument("--person", default="10,10", help="east,north metres from the alarm")
    parser.add_argument("--rehearse", type=int, default=0,
                        help="plant N people and N fires instead of the one person")
    args = parser.parse_args()

    def say(a: Announcement) -> None:
        print(f"{a.kind.upper()}: {a.text}", flush=True)

    east, north = (float(x) for x in args.person.split(","))
    with rehearsal(person_offset_m=(east, north)) as r, link(args.url) as vehicle, \
            Store(args.store) as store:
        vehicle.wait_for(lambda s: s.prearm_ok and s.gps_fix_type >= 3, 30, "ready")
        options = FlightOptions(on_find=OnFind(args.on_find), hold_s=600)
        if args.rehearse:
            report = run_rehearsal(r.request, vehicle, r.zones, r.terrain, store,
                                   args.out / "map.html", count=args.rehearse, seed=3,
                                   options=options, announce=say).report
        else:
            report = run_search(r.request, vehicle, r.zones, r.terrain, r.camera.render,
                                store, args.out / "map.html", plan=r.plan, options=options,
                                announce=say)
    print("REPORT " + json.dumps({"outcome": report.outcome.value,
                                  "flight_id": report.flight_id,
                                  "findings": [f.id for f in report.findings],
                                  "journaled": report.journaled,
                                  "fault": report.fault}), flush=True)


if __name__ == "__main__":
    main()
