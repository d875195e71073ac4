"""Waiting points: a fleet drone waits its turn to land on its own way home."""

from __future__ import annotations

import itertools
import math

import pytest

from dronewatch.geo import Terrain, camera_preset
from dronewatch.missionitem import Cmd
from dronewatch.planning import PlanningContext
from dronewatch.planning.fleetsplit import DroneCapacity, plan_fleet
from dronewatch.planning.items import mission_items
from dronewatch.planning.landing import wait_limit_s, with_landing_wait
from tests.planning.world import FRAME, LAUNCH, write_dem, zone_set


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    with Terrain(write_dem(tmp_path_factory.mktemp("world") / "dem.tif")) as terrain:
        yield PlanningContext(zone_set([]), terrain, camera_preset("dji-m30t"))


def _alarm(east_m: float, north_m: float) -> tuple[float, float]:
    lat, lon = FRAME.to_wgs84(LAUNCH[0] + east_m, LAUNCH[1] + north_m)
    return float(lat), float(lon)


def _path_m(points) -> float:
    return sum(math.hypot(b.east_m - a.east_m, b.north_m - a.north_m)
               for a, b in itertools.pairwise(points))


def test_the_wait_is_on_the_way_home_its_distance_out_and_flies_no_further(ctx):
    lat, lon = _alarm(300, 1500)
    plan = plan_fleet(ctx, [DroneCapacity("d", 1500, 10)], lat_deg=lat, lon_deg=lon,
                      radius_m=300).shares[0]
    waiting = with_landing_wait(ctx, plan, distance_m=90.0, wait_s=240.0)
    before, after = plan.sorties[0].points, waiting.sorties[0].points
    assert len(after) == len(before) + 1
    k = next(k for k, p in enumerate(after) if p.wait_s > 0)
    assert after[k].wait_s == 240.0 and not after[k].survey
    assert _path_m(after[k:]) == pytest.approx(90.0, abs=0.5)  # 90 m before home
    assert not any(p.survey for p in after[k:])  # on the way home, no survey leg
    assert _path_m(after) == pytest.approx(_path_m(before), abs=0.01)  # no detour
    assert waiting.sorties[0].cost.distance_m == pytest.approx(plan.sorties[0].cost.distance_m,
                                                               abs=0.01)
    # it is flown as a waypoint, a timed loiter there, then home and RTL
    items = mission_items(waiting)
    loiter = next(n for n, it in enumerate(items) if it.command == Cmd.NAV_LOITER_TIME)
    assert items[loiter].param1 == 240.0
    assert (items[loiter - 1].command, items[loiter - 1].x, items[loiter - 1].y) == \
        (Cmd.NAV_WAYPOINT, items[loiter].x, items[loiter].y)
    assert [it.command for it in items[loiter + 1:]] == [Cmd.NAV_WAYPOINT,
                                                          Cmd.NAV_RETURN_TO_LAUNCH]
    # planning it twice adds nothing
    assert with_landing_wait(ctx, waiting, distance_m=90.0, wait_s=240.0).sorties == \
        waiting.sorties


def test_a_lone_drone_does_not_wait_and_a_fleet_waits_longer_the_more_drones_up_to_a_limit(ctx):
    lat, lon = _alarm(0, 1500)
    lone = plan_fleet(ctx, [DroneCapacity("d", 1500, 10)], lat_deg=lat, lon_deg=lon,
                      radius_m=300)
    assert not any(p.wait_s for p in lone.shares[0].sorties[0].points)
    assert not any(it.command == Cmd.NAV_LOITER_TIME for it in mission_items(lone.shares[0]))
    for n in (2, 4):
        fleet = plan_fleet(ctx, [DroneCapacity(f"d{i}", 1500, 10) for i in range(n)],
                           lat_deg=lat, lon_deg=lon, radius_m=400)
        waits = {p.wait_s for s in fleet.shares for p in s.sorties[0].points if p.wait_s}
        assert waits == {wait_limit_s(ctx.airframe, n)}
    assert wait_limit_s(ctx.airframe, 2) == 120.0  # a landing's time for the one ahead
    # never more than half the battery reserve in hover, however many are ahead
    airframe = ctx.airframe
    reserve_hover_s = (airframe.battery_wh * airframe.reserve_fraction * 3600
                       / airframe.power_w(0.0, 0.0))
    assert wait_limit_s(airframe, 8) == pytest.approx(reserve_hover_s / 2)
