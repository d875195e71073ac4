"""Georeferencing against analytic cases: flat ground, a tilted plane, a step.

The DEMs are written in the local transverse Mercator of the camera's own frame, so
east and north in the analytic answers are the DEM's x and y exactly.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rasterio.transform import from_origin

from dronewatch.geo import (
    Attitude,
    CameraModel,
    CameraPose,
    GimbalAttitude,
    LocalFrame,
    Terrain,
    camera_preset,
    footprint,
    ground_sample_distance_m,
    ground_to_pixel,
    pixel_to_ground,
)
from tests.conftest import write_geotiff

LAT0, LON0 = 44.8, 88.7
FRAME = LocalFrame(LAT0, LON0)
HALF_M = 1000.0  # the DEMs span +-1 km around the origin
GROUND_M = 700.0
CAMERA = camera_preset("dji-h20t")
# Exact-pose georeferencing must be far better than the 0.5 m the issue asks for.
EXACT_POSE_TOLERANCE_M = 0.05


def local_dem(tmp_path, name, func, pixel_m=1.0):
    n = int(2 * HALF_M / pixel_m)
    centres = -HALF_M + pixel_m * (np.arange(n) + 0.5)
    east, north = np.meshgrid(centres, -centres)
    return write_geotiff(
        tmp_path / name, func(east, north).astype(np.float64), crs=FRAME.crs.to_wkt(),
        transform=from_origin(-HALF_M, HALF_M, pixel_m, pixel_m),
    )


@pytest.fixture(scope="module")
def flat(tmp_path_factory):
    path = local_dem(tmp_path_factory.mktemp("flat"), "flat.tif",
                     lambda e, n: np.full_like(e, GROUND_M), pixel_m=5.0)
    with Terrain(path) as terrain:
        yield terrain


SLOPE_E, SLOPE_N = 0.15, -0.05


@pytest.fixture(scope="module")
def tilted(tmp_path_factory):
    path = local_dem(tmp_path_factory.mktemp("tilted"), "tilted.tif",
                     lambda e, n: GROUND_M + SLOPE_E * e + SLOPE_N * n, pixel_m=5.0)
    with Terrain(path) as terrain:
        yield terrain


@pytest.fixture(scope="module")
def step(tmp_path_factory):
    path = local_dem(tmp_path_factory.mktemp("step"), "step.tif",
                     lambda e, n: np.where(e < 50.0, GROUND_M, GROUND_M + 20.0), pixel_m=1.0)
    with Terrain(path) as terrain:
        yield terrain


def hit_local(hits):
    east, north = FRAME.to_local(hits.lat_deg, hits.lon_deg)
    return east, north, hits.alt_amsl_m


def centre_hit(terrain, pose):
    cu, cv = CAMERA.principal_point_px
    return hit_local(pixel_to_ground(terrain, CAMERA, pose, [cu], [cv]))


def test_nadir_centre_pixel_lands_straight_below(flat):
    east, north, alt = centre_hit(flat, CameraPose(LAT0, LON0, GROUND_M + 100.0))
    assert math.hypot(east[0], north[0]) < EXACT_POSE_TOLERANCE_M
    assert alt[0] == pytest.approx(GROUND_M, abs=EXACT_POSE_TOLERANCE_M)


@pytest.mark.parametrize("yaw_deg", [0.0, 90.0, 225.0])
def test_45_degree_oblique_lands_100_m_ahead_along_the_heading(flat, yaw_deg):
    pose = CameraPose(LAT0, LON0, GROUND_M + 100.0, Attitude(yaw_deg=yaw_deg),
                      GimbalAttitude(pitch_deg=-45.0))
    east, north, _ = centre_hit(flat, pose)
    expected_e = 100.0 * math.sin(math.radians(yaw_deg))
    expected_n = 100.0 * math.cos(math.radians(yaw_deg))
    assert math.hypot(east[0] - expected_e, north[0] - expected_n) < EXACT_POSE_TOLERANCE_M


def test_off_centre_pixels_in_a_nadir_view(flat):
    """Image right is east and image down is south when heading north."""
    height = 100.0
    cu, cv = CAMERA.principal_point_px
    hits = pixel_to_ground(flat, CAMERA, CameraPose(LAT0, LON0, GROUND_M + height),
                           [cu + 200, cu], [cv, cv + 150])
    east, north, _ = hit_local(hits)
    f = CAMERA.focal_px
    np.testing.assert_allclose(east, [height * 200 / f, 0.0], atol=EXACT_POSE_TOLERANCE_M)
    np.testing.assert_allclose(north, [0.0, -height * 150 / f], atol=EXACT_POSE_TOLERANCE_M)


def test_vehicle_roll_moves_a_hard_mounted_camera_but_not_a_stabilised_one(flat):
    rolled = Attitude(roll_deg=10.0)
    hard = CameraPose(LAT0, LON0, GROUND_M + 100.0, rolled, GimbalAttitude(stabilised=False))
    gimballed = CameraPose(LAT0, LON0, GROUND_M + 100.0, rolled, GimbalAttitude())
    east_hard, _, _ = centre_hit(flat, hard)
    east_gimbal, _, _ = centre_hit(flat, gimballed)
    # Rolling right tilts a body-fixed nadir camera to look left (west) by 10°.
    assert east_hard[0] == pytest.approx(-100.0 * math.tan(math.radians(10.0)), abs=0.05)
    assert abs(east_gimbal[0]) < EXACT_POSE_TOLERANCE_M


@pytest.mark.parametrize("pitch_deg", [-90.0, -45.0])
def test_tilted_plane(tilted, pitch_deg):
    """Ray (t·sinθ north, camera height h) meets z = g + a·e + b·n where it is analytic."""
    height = 100.0
    pose = CameraPose(LAT0, LON0, GROUND_M + height, gimbal=GimbalAttitude(pitch_deg=pitch_deg))
    east, north, alt = centre_hit(tilted, pose)
    down = math.radians(-pitch_deg)
    # Along the ray: n = d·cos(down), z = g + h - d·sin(down) = g + b·n  => solve for d
    d = height / (math.sin(down) + SLOPE_N * math.cos(down))
    expected_n = d * math.cos(down)
    assert east[0] == pytest.approx(0.0, abs=EXACT_POSE_TOLERANCE_M)
    assert north[0] == pytest.approx(expected_n, abs=EXACT_POSE_TOLERANCE_M)
    assert alt[0] == pytest.approx(GROUND_M + SLOPE_N * expected_n, abs=EXACT_POSE_TOLERANCE_M)


@pytest.mark.parametrize(
    ("camera_alt", "expected_east", "expected_alt"),
    [
        (GROUND_M + 100.0, 80.0, GROUND_M + 20.0),  # clears the step, lands on the top
        (GROUND_M + 30.0, 30.0, GROUND_M),  # lands below, before the step
        (GROUND_M + 60.0, 50.0, GROUND_M + 10.0),  # strikes the 20 m face halfway up
    ],
)
def test_step(step, camera_alt, expected_east, expected_alt):
    pose = CameraPose(LAT0, LON0, camera_alt, Attitude(yaw_deg=90.0),
                      GimbalAttitude(pitch_deg=-45.0))
    east, north, alt = centre_hit(step, pose)
    assert east[0] == pytest.approx(expected_east, abs=0.5)
    assert north[0] == pytest.approx(0.0, abs=EXACT_POSE_TOLERANCE_M)
    assert alt[0] == pytest.approx(expected_alt, abs=0.5)


def test_nadir_footprint_on_flat_ground_is_the_analytic_rectangle(flat):
    height = 100.0
    fp = footprint(flat, CAMERA, CameraPose(LAT0, LON0, GROUND_M + height))
    width = 2 * height * math.tan(math.radians(CAMERA.hfov_deg / 2))
    depth = 2 * height * math.tan(math.radians(CAMERA.vfov_deg / 2))
    assert fp.complete
    assert fp.area_m2 == pytest.approx(width * depth, rel=1e-3)
    east, north = FRAME.to_local(*np.array(fp.polygon_wgs84.exterior.coords)[:, ::-1].T)
    assert east.max() - east.min() == pytest.approx(width, rel=1e-3)
    assert north.max() - north.min() == pytest.approx(depth, rel=1e-3)


def test_oblique_footprint_on_flat_ground_is_the_analytic_trapezoid(flat):
    height, down = 100.0, math.radians(50.0)
    pose = CameraPose(LAT0, LON0, GROUND_M + height, gimbal=GimbalAttitude(pitch_deg=-50.0))
    fp = footprint(flat, CAMERA, pose)
    half_h = math.radians(CAMERA.hfov_deg / 2)
    half_v = math.radians(CAMERA.vfov_deg / 2)
    near = height / math.tan(down + half_v)
    far = height / math.tan(down - half_v)
    near_width = 2 * math.tan(half_h) * height * math.cos(half_v) / math.sin(down + half_v)
    far_width = 2 * math.tan(half_h) * height * math.cos(half_v) / math.sin(down - half_v)
    assert fp.area_m2 == pytest.approx((far - near) * (near_width + far_width) / 2, rel=1e-3)


def test_footprint_above_the_horizon_is_marked_incomplete(flat):
    pose = CameraPose(LAT0, LON0, GROUND_M + 100.0, gimbal=GimbalAttitude(pitch_deg=-5.0))
    fp = footprint(flat, CAMERA, pose, max_range_m=900.0)
    assert not fp.complete


def test_ground_sample_distance(flat):
    height = 120.0
    cu, cv = CAMERA.principal_point_px
    nadir = CameraPose(LAT0, LON0, GROUND_M + height)
    along_u, along_v = ground_sample_distance_m(flat, CAMERA, nadir, [cu], [cv])
    assert along_u[0] == pytest.approx(CAMERA.nadir_gsd_m(height), rel=1e-3)
    assert along_v[0] == pytest.approx(CAMERA.nadir_gsd_m(height), rel=1e-3)
    oblique = CameraPose(LAT0, LON0, GROUND_M + height, gimbal=GimbalAttitude(pitch_deg=-30.0))
    along_u, along_v = ground_sample_distance_m(flat, CAMERA, oblique, [cu], [cv])
    slant = height / math.sin(math.radians(30.0))
    assert along_u[0] == pytest.approx(slant / CAMERA.focal_px, rel=1e-2)
    # Stretched along the look direction by 1 / sin(30°).
    assert along_v[0] == pytest.approx(slant / CAMERA.focal_px / 0.5, rel=1e-2)


@settings(max_examples=40, deadline=None)
@given(
    agl=st.floats(60.0, 120.0),
    yaw=st.floats(0.0, 360.0),
    roll=st.floats(-15.0, 15.0),
    pitch=st.floats(-15.0, 15.0),
    gimbal_pitch=st.floats(-90.0, -35.0),
    stabilised=st.booleans(),
    u=st.floats(0.0, 639.0),
    v=st.floats(0.0, 511.0),
)
def test_pixel_ground_pixel_round_trip(tilted, agl, yaw, roll, pitch, gimbal_pitch, stabilised,
                                       u, v):
    pose = CameraPose(LAT0, LON0, GROUND_M + agl, Attitude(roll, pitch, yaw),
                      GimbalAttitude(pitch_deg=gimbal_pitch, stabilised=stabilised))
    hits = pixel_to_ground(tilted, CAMERA, pose, [u], [v])
    if not hits.hit[0]:  # looks off the 2 km DEM: nothing to round-trip
        return
    back_u, back_v, inside = ground_to_pixel(CAMERA, pose, hits.lat_deg, hits.lon_deg,
                                             hits.alt_amsl_m)
    assert inside[0]
    assert back_u[0] == pytest.approx(u, abs=0.05)
    assert back_v[0] == pytest.approx(v, abs=0.05)


def test_points_behind_the_camera_are_not_in_the_image():
    pose = CameraPose(LAT0, LON0, GROUND_M + 100.0, gimbal=GimbalAttitude(pitch_deg=-20.0))
    lat, lon = FRAME.to_wgs84([0.0, 0.0], [-300.0, 300.0])  # behind, ahead
    _, _, inside = ground_to_pixel(CAMERA, pose, lat, lon, [GROUND_M, GROUND_M])
    assert inside.tolist() == [False, True]


def test_camera_model_from_sensor_matches_its_fov():
    cam = CameraModel.from_sensor(640, 512, pixel_pitch_um=12.0, focal_length_mm=13.5)
    assert cam.hfov_deg == pytest.approx(2 * math.degrees(math.atan(3.84 / 13.5)))
    assert cam.focal_px == pytest.approx(13.5 / 0.012)


def test_shallow_rays_meet_a_curving_earth_farther_away(tmp_path):
    """The ground drops d^2 / 2R below a straight ray: at 1.15° below the horizon from
    100 m up, flat ground would be met 5,000 m out; the real Earth's surface ~5,103 m."""
    half = 8000.0
    path = write_geotiff(tmp_path / "wide.tif", np.full((534, 534), GROUND_M),
                         crs=FRAME.crs.to_wkt(), transform=from_origin(-half, half, 30.0, 30.0))
    slope = 0.02
    with Terrain(path) as terrain:
        hit = terrain.cast_rays(LAT0, LON0, GROUND_M + 100.0, [[1.0, 0.0, slope]],
                                max_range_m=7000)
    north = FRAME.to_local(hit.lat_deg, hit.lon_deg)[1][0]
    radius = 6_371_000.0
    expected = (slope - math.sqrt(slope**2 - 4 * 100.0 / (2 * radius))) * radius
    assert expected == pytest.approx(5103, abs=2)
    assert north == pytest.approx(expected, abs=1.0)
