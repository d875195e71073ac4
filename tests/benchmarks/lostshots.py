"""Benchmark: area seen on a 20 %-loss link, with and without looking lost shots up.

    python -m tests.benchmarks.lostshots [--json] [--runs N] [--speedup X]

Each run flies the rehearsal search (200 m expanding square round an alarm at the south
forward post) with the built-in simulated vehicle, and reports the share of the search
area its analysed frames saw (``covered_share``) and how the shots went:

- ``clean``: no loss, the simulated camera rendering at each CAMERA_FEEDBACK;
- ``lossy, renderer``: a UDP relay losing 20 % of the datagrams each way (seeded),
  the same renderer: a lost feedback is a lost frame (nothing to look it up in);
- ``lossy, folder, no recovery``: the same relay; the drone's own camera writes every
  shot into a folder on a loss-free on-board link (simulators.thermal.onboard) and the
  station reads that folder, lost shots only counted (as before issue 12);
- ``lossy, folder, recovery``: the same, lost shots looked up in the folder and posed
  from telemetry at their capture time.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from contextlib import ExitStack
from pathlib import Path

from dronewatch.ops import FlightOptions
from dronewatch.ops.feed import directory_source
from dronewatch.ops.search import fly_plan
from dronewatch.store import Store
from simulators.thermal.onboard import OnboardCamera
from simulators.vehicle.process import SimulatedVehicle
from tests.benchmarks._report import report
from tests.link.relay import CuttableRelay, random_loss
from tests.ops.rehearsal import rehearsal

LOSS = 0.2
CASES = ("clean", "lossy, renderer", "lossy, folder, no recovery", "lossy, folder, recovery")


def fly(case: str, seed: int, speedup: float, out: Path) -> dict[str, float]:
    """One search of ``case``; its covered share and shot counts."""
    from dronewatch.link import connect

    lossy = case != "clean"
    with ExitStack() as stack:
        r = stack.enter_context(rehearsal(seed=7))
        sim = stack.enter_context(SimulatedVehicle(
            r.plan.home, speedup=speedup, seed=seed,
            extra=("--param", "BATT_CAPACITY=24000", "--param", "TERRAIN_ENABLE=0")))
        port = int(sim.url.rsplit(":", 1)[1])
        url = sim.url
        if lossy:
            relay = CuttableRelay(port, drop_to_vehicle=random_loss(LOSS, 2 * seed + 1),
                                  drop_to_gcs=random_loss(LOSS, 2 * seed + 2))
            stack.callback(relay.close)
            url = f"udpout:127.0.0.1:{relay.port}"
        camera = r.camera.render
        if "folder" in case:
            folder = out / "camera"
            stack.enter_context(OnboardCamera(sim.url, r.camera, folder))
            camera = directory_source(folder)
        vehicle = stack.enter_context(connect(url, heartbeat_hz=max(speedup / 5, 1.0),
                                              telemetry_scale=min(10 / speedup, 1.0),
                                              speedup=speedup, stale_after_s=2.0))
        store = stack.enter_context(Store(out / "store.sqlite"))
        vehicle.wait_for(lambda s: s.prearm_ok and s.gps_fix_type >= 3, 60, "ready")
        mission = store.add_mission("search", case, launched_by="benchmark", reason="lost shots")
        flown = fly_plan(vehicle, r.plan, r.zones, r.terrain, camera, store, mission.id,
                         out / "map.html", options=FlightOptions(
                             link_lost_after_s=10.0,
                             recover_lost_shots=case.endswith(", recovery")))
    skipped = dict(flown.skipped)
    return {"covered_share": flown.covered_share, "frames": flown.frames,
            "recovered": flown.recovered, "lost": sum(n for k, n in skipped.items()
                                                      if k.startswith("lost")),
            "skipped": flown.frames_failed, "outcome_ok": float(flown.outcome == "completed")}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--speedup", type=float, default=10.0)
    parser.add_argument("--cases", default=",".join(str(i) for i in range(len(CASES))),
                        help="which cases, by number (0..3)")
    args = parser.parse_args(argv)
    results: dict[str, list[dict[str, float]]] = {}
    for number in (int(n) for n in args.cases.split(",")):
        case = CASES[number]
        for run in range(args.runs):
            with tempfile.TemporaryDirectory() as tmp:
                results.setdefault(case, []).append(fly(case, run, args.speedup, Path(tmp)))
    rows, figures = [], {"runs": args.runs, "loss": LOSS, "speedup": args.speedup}
    for case, runs in results.items():
        share = statistics.mean(x["covered_share"] for x in runs)
        key = case.replace(", ", "_").replace(" ", "_")
        figures[f"{key}_covered"] = round(share, 3)
        figures[f"{key}_recovered"] = sum(int(x["recovered"]) for x in runs)
        rows.append((f"{case}: area seen", f"{share:.1%}"))
        rows.append((f"{case}: frames analysed / skipped / still lost / recovered",
                     f"{sum(x['frames'] for x in runs):.0f} / "
                     f"{sum(x['skipped'] for x in runs):.0f} / "
                     f"{sum(x['lost'] for x in runs):.0f} / "
                     f"{sum(x['recovered'] for x in runs):.0f}"))
        rows.append((f"{case}: searches completed",
                     f"{sum(x['outcome_ok'] for x in runs):.0f} of {len(runs)}"))
    report(f"area seen with {LOSS:.0%} loss each way, simulator at {args.speedup:g}x",
           rows, figures, as_json=args.json)


if __name__ == "__main__":
    main()
