"""Benchmark: upload, fence on and launch to airborne through a 20 %-loss relay.

    python -m tests.benchmarks.launch [--json] [--runs N]

Each run starts the built-in simulated vehicle at 10x speed-up at the south forward
post, puts a UDP relay that drops 20 % of the datagrams each way (seeded) between it
and dronewatch.link, waits for the vehicle to be ready, then does what a search does
between its checks and its flight: uploads the mission, fence and rally points,
switches the fence on (verified from the parameters), and launches (GUIDED, arm,
take-off, AUTO) until the vehicle is 2 m up. The fence is then read back once more
from the vehicle's own FENCE_ENABLE. Command-to-airborne is wall time from the first
upload to 2 m, as the search's report counts it.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

from dronewatch.config import default_dem_path, default_zones_path
from dronewatch.geo import LocalFrame, Terrain
from dronewatch.link import LinkError, connect_paced
from dronewatch.ops import SearchRequest, plan_for_alarm
from dronewatch.ops.launch import PreflightError, prepare, take_off
from dronewatch.zones import load_zones
from tests.benchmarks._report import report
from tests.link.relay import CuttableRelay, random_loss
from tests.simulators.gcs import SimProcess, free_udp_port

RUNS = 20
LOSS = 0.2
SPEEDUP = 10.0


def _plan():
    zones = load_zones(default_zones_path())
    post = next(s for s in zones.launch_sites if s.id == "launch-south-post")
    lat, lon = LocalFrame(post.lat_deg, post.lon_deg).to_wgs84(-900.0, 300.0)
    with Terrain(default_dem_path()) as terrain:
        plan = plan_for_alarm(zones, terrain, SearchRequest(float(lat), float(lon),
                                                            radius_m=400.0))
    return zones, plan


def _run(number: int, zones, plan) -> dict[str, object]:
    home = plan.home
    port = free_udp_port()
    sim = SimProcess(["--home", f"{home.lat_deg},{home.lon_deg},{home.home_alt_amsl_m},"
                      f"{home.heading_deg}", "--listen", f"udp:127.0.0.1:{port}",
                      "--speedup", str(SPEEDUP), "--boot-time", "5", "--seed", str(number),
                      "--param", "BATT_CAPACITY=24000"])
    relay = CuttableRelay(port, drop_to_vehicle=random_loss(LOSS, 2 * number + 1),
                          drop_to_gcs=random_loss(LOSS, 2 * number + 2))
    out: dict[str, object] = {"uploads_ok": False, "fence_enabled": False, "launched": False,
                              "seconds": math.nan, "error": ""}
    try:
        with connect_paced(f"udpout:127.0.0.1:{relay.port}", SPEEDUP) as vehicle:
            vehicle.wait_ready(30.0)
            started = time.monotonic()
            try:
                prepared = prepare(vehicle, plan, zones, fence_margin_m=20.0)
                out["uploads_ok"] = True
            except PreflightError as exc:  # the uploads went through, the fence did not
                out["uploads_ok"], out["error"] = True, str(exc)
                return out
            report = take_off(vehicle, prepared)
            out["seconds"] = time.monotonic() - started
            out["launched"] = report.state.alt_rel_m > 2.0 and report.state.armed
            out["rearms"] = report.rearms
            out["fence_enabled"] = vehicle.get_param("FENCE_ENABLE") == 1
    except LinkError as exc:
        out["error"] = str(exc)
    finally:
        relay.close()
        sim.stop()
    return out


def _p95(values: list[float]) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--runs", type=int, default=RUNS)
    args = parser.parse_args(argv)
    zones, plan = _plan()
    results = []
    for number in range(args.runs):
        result = _run(number, zones, plan)
        results.append(result)
        if result["error"]:
            print(f"  run {number + 1}: {result['error']}")
    seconds = [r["seconds"] for r in results if r["launched"]]
    figures = {
        "runs": args.runs, "loss": LOSS,
        "launched": sum(bool(r["launched"]) for r in results),
        "uploads_ok": sum(bool(r["uploads_ok"]) for r in results),
        "fence_enabled": sum(bool(r["fence_enabled"]) for r in results),
        "command_to_airborne_s_p95": round(_p95(seconds), 2),
    }
    rows = [
        ("runs (vehicle at 10x, relay losing 20 % each way)", f"{args.runs}"),
        ("uploads ok (mission + fence + rally)", f"{figures['uploads_ok']}"),
        ("fence enabled (FENCE_ENABLE read back)", f"{figures['fence_enabled']}"),
        ("launched to 2 m, armed, AUTO", f"{figures['launched']}"),
        ("command to airborne, median s",
         f"{statistics.median(seconds):.2f}" if seconds else "-"),
        ("command to airborne, p95 s", f"{figures['command_to_airborne_s_p95']:.2f}"),
        ("re-arms after DISARM_DELAY", f"{sum(int(r.get('rearms', 0)) for r in results)}"),
    ]
    report(f"upload + fence + launch, {plan.name}", rows, figures, as_json=args.json)


if __name__ == "__main__":
    main()
