"""Terrain served offline: a terrain-frame search arms and flies on the station's DEM.

End to end over real UDP: the simulated ArduCopter (TERRAIN_ENABLE 1) refuses to arm a
terrain-frame mission until it holds the route's terrain; the station answers its
TERRAIN_REQUESTs from mapdata/dem.tif (a GeoTIFF read by rasterio) and nothing else.
"""

from __future__ import annotations

import time

from dronewatch.link.terrain import serve_terrain
from dronewatch.missionitem import Frame
from dronewatch.ops.launch import prepare, take_off
from tests.ops.rehearsal import drone, link, rehearsal


def test_a_terrain_frame_mission_arms_and_flies_its_heights_over_the_dem():
    heard: list[str] = []
    with rehearsal() as r, drone(r.plan.home) as sim, link(sim.url) as vehicle, \
            serve_terrain(vehicle, r.terrain.elevation_or_nan) as served:
        vehicle.wait_for(lambda s: s.prearm_ok and s.gps_fix_type >= 3, 30, "ready")
        prepared = prepare(vehicle, r.plan, r.zones, fence_margin_m=20.0, say=heard.append,
                           terrain=served)
        assert prepared.terrain_frames and served.blocks_sent >= 56
        waypoints = [i for i in prepared.items[2:] if i.command == 16]
        assert {i.frame for i in waypoints} == {Frame.GLOBAL_TERRAIN_ALT_INT}
        planned_agl = {round(p.agl_m, 2) for p in r.plan.sorties[0].points[1:]}
        assert {i.z for i in waypoints} <= planned_agl  # the planner's heights above ground
        take_off(vehicle, prepared)  # refused ("waiting for terrain data") without the DEM
        heights, deadline = [], time.monotonic() + 20
        while len(heights) < 40 and time.monotonic() < deadline:
            s = vehicle.state
            if s.mission_seq >= 6:  # on the survey legs, past the climb
                heights.append(s.alt_amsl_m - r.terrain.elevation_at(s.lat_deg, s.lon_deg))
            time.sleep(0.05)
        vehicle.return_to_launch()
    target = sum(planned_agl) / len(planned_agl)
    assert len(heights) == 40 and all(abs(h - target) < 12 for h in heights), heights
    assert any("terrain of the route loaded" in text for text in heard)
