"""A laser rangefinder's distance sets the camera's height over the terrain.

The real-file test takes a real DJI H20T R-JPEG, writes a laser measurement into its
XMP as the drone writes one (``test_dji_xmp``), and checks the image centre against a
hand calculation; the property test checks the height over sloping terrain for any pose.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rasterio.transform import from_origin

from dronewatch.geo import CameraPose, LocalFrame, Terrain, camera_preset
from dronewatch.geo.attitude import Attitude, GimbalAttitude
from dronewatch.thermal import read_frame
from dronewatch.thermal.georef import TYPICAL_POSE
from dronewatch.thermal.laserrange import LaserRange, ranged_pose
from dronewatch.thermal.placement import FrameGeometry
from tests.conftest import write_geotiff
from tests.thermal.test_dji_xmp import H20T, with_dji_xmp

SLOPE_E, SLOPE_N = 0.08, -0.05  # the test terrain rises 8 % to the east, falls 5 % north
GROUND_M = 1200.0  # its height at the camera's foot


def _plane_dem(path: Path, lat: float, lon: float, height_m: float, slope_e: float = 0.0,
               slope_n: float = 0.0) -> Terrain:
    """A DEM around (lat, lon) that is a plane: bilinear interpolation is exact on it."""
    frame = LocalFrame(lat, lon)
    east = -3000.0 + 10.0 * (np.arange(600) + 0.5)
    north = 3000.0 - 10.0 * (np.arange(600) + 0.5)
    heights = height_m + slope_e * east[None, :] + slope_n * north[:, None]
    return Terrain(write_geotiff(path, heights, crs=frame.crs.to_wkt(),
                                 transform=from_origin(-3000.0, 3000.0, 10.0, 10.0)))


@pytest.fixture(scope="module")
def slope(tmp_path_factory):
    terrain = _plane_dem(tmp_path_factory.mktemp("slope") / "slope.tif", 44.6, 88.6,
                         GROUND_M, SLOPE_E, SLOPE_N)
    yield terrain
    terrain.close()


def _axis(pose: CameraPose) -> np.ndarray:
    return pose.camera_to_ned() @ np.array([0.0, 0.0, 1.0])


@settings(max_examples=150, deadline=None)
@given(pitch=st.floats(-90.0, -3.0), yaw=st.floats(-180.0, 180.0),
       body_yaw=st.floats(-180.0, 180.0), height_m=st.floats(20.0, 400.0),
       written_error_m=st.floats(-100.0, 100.0))
def test_the_laser_gives_the_cameras_true_height_over_sloping_ground(
        slope, pitch, yaw, body_yaw, height_m, written_error_m):
    """Whatever the pose, and however wrong the written altitude (within the bound), the
    height from the range puts the axis on the ground at the measured distance."""
    true_alt = GROUND_M + height_m
    truth = CameraPose(44.6, 88.6, true_alt, Attitude(2.0, -3.0, body_yaw),
                       GimbalAttitude(pitch, 0.0, yaw - body_yaw))
    axis = _axis(truth)
    # the plane z = G + a·east + b·north meets the axis where the drop equals the rise
    distance = height_m / (axis[2] + SLOPE_E * axis[1] + SLOPE_N * axis[0])
    if not 1.0 <= distance <= 2000.0 or abs(distance * axis[1]) > 2500 \
            or abs(distance * axis[0]) > 2500:
        return  # beyond the rangefinder or the test DEM
    written = replace(truth, alt_amsl_m=true_alt + written_error_m)
    ranged = ranged_pose(slope, camera_preset("siyi-zt30"), written,
                         LaserRange(distance))
    assert ranged.taken, ranged.refused
    curvature = distance**2 * (1 - axis[2] ** 2) / (2 * 6371008.8)
    assert ranged.pose.alt_amsl_m == pytest.approx(true_alt - curvature, abs=0.05)
    assert ranged.shift_m == pytest.approx(-written_error_m - curvature, abs=0.05)
    east, north = LocalFrame(44.6, 88.6).to_local(ranged.spot[0], ranged.spot[1])
    assert (float(east), float(north)) == pytest.approx(
        (distance * axis[1], distance * axis[0]), abs=0.05)


@pytest.mark.parametrize(("pitch", "error_m", "lat", "why"), [
    (-30.0, 150.0, 44.6, "more than 120 m"),
    (-0.5, 0.0, 44.6, "below the horizon"),
    (20.0, 0.0, 44.6, "below the horizon"),
    (-30.0, 0.0, 44.7, "outside the DEM"),
])
def test_a_range_that_cannot_be_ground_leaves_the_written_pose_with_the_reason(
        slope, pitch, error_m, lat, why):
    pose = CameraPose(lat, 88.6, GROUND_M + 100.0 + error_m, Attitude(),
                      GimbalAttitude(pitch, 0.0, 0.0))
    ranged = ranged_pose(slope, camera_preset("siyi-zt30"), pose, LaserRange(180.0))
    assert not ranged.taken and why in ranged.refused
    assert ranged.pose == pose and ranged.shift_m == 0.0


def test_a_real_h20t_shot_with_its_laser_is_placed_where_the_laser_hit(tmp_path):
    """The drone wrote its altitude 6 m high (its relative altitude says 16.5 m, the
    camera was 10.5 m over level ground at take-off height): the laser's 57.6 m along
    the axis, not the written altitude, says where the image centre is."""
    if not H20T.is_file():
        pytest.skip("../shared/data/thermal-jpeg absent")
    written = read_frame(H20T).pose
    pitch, yaw = -10.5, 32.5  # the file's GimbalPitchDegree and (earth) GimbalYawDegree
    takeoff = 221.404 - 16.508  # AbsoluteAltitude - RelativeAltitude
    height = 16.508 - 6.0
    distance = height / math.sin(math.radians(-pitch))
    ahead = distance * math.cos(math.radians(pitch))  # by hand: along the gimbal's yaw
    spot_lat, spot_lon = (float(a) for a in LocalFrame(written.lat_deg, written.lon_deg)
                          .to_wgs84(ahead * math.sin(math.radians(yaw)),
                                    ahead * math.cos(math.radians(yaw))))
    picture = with_dji_xmp(H20T, tmp_path / "DJI_H20T_lrf.jpg", {
        "LRFStatus": "Normal", "LRFTargetDistance": f"{distance:.3f}",
        "LRFTargetLon": f"{spot_lon:.7f}", "LRFTargetLat": f"{spot_lat:.7f}",
        "LRFTargetAbsAlt": f"{takeoff:.3f}"})
    frame = read_frame(picture)
    assert frame.laser is not None and frame.laser.distance_m == pytest.approx(distance, abs=1e-3)
    terrain = _plane_dem(tmp_path / "level.tif", written.lat_deg, written.lon_deg, takeoff)
    centre = [frame.camera.principal_point_px]
    with terrain:
        geometry = FrameGeometry(frame, terrain, None, TYPICAL_POSE)
        fix = geometry.place(centre)[0][0]
        assert geometry.ranged is not None and geometry.ranged.taken
        assert geometry.ranged.shift_m == pytest.approx(-6.0, abs=0.05)
        assert geometry.ranged.target_gap_m < 0.05  # the pose is read as the drone reads it
        unranged = FrameGeometry(replace(frame, laser=None), terrain, None, TYPICAL_POSE)
        fix_written = unranged.place(centre)[0][0]
    east, north = LocalFrame(spot_lat, spot_lon).to_local(fix.lat_deg, fix.lon_deg)
    assert math.hypot(east, north) < 0.3 and fix.alt_amsl_m == pytest.approx(takeoff, abs=0.05)
    east, north = LocalFrame(spot_lat, spot_lon).to_local(fix_written.lat_deg,
                                                          fix_written.lon_deg)
    assert math.hypot(east, north) > 30.0  # what the written altitude alone would say
