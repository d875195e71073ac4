"""Benchmark: searches with random faults at random times; is every drone brought home?

    python -m tests.benchmarks.faults [--json] [--runs N] [--seed S]

Each run starts the built-in simulated vehicle (40x) at the south forward post, plants
a sitting person at a seeded random place near the alarm, and flies the 200 m search
over real UDP with one fault drawn at random (or none), injected at a random moment:
Ctrl-C during the upload, the take-off or the survey, SIGTERM in the survey, the
store's database locked by another writer, the camera leaving a stale frame over the
person, the camera folder vanishing, a bug in the camera code. Afterwards the next
start's recovery runs, and the run is scored:

- landed home: the vehicle disarmed within 25 m of its launch point (a run stopped
  before take-off counts when the drone never left the ground);
- findings lost: findings announced to the operator that are not in the store;
- false alarms: PERSON alarms more than 25 m from the planted person;
- tracebacks: any error escaping the search other than a stated refusal.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sqlite3
import tempfile
import threading
import time
import traceback
from dataclasses import replace
from pathlib import Path

from dronewatch.errors import DronewatchError
from dronewatch.geo import Attitude, CameraPose, GimbalAttitude, distance_m
from dronewatch.ops import FlightOptions, run_search
from dronewatch.ops.record import Announcement
from dronewatch.ops.recovery import recover
from dronewatch.store import FindingKind, FindingStatus, Journal, Store
from dronewatch.thermal import FrameError
from tests.benchmarks._report import report
from tests.ops.rehearsal import drone, link, rehearsal

RUNS = 50
FAULTS = ("none", "sigint-upload", "sigint-takeoff", "sigint-survey", "sigterm-survey",
          "store-locked", "stale-frame", "camera-gone", "camera-bug")


def _lock(path: Path, seconds: float) -> None:
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    time.sleep(seconds)
    other.execute("ROLLBACK")
    other.close()


def _run(number: int, fault: str, rng: random.Random, folder: Path) -> dict[str, object]:
    offset = (rng.uniform(-80, 80), rng.uniform(-80, 80))
    at_shot = rng.randint(1, 25)
    out: dict[str, object] = {"fault": fault, "home": False, "lost": 0, "false": 0,
                              "traceback": ""}
    printed: set[int] = set()
    store_path = folder / "s.sqlite"

    def announce(a: Announcement) -> None:
        if a.finding is not None and a.finding.id is not None:
            printed.add(a.finding.id)
        if fault == "sigint-upload" and a.text.startswith("uploading"):
            os.kill(os.getpid(), signal.SIGINT)

    with rehearsal(person_offset_m=offset, seed=number) as r, drone(r.plan.home) as sim, \
            link(sim.url) as vehicle, Store(store_path) as store:
        lat, lon = r.person
        above = CameraPose(lat, lon, r.terrain.elevation_at(lat, lon) + 60.0,
                           Attitude(0.0, 0.0, 0.0), GimbalAttitude(-90.0, 0.0, 0.0))
        # the camera's last frame before it stopped: over the person, 40 s old, no pose
        old = replace(r.camera.render(above, time.time() - 40.0), pose=None)
        shots = 0

        def camera(pose, when):
            nonlocal shots
            shots += 1
            if shots >= at_shot:
                if fault in ("sigint-survey", "sigterm-survey") and shots == at_shot:
                    os.kill(os.getpid(), signal.SIGINT if fault == "sigint-survey"
                            else signal.SIGTERM)
                elif fault == "store-locked" and shots == at_shot:
                    threading.Thread(target=_lock, args=(store_path, 6.0),
                                     daemon=True).start()
                    time.sleep(0.1)
                elif fault == "stale-frame":
                    return old  # the camera stopped; its last frame is over the person
                elif fault == "camera-gone":
                    raise FrameError(folder / "camera", "camera folder unreadable: gone")
                elif fault == "camera-bug" and shots == at_shot:
                    raise RuntimeError("a bug in the camera driver")
            return r.camera.render(pose, when)

        vehicle.wait_for(lambda s: s.prearm_ok and s.gps_fix_type >= 3, 30, "ready")
        if fault == "sigint-takeoff":
            def watch() -> None:
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline and not vehicle.state.armed:
                    time.sleep(0.005)
                os.kill(os.getpid(), signal.SIGINT)
            threading.Thread(target=watch, daemon=True).start()
        mission_id = None
        try:
            result = run_search(r.request, vehicle, r.zones, r.terrain, camera, store,
                                folder / "map.html", plan=r.plan, announce=announce,
                                options=FlightOptions(journal_path=folder / "j.jsonl"))
            mission_id = result.mission_id
        except DronewatchError as exc:  # a stated refusal (stopped before take-off)
            out["refused"] = str(exc)
        except BaseException:  # what the benchmark counts
            out["traceback"] = traceback.format_exc()
        try:
            state = vehicle.wait_for(lambda s: not s.armed and s.alt_rel_m < 1.0, 60, "landed")
            home = r.plan.home
            out["home"] = distance_m(state.lat_deg, state.lon_deg,
                                     home.lat_deg, home.lon_deg) < 25
        except Exception:  # never landed: scored as not home
            out["home"] = False
        recover(store, Journal(folder / "j.jsonl"))
        stored = store.findings(mission_id=mission_id) if mission_id else store.findings()
        ids = {f.id for f in stored}
        out["lost"] = max(0, len(printed) - len(stored)) + len(
            {i for i in printed if i > 0} - ids)
        out["false"] = sum(1 for f in stored if f.kind is FindingKind.PERSON
                           and f.status is FindingStatus.ALARM
                           and r.distance_m(f.lat_deg, f.lon_deg) > 25)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    rng = random.Random(args.seed)
    results = []
    started = time.monotonic()
    for number in range(args.runs):
        fault = rng.choice(FAULTS)
        with tempfile.TemporaryDirectory() as tmp:
            result = _run(number, fault, rng, Path(tmp))
        results.append(result)
        flag = "" if result["home"] and not result["traceback"] else "  <-- "
        print(f"  run {number + 1:2d} {fault:15s} home={result['home']} lost={result['lost']} "
              f"false={result['false']}{flag}{str(result['traceback'])[-300:]}", flush=True)
    figures = {
        "runs": args.runs,
        "drones_landed_home": sum(bool(r["home"]) for r in results),
        "findings_lost": sum(int(r["lost"]) for r in results),
        "false_alarms": sum(int(r["false"]) for r in results),
        "tracebacks": sum(bool(r["traceback"]) for r in results),
    }
    rows = [("runs (vehicle at 40x, one random fault each)", str(args.runs)),
            ("faults drawn", ", ".join(f"{f} {sum(r['fault'] == f for r in results)}"
                                       for f in FAULTS)),
            ("drones landed home", str(figures["drones_landed_home"])),
            ("findings announced but not stored", str(figures["findings_lost"])),
            ("false PERSON alarms (> 25 m from the person)", str(figures["false_alarms"])),
            ("tracebacks", str(figures["tracebacks"])),
            ("wall time", f"{time.monotonic() - started:.0f} s")]
    report("searches with faults injected", rows, figures, as_json=args.json)


if __name__ == "__main__":
    main()
