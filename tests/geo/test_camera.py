"""Camera intrinsics, presets and rotations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dronewatch.geo import CAMERA_PRESETS, Attitude, CameraModel, GimbalAttitude, camera_preset
from dronewatch.geo.attitude import euler_to_matrix


@pytest.mark.parametrize(("name", "dfov"), [("dji-h20t", 40.6), ("dji-m30t", 61.0)])
def test_dji_presets_keep_their_datasheet_diagonal_fov(name, dfov):
    cam = camera_preset(name)
    assert (cam.width_px, cam.height_px) == (640, 512)
    half_diag_px = math.hypot(640, 512) / 2
    assert 2 * math.degrees(math.atan(half_diag_px / cam.focal_px)) == pytest.approx(dfov)
    assert cam.source


def test_every_preset_is_640x512_with_a_source():
    for cam in CAMERA_PRESETS.values():
        assert (cam.width_px, cam.height_px) == (640, 512)
        assert "datasheet" in cam.source


def test_unknown_preset_lists_the_known_ones():
    with pytest.raises(ValueError, match="dji-h20t"):
        camera_preset("gopro")


def test_rays_and_projection_are_inverse():
    cam = CameraModel(640, 512, 50.0)
    u = np.array([-0.5, 0.0, 319.5, 639.5, 100.25])
    v = np.array([-0.5, 511.5, 255.5, 0.0, 400.75])
    pu, pv, inside = cam.project(cam.pixel_rays(u, v) * 37.0)
    np.testing.assert_allclose(pu, u, atol=1e-9)
    np.testing.assert_allclose(pv, v, atol=1e-9)
    assert inside.all()
    assert not cam.project([[0.0, 0.0, -1.0]])[2][0]


def test_vfov_follows_from_hfov_and_aspect():
    cam = CameraModel(640, 512, 50.0)
    expected = 2 * math.degrees(math.atan(math.tan(math.radians(25.0)) * 512 / 640))
    assert cam.vfov_deg == pytest.approx(expected)


@pytest.mark.parametrize("bad", [dict(width_px=1), dict(hfov_deg=0.5), dict(hfov_deg=175.0)])
def test_impossible_cameras_are_refused(bad):
    args = dict(width_px=640, height_px=512, hfov_deg=50.0) | bad
    with pytest.raises(ValueError, match="camera"):
        CameraModel(**args)


def test_euler_rotation_is_proper_and_yaw_turns_forward_east():
    r = euler_to_matrix(12.0, -7.0, 90.0)
    np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(r) == pytest.approx(1.0)
    np.testing.assert_allclose(euler_to_matrix(0, 0, 90) @ [1, 0, 0], [0, 1, 0], atol=1e-12)


def test_gimbal_pitch_minus_90_looks_straight_down():
    boresight = GimbalAttitude(pitch_deg=-90).camera_to_ned(Attitude(yaw_deg=33)) @ [0, 0, 1]
    np.testing.assert_allclose(boresight, [0, 0, 1], atol=1e-12)


def test_attitude_and_gimbal_validate_their_angles():
    with pytest.raises(ValueError, match="pitch"):
        Attitude(pitch_deg=120.0)
    with pytest.raises(ValueError, match="finite"):
        GimbalAttitude(yaw_deg=float("nan"))
