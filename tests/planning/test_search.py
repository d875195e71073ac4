"""Intents, refusals, sorties, several drones, mission items, and a plan flown for real."""

from __future__ import annotations

import pytest
import shapely

from dronewatch.config import default_dem_path, default_zones_path
from dronewatch.errors import DronewatchError
from dronewatch.geo import Terrain, camera_preset
from dronewatch.link import connect
from dronewatch.missionitem import Cmd, Frame, MissionType
from dronewatch.planning import (
    Airframe,
    AltitudePolicy,
    PlanningContext,
    PlanningError,
    fence_items,
    mission_items,
    plan_coverage,
    plan_search,
    rally_items,
)
from dronewatch.zones import load_zones
from tests.planning.world import FRAME, zone_set


@pytest.fixture(scope="module")
def district():
    zones = load_zones(default_zones_path())
    with Terrain(default_dem_path()) as terrain:
        yield zones, terrain


def context(district, **kwargs):
    zones, terrain = district
    return PlanningContext(zones, terrain, camera_preset("dji-h20t"), **kwargs)


def station(district):
    return district[0].launch_sites[0]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (dict(lat_deg=40.0, lon_deg=88.7), "outside the operating area"),
        (dict(radius_m=0.0), "radius must be positive"),
        (dict(pattern="spiral"), "unknown pattern 'spiral'"),
    ],
)
def test_invalid_intent_is_refused_with_the_reason(district, change, words):
    site = station(district)
    args = dict(lat_deg=site.lat_deg + 0.01, lon_deg=site.lon_deg, radius_m=500.0) | change
    with pytest.raises(PlanningError, match=words):
        plan_search(context(district), **args)


def test_heights_above_the_legal_limit_and_unknown_zones_are_refused(district):
    with pytest.raises(PlanningError, match="above the legal limit of 120"):
        context(district, altitude=AltitudePolicy(target_agl_m=150))
    with pytest.raises(PlanningError, match="above the operating area's legal ceiling"):
        context(district, altitude=AltitudePolicy(target_agl_m=110, max_agl_m=150))
    with pytest.raises(DronewatchError, match="no zone 'pa-nowhere'"):
        plan_coverage(context(district), zone_id="pa-nowhere")


def test_alarm_inside_a_no_fly_zone_is_refused(district):
    zones, _ = district
    depot = zones.get("nfz-explosives-depot").geometry.centroid
    with pytest.raises(PlanningError, match="inside the no-fly zone 'Mine explosives depot'"):
        plan_search(context(district), lat_deg=depot.y, lon_deg=depot.x)


def test_a_plan_beyond_one_battery_is_split_into_sorties_and_explained(district):
    small = Airframe(battery_mah=16000)
    plan = plan_coverage(context(district, airframe=small, launch_site="launch-east-post"),
                         zone_id="pa-chem-plant")[0]
    assert len(plan.sorties) > 1
    assert any("split into" in note and "Wh" in note for note in plan.notes)
    for sortie in plan.sorties:
        assert sortie.cost.energy_wh <= small.usable_wh + 1e-6
        home = (plan.sorties[0].points[0].east_m, plan.sorties[0].points[0].north_m)
        assert (sortie.points[0].east_m, sortie.points[0].north_m) == pytest.approx(home)
        assert (sortie.points[-1].east_m, sortie.points[-1].north_m) == pytest.approx(home)


def test_too_far_for_any_battery_is_refused(district):
    with pytest.raises(PlanningError, match="too far"):
        plan_coverage(context(district, airframe=Airframe(battery_mah=1500)),
                      zone_id="pa-heishan")


def test_several_drones_get_balanced_parts(tmp_path):
    from tests.planning.world import write_dem

    zones = zone_set([])
    with Terrain(write_dem(tmp_path / "dem.tif")) as terrain:
        ctx = PlanningContext(zones, terrain, camera_preset("dji-m30t"))
        region = shapely.box(-1500, -1000, 1500, 1000)
        plans = plan_coverage(ctx, polygon_wgs84=FRAME.geometry_to_wgs84(region), drones=3)
    assert len(plans) == 3
    times = [p.time_s for p in plans]
    assert max(times) / min(times) < 1.25
    union = shapely.union_all([p.region_local for p in plans])
    assert union.area == pytest.approx(region.area, rel=0.01)


def test_expanding_square_reports_pod_and_pos(district):
    site = station(district)
    plan = plan_search(context(district), lat_deg=site.lat_deg + 0.01, lon_deg=site.lon_deg,
                       radius_m=600, pattern="expanding-square", wind_from_deg=90,
                       lost_hours=2)
    assert 0.5 < plan.pod < 0.8 and 0 < plan.pos < plan.pod
    assert plan.covered_share > 0.95
    assert plan.time_s > 0 and plan.distance_m > 2 * 600


