"""Benchmark: how fast the vehicle simulator runs, in simulated seconds per wall second.

    python -m tests.benchmarks.sim [--json]

Vehicles fly a survey in AUTO with telemetry streams on (10 Hz, as a ground station
asks), stepping flat out (speed-up 0). The baseline, measured in the same run, is
one vehicle idle on the ground: the cost of the loop itself.
"""

from __future__ import annotations

import time

from pymavlink.dialects.v20 import ardupilotmega as mav

from simulators.vehicle import HomeSpec, SimVehicle, VehicleConfig, run
from simulators.vehicle.missionitems import MissionItem
from simulators.vehicle.modes import CopterMode
from tests.benchmarks._report import report, wants_json
from tests.simulators.gcs import free_udp_port

HOME = HomeSpec(44.7674332, 88.6870206, 729.3, 0.0)
SIM_SECONDS = 300.0


def _vehicle(index: int, *, flying: bool) -> SimVehicle:
    v = SimVehicle(VehicleConfig(home=HOME, listen=(f"udp:127.0.0.1:{free_udp_port()}",),
                                 sysid=index + 1, seed=index, boot_time_s=1.0))
    v.schedule.request_stream(mav.MAV_DATA_STREAM_ALL, 10, True)
    if not flying:
        return v
    items = [MissionItem(0, 0, 16), MissionItem(1, 3, 22, z=80),
             MissionItem(2, 2, mav.MAV_CMD_DO_SET_CAM_TRIGG_DIST, param1=40)]
    for k in range(40):
        lat, lon = v.frame.to_wgs84(800.0 * (k % 2) + 30 * index, 60.0 * k)
        items.append(MissionItem(len(items), 6, 16, x=round(float(lat) * 1e7),
                                 y=round(float(lon) * 1e7), z=80))
    v.mission.stores[mav.MAV_MISSION_TYPE_MISSION] = items
    return v


def _speed(count: int, *, flying: bool = True) -> float:
    vehicles = [_vehicle(i, flying=flying) for i in range(count)]
    run(vehicles, speedup=0, duration_s=1.5)
    if flying:
        for v in vehicles:
            assert v.flight.set_mode(CopterMode.GUIDED) is None and v.arm() is None
            assert v.flight.set_mode(CopterMode.AUTO) is None
            v.flight.auto.start()
    started = time.perf_counter()
    simulated = run(vehicles, speedup=0, duration_s=SIM_SECONDS)
    wall = time.perf_counter() - started
    if flying:
        assert all(not v.landed and not v.crashed for v in vehicles), "a vehicle stopped flying"
    for v in vehicles:
        v.close()
    return simulated / wall


def main(argv: list[str] | None = None) -> None:
    baseline = _speed(1, flying=False)
    one = _speed(1)
    four = _speed(4)
    rows = [
        ("baseline: 1 vehicle idle (sim s / wall s)", f"{baseline:8.1f}"),
        ("1 vehicle flying AUTO", f"{one:8.1f}   ({one / baseline:.2f} x baseline)"),
        ("4 vehicles flying AUTO, together", f"{four:8.1f}   ({four / baseline:.2f} x baseline,"
                                             f" {4 * four:.0f} vehicle-s per wall s)"),
        ("speed-up the tests use", "      50"),
    ]
    report(f"vehicle simulator speed over {SIM_SECONDS:.0f} simulated seconds", rows,
           {"sim_speed_1": round(one, 1), "sim_speed_4": round(four, 1)},
           as_json=wants_json(argv))


if __name__ == "__main__":
    main()
