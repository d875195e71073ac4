"""Property-based proof of the planning guarantees over random areas, holes and no-fly zones.

For any polygon with holes and any no-fly zones, a coverage plan never puts a waypoint
or a leg inside a no-fly zone (with its margin) or outside the operating area, keeps
every leg between the minimum clearance and the legal ceiling above the DEM, and its
camera footprints cover at least the requested share of what may be flown.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dronewatch.geo import Terrain, camera_preset
from dronewatch.planning import AltitudePolicy, PlanningContext, PlanningError, plan_coverage
from tests.planning.world import FRAME, circle, leg_samples, terrain_height, write_dem, zone_set

MARGIN_M = 50.0
REQUESTED_SHARE = 0.95


@pytest.fixture(scope="module")
def terrain(tmp_path_factory):
    with Terrain(write_dem(tmp_path_factory.mktemp("world") / "dem.tif")) as t:
        yield t


@st.composite
def areas(draw):
    cx = draw(st.floats(-3000, 3000))
    cy = draw(st.floats(-2000, 3000))
    n = draw(st.integers(5, 10))
    radii = [draw(st.floats(250, 700)) for _ in range(n)]
    angles = sorted(draw(st.floats(0, 2 * math.pi)) for _ in range(n))
    shell = shapely.Polygon([(cx + r * math.cos(a), cy + r * math.sin(a))
                             for r, a in zip(radii, angles, strict=True)]).buffer(0)
    if shell.geom_type != "Polygon" or shell.area < 1e5:
        shell = circle(cx, cy, 500)
    holes = []
    for _ in range(draw(st.integers(0, 3))):
        hx, hy = cx + draw(st.floats(-300, 300)), cy + draw(st.floats(-300, 300))
        hole = circle(hx, hy, draw(st.floats(50, 200)))
        if shell.buffer(-30).contains(hole) and not any(h.intersects(hole) for h in holes):
            holes.append(hole)
    region = shapely.Polygon(shell.exterior, [h.exterior for h in holes])
    no_fly = []
    for _ in range(draw(st.integers(0, 4))):
        no_fly.append(circle(cx + draw(st.floats(-900, 900)), cy + draw(st.floats(-900, 900)),
                             draw(st.floats(80, 400))))
    return region, no_fly


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(area=areas(), agl=st.sampled_from([60.0, 90.0, 120.0]))
def test_coverage_plans_keep_every_guarantee(terrain, area, agl):
    region, no_fly = area
    zones = zone_set(no_fly)
    policy = AltitudePolicy(target_agl_m=agl, tolerance_m=10.0, min_clearance_m=40.0,
                            max_agl_m=120.0)
    ctx = PlanningContext(zones, terrain, camera_preset("dji-m30t"), altitude=policy,
                          no_fly_margin_m=MARGIN_M)
    region_wgs84 = FRAME.geometry_to_wgs84(region)
    try:
        plans = plan_coverage(ctx, polygon_wgs84=region_wgs84)
    except PlanningError as exc:
        # Only refusal allowed: nothing of the area is flyable.
        assert "nothing of it can be flown" in str(exc)
        assert region.difference(zones.no_fly_union_local(MARGIN_M)).area < 10.0
        return
    forbidden = zones.no_fly_union_local(MARGIN_M - 0.6)
    area_box = zones.local_geometry("area")
    low, high = policy.band
    for plan in plans:
        for sortie in plan.sorties:
            points = sortie.points
            for a, b in itertools.pairwise(points):
                leg = shapely.LineString([(a.east_m, a.north_m), (b.east_m, b.north_m)])
                assert not leg.intersects(forbidden), "leg enters a no-fly zone"
                assert area_box.buffer(-29).covers(leg), "leg leaves the operating area"
                xs, ys, alts = leg_samples(a, b)
                agl_along = alts - terrain_height(xs, ys)
                assert np.all(agl_along >= low - 1.0) and np.all(agl_along <= high + 1.0)
                assert np.all(agl_along >= policy.min_clearance_m - 1.0)
                assert np.all(agl_along <= policy.max_agl_m + 1.0)
        flyable = region.difference(zones.no_fly_union_local(MARGIN_M))
        assert plan.covered_share >= REQUESTED_SHARE
        # Independently: nadir footprints (at the flown height) along every survey leg.
        width = 2 * policy.band[0] * math.tan(math.radians(ctx.camera.hfov_deg / 2))
        swaths = [shapely.LineString([(a.east_m, a.north_m), (b.east_m, b.north_m)]).buffer(
            width / 2) for s in plan.sorties for a, b in zip(s.points, s.points[1:],
                                                             strict=False) if b.survey]
        if flyable.area > 100.0:
            covered = shapely.union_all(swaths).intersection(flyable).area / flyable.area
            assert covered >= REQUESTED_SHARE - 0.02


def test_transit_goes_around_a_no_fly_zone_between_launch_and_area(terrain):
    wall = shapely.box(-3000, -4000, 3000, -3500)  # across the way north from the launch site
    zones = zone_set([wall])
    ctx = PlanningContext(zones, terrain, camera_preset("dji-m30t"))
    plan = plan_coverage(ctx, polygon_wgs84=FRAME.geometry_to_wgs84(circle(0, 0, 300)))[0]
    points = plan.sorties[0].points
    grown = wall.buffer(49)
    assert all(not shapely.LineString([(a.east_m, a.north_m), (b.east_m, b.north_m)])
               .intersects(grown) for a, b in itertools.pairwise(points))
    # The detour is the shortest around the wall's end: about 6 + 3.6 km, not much more.
    first_survey = next(i for i, p in enumerate(points) if p.survey)
    out_m = sum(math.hypot(b.east_m - a.east_m, b.north_m - a.north_m)
                for a, b in itertools.pairwise(points[:first_survey]))
    straight = math.hypot(3050, 3500) + math.hypot(3050, 2800)
    assert out_m < straight * 1.1
