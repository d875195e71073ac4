"""Benchmark: a 500-item mission uploaded and verified through dronewatch.link.

    python -m tests.benchmarks.upload [--json] [--tries N]

Against the simulated vehicle at real speed (speed-up 1, so the vehicle's 1 s
re-request and 8 s cancel timers are ArduPilot's), over loopback UDP. The baseline,
measured in the same run, is the same upload with no loss; then 20 % of packets are
dropped each way (the simulator drops both what it receives and what it sends).
"""

from __future__ import annotations

import argparse
import statistics
import time

from dronewatch.link import LinkError, connect
from dronewatch.missionitem import Cmd, Frame, MissionItem
from tests.benchmarks._report import report
from tests.simulators.gcs import SimProcess, free_udp_port

LAT, LON, ALT = 44.7674332, 88.6870206, 729.3
ITEMS = 500
LOSS = 0.2


def _items() -> list[MissionItem]:
    return [MissionItem(Cmd.NAV_WAYPOINT, Frame.GLOBAL_INT)] + [
        MissionItem.at(Cmd.NAV_WAYPOINT, LAT + 1e-4 * k, LON + 1e-4 * (k % 7), 40 + k % 60)
        for k in range(ITEMS - 1)]


def _run(loss: float, tries: int) -> tuple[list[float], list[int], int]:
    port = free_udp_port()
    sim = SimProcess(["--home", f"{LAT},{LON},{ALT},0", "--listen", f"udp:127.0.0.1:{port}",
                      "--speedup", "1", "--boot-time", "1", "--drop", str(loss)])
    seconds, sends, ok = [], [], 0
    try:
        with connect(f"udpout:127.0.0.1:{port}", telemetry_scale=0.25) as vehicle:
            for attempt in range(tries):
                started = time.perf_counter()
                try:
                    result = vehicle.upload(_items(), verify=True)
                except LinkError as exc:
                    print(f"  try {attempt + 1} at {loss:.0%} loss failed: {exc}")
                    continue
                seconds.append(time.perf_counter() - started)
                sends.append(result.item_sends + result.count_sends - ITEMS - 1)
                ok += 1
    finally:
        sim.stop()
    return seconds, sends, ok


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--tries", type=int, default=10)
    args = parser.parse_args(argv)
    clean, _, _ = _run(0.0, args.tries)
    lossy, resends, ok = _run(LOSS, args.tries)
    clean_s = statistics.median(clean)
    lossy_s = statistics.median(lossy) if lossy else float("nan")
    rows = [
        ("baseline: no loss, median s", f"{clean_s:7.2f}"),
        (f"{LOSS:.0%} loss each way, median s", f"{lossy_s:7.2f}   ({lossy_s / clean_s:.1f} x)"),
        (f"{LOSS:.0%} loss: slowest s", f"{max(lossy, default=float('nan')):7.2f}"),
        ("re-sent packets per upload (median)", f"{statistics.median(resends or [0]):7.0f}"),
        ("successful tries", f"{ok} of {args.tries}"),
    ]
    report(f"{ITEMS}-item upload + verify over UDP, vehicle at real speed", rows, {
        "items": ITEMS, "loss": LOSS, "success_rate": ok / args.tries,
        "seconds": round(lossy_s, 2), "lossless_seconds": round(clean_s, 3),
        "ratio": round(lossy_s / clean_s, 1)}, as_json=args.json)


if __name__ == "__main__":
    main()
