"""A plan or a command that crosses a no-fly zone is stopped by the vehicle's own fence.

The district's real fence (the operating area, every no-fly zone grown by the margin, as
the planner makes it) is uploaded and switched on through dronewatch.link; the simulated
copter starts 500 m west of the flare stacks and is sent across them. It must turn back
(RTL) at the fence and never enter the zone itself.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import shapely

from dronewatch.config import default_zones_path
from dronewatch.link import Vehicle, connect
from dronewatch.missionitem import Cmd, Frame, MissionItem, MissionType
from dronewatch.planning import fence_items
from dronewatch.zones import load_zones
from tests.simulators.gcs import SimProcess, free_udp_port

SPEEDUP = 50
ZONES = load_zones(default_zones_path())
ZONE = ZONES.local_geometry("nfz-flare-stacks")
HOME_EN = (16900.0, -3260.0)  # 520 m west of the zone's edge, inside the operating area
BEYOND_EN = (19400.0, -3260.0)  # east of the zone: the straight line crosses it


def _wgs84(east_m: float, north_m: float) -> tuple[float, float]:
    lat, lon = ZONES.frame.to_wgs84(east_m, north_m)
    return float(lat), float(lon)


@pytest.fixture
def vehicle() -> Iterator[Vehicle]:
    lat, lon = _wgs84(*HOME_EN)
    port = free_udp_port()
    sim = SimProcess(["--home", f"{lat},{lon},,90", "--listen", f"udp:127.0.0.1:{port}",
                      "--speedup", str(SPEEDUP), "--boot-time", "2", "--seed", "11"])
    try:
        with connect(f"udpout:127.0.0.1:{port}", heartbeat_hz=SPEEDUP,
                     telemetry_scale=10 / SPEEDUP) as v:
            v.wait_ready(10.0)
            v.upload(fence_items(ZONES, margin_m=20.0), MissionType.FENCE)
            v.enable_fence(alt_max_m=120.0)
            yield v
    finally:
        assert "Traceback" not in sim.stop()


def _watch_until_landed(v: Vehicle) -> tuple[float, list[str]]:
    """The farthest east flown (local metres) and the modes seen, until disarmed at home."""
    farthest, modes = -1e9, []
    deadline = time.monotonic() + 30.0  # 25 vehicle minutes: it went somewhere else
    with v.subscribe("GLOBAL_POSITION_INT", "HEARTBEAT") as sub:
        while time.monotonic() < deadline:
            msg = sub.get(0.1)
            if msg is None:
                continue
            if msg.type == "GLOBAL_POSITION_INT":
                east, _ = ZONES.frame.to_local(msg["lat"] / 1e7, msg["lon"] / 1e7)
                farthest = max(farthest, float(east))
            else:
                state = v.state
                if not modes or modes[-1] != state.mode:
                    modes.append(state.mode)
                if not state.armed and "RTL" in modes:
                    return farthest, modes
    return farthest, modes


def _west_edge_m() -> float:
    row = shapely.LineString([(HOME_EN[0], HOME_EN[1]), BEYOND_EN])
    return float(row.intersection(ZONE).bounds[0])


def test_a_mission_across_a_no_fly_zone_is_turned_back_by_the_fence(vehicle):
    lat, lon = _wgs84(*BEYOND_EN)
    home = vehicle.state.home
    items = [MissionItem.at(Cmd.NAV_WAYPOINT, home.lat_deg, home.lon_deg, home.alt_amsl_m,
                            Frame.GLOBAL_INT),
             MissionItem(Cmd.NAV_TAKEOFF, z=40),
             MissionItem.at(Cmd.NAV_WAYPOINT, lat, lon, 40),
             MissionItem(Cmd.NAV_RETURN_TO_LAUNCH, Frame.MISSION)]
    vehicle.upload(items)
    vehicle.set_current(1)
    with vehicle.subscribe("STATUSTEXT") as texts:
        vehicle.launch(40)
        farthest, modes = _watch_until_landed(vehicle)
        said = [m["text"] for m in texts.drain()]
    assert "Fence Breached" in said
    assert modes[:2] == ["AUTO", "RTL"]  # the fence, not the mission's end, brought it home
    assert farthest < _west_edge_m()  # never inside the no-fly zone


def test_a_guided_command_into_a_no_fly_zone_is_turned_back_by_the_fence(vehicle):
    vehicle.set_mode("GUIDED")
    vehicle.arm()
    vehicle.takeoff(40)
    vehicle.wait_for(lambda s: s.alt_rel_m > 38, 10, "40 m")
    vehicle.goto(*_wgs84(*BEYOND_EN), 40)
    farthest, modes = _watch_until_landed(vehicle)
    assert "RTL" in modes and farthest < _west_edge_m()