def test_mission_items_fence_and_rally(district):
    zones, terrain = district
    site = station(district)
    plan = plan_search(context(district), lat_deg=site.lat_deg + 0.008, lon_deg=site.lon_deg,
                       radius_m=300)
    items = mission_items(plan)
    assert items[0].frame == Frame.GLOBAL_INT and items[1].command == Cmd.NAV_TAKEOFF
    assert items[-1].command == Cmd.NAV_RETURN_TO_LAUNCH
    cams = [i for i in items if i.command == Cmd.DO_SET_CAM_TRIGG_DIST]
    assert cams[0].param1 == pytest.approx(plan.trigger_distance_m) and cams[-1].param1 == 0
    waypoints = [i for i in items if i.command == Cmd.NAV_WAYPOINT][1:]
    assert all(i.frame == Frame.GLOBAL_INT for i in waypoints)
    for wp in waypoints:  # AMSL heights that are 70-90 m above our DEM
        agl = wp.z - terrain.elevation_m(wp.lat_deg, wp.lon_deg)
        assert 60 <= agl <= 100
    terrain_items = mission_items(plan, terrain_frame=True)
    assert all(i.frame == Frame.GLOBAL_TERRAIN_ALT_INT
               for i in terrain_items if i.command == Cmd.NAV_WAYPOINT and i is not
               terrain_items[0])
    fence = fence_items(zones, margin_m=20)
    kinds = {i.command for i in fence}
    assert kinds == {Cmd.NAV_FENCE_POLYGON_VERTEX_INCLUSION,
                     Cmd.NAV_FENCE_POLYGON_VERTEX_EXCLUSION}
    for item in fence:
        if item.command == Cmd.NAV_FENCE_POLYGON_VERTEX_EXCLUSION:
            assert not zones.zones_at(item.lat_deg, item.lon_deg) or all(
                z.kind.value != "no_fly" for z in zones.zones_at(item.lat_deg, item.lon_deg))
    assert len(rally_items(zones)) == len(zones.launch_sites)


def test_a_planned_search_flies_in_the_simulator(district, tmp_path):
    from tests.link.test_link import FAST
    from tests.simulators.gcs import SimProcess, free_udp_port

    zones, _ = district
    site = station(district)
    plan = plan_search(context(district), lat_deg=site.lat_deg + 0.006, lon_deg=site.lon_deg,
                       radius_m=200, pattern="expanding-square")
    port = free_udp_port()
    sim = SimProcess(["--home", f"{site.lat_deg},{site.lon_deg},{site.home_alt_amsl_m},0",
                      "--listen", f"udp:127.0.0.1:{port}", "--speedup", "50", "--boot-time", "1",
                      "--param", "FENCE_ENABLE=1", "--param", "FENCE_TYPE=5",
                      "--param", "FENCE_ALT_MAX=200"])
    try:
        with connect(f"udpout:127.0.0.1:{port}", **FAST) as vehicle:
            vehicle.wait_for(lambda s: s.prearm_ok, 10, "ready")
            assert vehicle.upload(fence_items(zones, margin_m=20), MissionType.FENCE,
                                  verify=True).verified
            assert vehicle.upload(mission_items(plan), verify=True).verified
            with vehicle.subscribe("CAMERA_FEEDBACK", "FENCE_STATUS") as feed:
                vehicle.set_mode("GUIDED")
                vehicle.arm()
                vehicle.start_mission()
                vehicle.wait_for(lambda s: s.armed and s.alt_rel_m > 20, 20, "airborne")
                vehicle.wait_for(lambda s: not s.armed, 120, "mission flown and landed")
                seen = feed.drain()
        pictures = [m for m in seen if m.type == "CAMERA_FEEDBACK"]
        assert len(pictures) > 10
        assert all(m["breach_count"] == 0 for m in seen if m.type == "FENCE_STATUS")
    finally:
        assert "Traceback" not in sim.stop()


def test_a_polygon_that_crosses_itself_is_covered_as_drawn_not_a_topology_error(tmp_path):
    """A hand-drawn bowtie, or an area that touches itself after projection, made GEOS
    fail ("side location conflict"); its two lobes are covered, and a polygon with no
    area is refused by name."""
    from tests.planning.world import write_dem

    zones = zone_set([])
    bowtie = shapely.Polygon([(-800, -500), (800, 500), (800, -500), (-800, 500)])
    assert not bowtie.is_valid
    with Terrain(write_dem(tmp_path / "dem.tif")) as terrain:
        ctx = PlanningContext(zones, terrain, camera_preset("dji-m30t"))
        (plan,) = plan_coverage(ctx, polygon_wgs84=FRAME.geometry_to_wgs84(bowtie))
        assert plan.region_local.area == pytest.approx(2 * 1000 * 800 / 2, rel=0.02)  # 2 lobes
        flat = shapely.Polygon([(0, 0), (500, 0), (1000, 0), (0, 0)])
        with pytest.raises(PlanningError, match="area: the polygon encloses no area"):
            plan_coverage(ctx, polygon_wgs84=FRAME.geometry_to_wgs84(flat))
