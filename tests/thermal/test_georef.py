"""Placing pixels: the fast placement agrees with the exhaustive ray cast, and the stated
error holds the true error about 95 % of the time."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dronewatch.geo import Attitude, CameraPose, GimbalAttitude, LocalFrame, camera_preset
from dronewatch.geo.projection import pixel_to_ground
from dronewatch.thermal import EXACT_POSE, PoseUncertainty, locate_pixels

CAMERA = camera_preset("dji-m30t")


@settings(max_examples=40, deadline=None)
@given(north=st.floats(-3000, 3000), east=st.floats(-3000, 3000), agl=st.floats(40, 150),
       pitch=st.floats(-90, -40), yaw=st.floats(0, 360), u=st.floats(0, 639), v=st.floats(0, 511))
def test_fast_placement_agrees_with_the_exhaustive_cast(terrain, gobi, north, east, agl, pitch,
                                                        yaw, u, v):
    lat, lon = LocalFrame(*gobi).to_wgs84(east, north)
    pose = CameraPose(float(lat), float(lon), terrain.elevation_at(float(lat), float(lon)) + agl,
                      Attitude(0, 0, yaw), GimbalAttitude(pitch))
    fix = locate_pixels(terrain, CAMERA, pose, [u], [v], EXACT_POSE)[0]
    exact = pixel_to_ground(terrain, CAMERA, pose, [u], [v])
    assert (fix is None) == (not exact.hit[0])
    if fix is not None:
        e, n = LocalFrame(fix.lat_deg, fix.lon_deg).to_local(exact.lat_deg[0], exact.lon_deg[0])
        assert math.hypot(e, n) < 0.05  # metres


def test_stated_error_holds_the_true_error_95_percent_of_the_time(terrain, gobi):
    """Monte Carlo: perturb the pose as the uncertainty says, see where the pixel lands."""
    rng = np.random.default_rng(7)
    unc = PoseUncertainty(pointing_deg=0.8, horizontal_m=2.0, vertical_m=1.5, dem_m=0.0)
    inside = total = 0
    for _ in range(300):
        lat, lon = LocalFrame(*gobi).to_wgs84(*rng.uniform(-3000, 3000, 2))
        agl = rng.uniform(60, 120)
        truth = CameraPose(float(lat), float(lon),
                           terrain.elevation_at(float(lat), float(lon)) + agl,
                           Attitude(0, 0, rng.uniform(0, 360)),
                           GimbalAttitude(rng.uniform(-90, -50)))
        u, v = rng.uniform(0, 639), rng.uniform(0, 511)
        true_fix = locate_pixels(terrain, CAMERA, truth, [u], [v], EXACT_POSE)[0]
        shift_e, shift_n = rng.normal(0, unc.horizontal_m, 2)
        lat2, lon2 = LocalFrame(truth.lat_deg, truth.lon_deg).to_wgs84(shift_e, shift_n)
        noisy = CameraPose(float(lat2), float(lon2),
                           truth.alt_amsl_m + rng.normal(0, unc.vertical_m),
                           Attitude(0, 0, truth.attitude.yaw_deg + rng.normal(0, 0.8)),
                           GimbalAttitude(truth.gimbal.pitch_deg + rng.normal(0, 0.8),
                                          rng.normal(0, 0.8)))
        fix = locate_pixels(terrain, CAMERA, noisy, [u], [v], unc)[0]
        if fix is None or true_fix is None:
            continue
        e, n = LocalFrame(true_fix.lat_deg, true_fix.lon_deg).to_local(fix.lat_deg, fix.lon_deg)
        inside += math.hypot(e, n) <= fix.accuracy_m
        total += 1
    assert total > 250
    assert 0.88 <= inside / total <= 0.995


def test_error_radius_grows_where_the_ray_grazes_the_ground_it_hits(tmp_path):
    """Same view, same range: a slope falling away from the camera makes the ray graze it,
    so a small pointing or height error slides the fix far along the ground."""
    from rasterio.transform import from_origin

    from dronewatch.geo import Terrain
    from tests.conftest import write_geotiff

    cols = np.arange(200) + 0.5
    radii = {}
    for name, slope in (("facing", -0.27), ("level", 0.0), ("away", 0.27)):
        # heights fall eastwards by `slope` per metre; the camera looks east
        data = np.tile(1000.0 - slope * (cols - 100) * 30.0, (200, 1))
        path = write_geotiff(tmp_path / f"{name}.tif", data, crs="EPSG:32645",
                             transform=from_origin(620_000, 4_975_000, 30.0, 30.0))
        with Terrain(path) as terrain:
            lon, lat = terrain._to_dem.transform(620_000 + 100 * 30, 4_975_000 - 100 * 30,
                                                 direction="INVERSE")
            pose = CameraPose(lat, lon, 1120.0, Attitude(0, 0, 90), GimbalAttitude(-20))
            fix = locate_pixels(terrain, CAMERA, pose, [319.5], [255.5])[0]
            radii[name] = fix.accuracy_m
    assert radii["facing"] < radii["level"] < radii["away"]
    assert radii["away"] > 2.5 * radii["level"]  # incidence ~5° instead of 20°
