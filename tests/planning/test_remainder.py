"""Property-based proof of a relay's plan: what was left, all of it, clear of no-fly."""

from __future__ import annotations

import pytest
import shapely
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dronewatch.geo import Terrain, camera_preset
from dronewatch.missionitem import Cmd
from dronewatch.planning import Airframe, PlanningContext, PlanningError, mission_items
from dronewatch.planning.remainder import plan_remainder, reached_point, survey_runs
from dronewatch.planning.search import plan_coverage
from tests.planning.world import FRAME, LAUNCH, circle, write_dem, zone_set


@pytest.fixture(scope="module")
def terrain(tmp_path_factory):
    with Terrain(write_dem(tmp_path_factory.mktemp("world") / "dem.tif")) as t:
        yield t


def _legs(points) -> shapely.Geometry:
    return shapely.MultiLineString(survey_runs(points))


@st.composite
def cases(draw):
    """An area near the launch site, maybe a no-fly zone in it, a small pack (so plans
    of several sorties come up), and how far the first sortie got (a share of it)."""
    east = LAUNCH[0] + draw(st.floats(-800, 800))
    north = LAUNCH[1] + draw(st.floats(900, 2000))
    size = draw(st.floats(250, 600))
    no_fly = ([circle(east + draw(st.floats(-size, size)), north + draw(st.floats(-size, size)),
                      draw(st.floats(50, 150)))] if draw(st.booleans()) else [])
    battery_mah = draw(st.sampled_from([24_000.0, 6_000.0]))
    return (east, north, size), no_fly, battery_mah, draw(st.floats(0.0, 1.0))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases())
# once drawn: a survey leg routed around the zone grazes its edge, and the rest flew 8 m
# of it as a transit (cut at the exact edge, not with the router's slack)
@example(case=((LAUNCH[0], LAUNCH[1] + 900.0, 600.0),
               [circle(LAUNCH[0], LAUNCH[1] + 900.0, 53.0)], 6_000.0, 0.0))
def test_a_rest_covers_what_was_left_and_never_enters_a_no_fly_zone(terrain, case):
    (east, north, size), no_fly, battery_mah, got = case
    ctx = PlanningContext(zone_set(no_fly), terrain, camera_preset("dji-m30t"),
                          airframe=Airframe(battery_mah=battery_mah))
    area = FRAME.geometry_to_wgs84(shapely.box(east - size, north - size, east + size,
                                               north + size))
    try:
        plan = plan_coverage(ctx, polygon_wgs84=area)[0]
    except PlanningError:
        return  # a legitimate refusal (too far for the pack): not this test's concern
    first = plan.sorties[0].points
    reached = min(int(got * len(first)), len(first) - 1)
    rest = plan_remainder(ctx, plan, reached)
    left = _legs(first[reached:])
    for sortie in plan.sorties[1:]:
        left = left.union(_legs(sortie.points))
    if rest is None:
        assert left.length < ctx.footprint_m()[1] + 1.0  # nothing left but crumbs
        return
    flown = shapely.union_all([_legs(s.points) for s in rest.sorties])
    # every survey leg still to fly is in the rest (to a centimetre)
    assert left.difference(flown.buffer(0.01)).length < 0.05
    forbidden = shapely.union_all(no_fly) if no_fly else shapely.Polygon()
    for sortie in rest.sorties:
        path = shapely.LineString([(p.east_m, p.north_m) for p in sortie.points])
        assert not path.intersects(forbidden)
        assert (sortie.points[0].east_m, sortie.points[0].north_m) == pytest.approx(ctx.home_xy)
        assert sortie.cost.energy_wh <= ctx.airframe.usable_wh + 1e-6
    assert rest.region_local is not None \
        and rest.region_local.area <= plan.region_local.area + 1e-6  # m², float rounding


def test_the_point_reached_follows_the_mission_items(terrain):
    ctx = PlanningContext(zone_set([]), terrain, camera_preset("dji-m30t"))
    area = FRAME.geometry_to_wgs84(shapely.box(LAUNCH[0] - 300, LAUNCH[1] + 900,
                                               LAUNCH[0] + 300, LAUNCH[1] + 1500))
    plan = plan_coverage(ctx, polygon_wgs84=area)[0]
    seqs = [i for i, item in enumerate(mission_items(plan))
            if i >= 4 and item.command == Cmd.NAV_WAYPOINT]
    assert len(seqs) == len(plan.sorties[0].points) - 1
    assert reached_point(plan, 0) == 0
    assert reached_point(plan, seqs[0]) == 0  # flying to the first waypoint: none reached
    assert reached_point(plan, seqs[5]) == 5
    assert reached_point(plan, seqs[-1] + 1) == len(seqs)  # past the last: all reached
    assert plan_remainder(ctx, plan, len(seqs)) is None
    whole = plan_remainder(ctx, plan, 0)
    assert whole is not None and whole.covered_share == pytest.approx(plan.covered_share,
                                                                      abs=0.02)
