"""First contact, never a ridge jumped: both casts against a fine march over rugged terrain.

The fast placer (``thermal.georef``) and the exhaustive cast (``geo.raycast``) share the
exact per-cell solve of ``geo.firstcontact``; the reference shares none of it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dronewatch.geo import Attitude, CameraPose, GimbalAttitude, LocalFrame, Terrain, camera_preset
from dronewatch.geo.firstcontact import first_root, first_roots
from dronewatch.geo.projection import pixel_to_ground
from dronewatch.thermal.georef import EXACT_POSE, Locator
from tests.geo.rugged import CELL_M, FineMarch, centre_wgs84, write_rugged_dem

CAMERA = camera_preset("dji-m30t")


@pytest.fixture(scope="module")
def rugged(tmp_path_factory):
    path = write_rugged_dem(tmp_path_factory.mktemp("rugged") / "rugged.tif")
    with Terrain(path) as terrain:
        yield terrain, FineMarch(path, step_m=1.0)


def _agrees(march: FineMarch, pose: CameraPose, ray: np.ndarray, t: float,
            t_ref: float) -> bool:
    """Within one DEM cell of the march, or a contact only one side resolves.

    Ours earlier: the march's own sampler must find the ray on the ground there (a
    ridge top clipped within one march step). Ours later: the march's contact must be a
    graze under 5 cm deep, where millimetres of geometry decide touching or not.
    """
    if math.isnan(t) and math.isnan(t_ref):
        return True
    if abs(t - t_ref) * math.hypot(ray[0], ray[1]) <= CELL_M:
        return True
    if math.isfinite(t) and not t >= t_ref:
        return march.touches(pose.lat_deg, pose.lon_deg, pose.alt_amsl_m, ray, t)
    frame = LocalFrame(pose.lat_deg, pose.lon_deg)
    unit = ray / np.linalg.norm(ray)
    depth = march.clearance(frame, pose.alt_amsl_m, unit, t_ref + np.arange(0, 3, 0.002))
    return bool(np.nanmin(depth) >= -0.05)


@settings(max_examples=70, deadline=None)
@given(north=st.floats(-1500, 1500), east=st.floats(-1500, 1500), agl=st.floats(40, 300),
       pitch=st.one_of(st.floats(-90, -5), st.floats(-20, -5)), yaw=st.floats(0, 360),
       u=st.floats(0, 639), v=st.floats(0, 511))
def test_both_casts_find_the_first_contact_a_fine_march_finds(rugged, north, east, agl, pitch,
                                                              yaw, u, v):
    terrain, march = rugged
    lat, lon = LocalFrame(*centre_wgs84()).to_wgs84(east, north)
    pose = CameraPose(float(lat), float(lon), terrain.elevation_at(float(lat), float(lon)) + agl,
                      Attitude(0, 0, yaw), GimbalAttitude(pitch))
    locator = Locator(terrain, CAMERA, pose, EXACT_POSE)
    ray = locator.rays([u], [v])[0]
    t_ref = march.range_m(pose.lat_deg, pose.lon_deg, pose.alt_amsl_m, ray)
    fix = locator.locate([u], [v])[0]
    t_fast = math.nan if fix is None else fix.range_m
    t_exhaustive = float(pixel_to_ground(terrain, CAMERA, pose, [u], [v]).range_m[0])
    assert _agrees(march, pose, ray, t_fast, t_ref), (t_fast, t_ref)
    assert _agrees(march, pose, ray, t_exhaustive, t_ref), (t_exhaustive, t_ref)


def test_a_ray_skimming_a_knife_edge_stops_on_it(tmp_path):
    """A 1-sample ridge a half-pixel march steps over, clipped 14 cm below its top."""
    from rasterio.transform import from_origin

    from tests.conftest import write_geotiff

    data = np.full((64, 64), 1000.0)
    data[:, 40] = 1100.0  # knife edge along column 40, a tent two cells wide
    path = write_geotiff(tmp_path / "edge.tif", data, crs="EPSG:32645",
                         transform=from_origin(620_000, 4_975_000, 30.0, 30.0))
    with Terrain(path) as terrain:
        lon, lat = terrain._to_dem.transform(620_000 + 10.5 * 30, 4_975_000 - 32 * 30,
                                             direction="INVERSE")
        # from 30 cells west of the crest, aim 20 cm below its top (the ground curving
        # away by 6 cm over 900 m leaves 14 cm): a clip 8 cm long, then nothing for 5 km
        run = (40.5 - 10.5) * 30.0
        alt = 1100.0 + 2.0
        ray = np.array([0.0, run, alt - 1100.0 + 0.2])
        hits = terrain.cast_rays(lat, lon, alt, ray)
        assert hits.hit[0]
        east_m = hits.range_m[0] * ray[1] / np.linalg.norm(ray)
        assert abs(east_m - run) < 1.0  # on the crest, not 900 m further east


def test_quadratic_roots_are_the_first_in_the_interval():
    assert first_root(1.0, -3.0, 2.0, 5.0) == pytest.approx(0.5)  # roots 0.5 and 1
    assert first_root(1.0, -1.0, 0.0, 0.5) is None  # root at 1, past the end
    assert first_root(-1.0, 0.0, 0.0, 1.0) == 0.0  # already under the ground
    assert first_root(1.0, 0.0, 1.0, 9.0) is None  # never
    got = first_roots(np.array([1.0, 1.0, -1.0, 1.0]), np.array([-3.0, -1.0, 0.0, 0.0]),
                      np.array([2.0, 0.0, 0.0, 1.0]), np.array([5.0, 0.5, 1.0, 9.0]))
    np.testing.assert_allclose(got, [0.5, np.nan, 0.0, np.nan])
