"""On a PX4 vehicle the fence is switched on PX4's way, read back, and turns the drone back.

The simulated copter presents itself as PX4 (``--autopilot px4``: HEARTBEAT autopilot 12,
PX4 main/sub modes, GF_* parameters whose integers travel bytewise, no FENCE_*, and an
uploaded fence that acts whenever GF_ACTION is not 0, default 2 = Hold) and is reached
over real UDP. The district's fence is uploaded and switched on through dronewatch.link,
then a mission across the flare stacks' no-fly zone is flown: PX4's Return must bring
the drone home before it enters the zone.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dronewatch.link import Vehicle, connect
from dronewatch.link.fence import GF_ACTION_RETURN
from dronewatch.link.modes import Flavour
from dronewatch.link.px4params import px4_get_params
from dronewatch.missionitem import Cmd, Frame, MissionItem, MissionType
from dronewatch.planning import fence_items
from tests.link.test_nofly import (
    BEYOND_EN,
    HOME_EN,
    SPEEDUP,
    ZONES,
    _watch_until_landed,
    _west_edge_m,
    _wgs84,
)
from tests.simulators.gcs import SimProcess, free_udp_port


@pytest.fixture
def px4() -> Iterator[Vehicle]:
    lat, lon = _wgs84(*HOME_EN)
    port = free_udp_port()
    sim = SimProcess(["--home", f"{lat},{lon},,90", "--listen", f"udp:127.0.0.1:{port}",
                      "--speedup", str(SPEEDUP), "--boot-time", "2", "--seed", "12",
                      "--autopilot", "px4"])
    try:
        with connect(f"udpout:127.0.0.1:{port}", heartbeat_hz=SPEEDUP,
                     telemetry_scale=10 / SPEEDUP) as v:
            v.wait_ready(10.0)
            yield v
    finally:
        assert "Traceback" not in sim.stop()


def test_the_px4_fence_is_set_to_return_read_back_and_turns_the_drone_back(px4):
    assert px4.state.flavour is Flavour.PX4
    # PX4's own default: a breach only holds (GF_ACTION 2), and there is no ceiling
    before = px4_get_params(px4, "GF_ACTION", "GF_MAX_VER_DIST")
    assert before["GF_ACTION"][0] == 2 and before["GF_MAX_VER_DIST"][0] == 0
    px4.upload(fence_items(ZONES, margin_m=20.0), MissionType.FENCE)
    fence = px4.enable_fence(alt_max_m=120.0)
    assert fence.flavour is Flavour.PX4 and fence.problems(alt_max_m=120.0) == []
    after = px4_get_params(px4, "GF_ACTION", "GF_MAX_VER_DIST", "GF_MAX_HOR_DIST")
    assert after["GF_ACTION"] == (GF_ACTION_RETURN, 6)  # an INT32, read bytewise
    assert after["GF_MAX_VER_DIST"][0] == pytest.approx(120.0)
    assert after["GF_MAX_HOR_DIST"][0] == 0

    lat, lon = _wgs84(*BEYOND_EN)
    home = px4.state.home
    px4.upload([MissionItem.at(Cmd.NAV_WAYPOINT, home.lat_deg, home.lon_deg, home.alt_amsl_m,
                               Frame.GLOBAL_INT),
                MissionItem(Cmd.NAV_TAKEOFF, z=40),
                MissionItem.at(Cmd.NAV_WAYPOINT, lat, lon, 40),
                MissionItem(Cmd.NAV_RETURN_TO_LAUNCH, Frame.MISSION)])
    px4.set_current(1)
    with px4.subscribe("STATUSTEXT") as texts:
        px4.launch(40)
        farthest, modes = _watch_until_landed(px4)
        said = [m["text"] for m in texts.drain()]
    assert "Geofence violation" in said
    assert modes[:2] == ["AUTO", "RTL"]  # the fence, not the mission's end, brought it home
    assert farthest < _west_edge_m()  # never inside the no-fly zone


def test_a_px4_fence_left_at_hold_fails_the_check(px4):
    """Read back as PX4 left it (Hold, no ceiling), the fence is named as not on."""
    problems = px4.fence_settings().problems(alt_max_m=120.0)
    assert any("GF_ACTION is 2, not Return (3)" in p for p in problems)
    assert any("GF_MAX_VER_DIST" in p for p in problems)
