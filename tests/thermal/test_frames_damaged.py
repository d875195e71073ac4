"""Frames damaged: read, or refused naming the file; never a crash.

A camera's card pulled mid-write, a copy cut short, a tool that rewrote the EXIF, a
sidecar edited by hand: a bad frame among thousands is skipped and counted, so the
reader must refuse it with its own error, not with a ``struct.error`` or an
``AttributeError`` from deep inside.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dronewatch.geo.attitude import Attitude, GimbalAttitude
from dronewatch.geo.camera import CameraModel
from dronewatch.geo.projection import CameraPose
from dronewatch.thermal import Frame, PixelUnit, read_frame
from dronewatch.thermal.frameio import FrameError, sidecar_path, write_frame
from tests.mutations import damaged_copy, damaged_json, fuzzing

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "thermal-jpeg"
PICTURES = sorted(p for p in DATA.rglob("*") if p.suffix.lower() == ".jpg") \
    if DATA.is_dir() else []


@pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data/thermal-jpeg absent")
@fuzzing(120)
@given(st.data())
def test_a_damaged_thermal_jpeg_is_read_or_refused_naming_it(tmp_path, data):
    path = damaged_copy(data, PICTURES, tmp_path)
    try:
        frame = read_frame(path)
    except FrameError as exc:
        assert str(path) in str(exc), exc
    else:
        assert frame.pixels.ndim == 2 and frame.pixels.size > 0
        if frame.unit is PixelUnit.CELSIUS:
            assert np.isfinite(frame.pixels).any()


CAMERA = CameraModel(64, 48, 40.0, "test")
POSE = CameraPose(44.7, 88.6, 900.0, Attitude(0.0, 0.0, 90.0),
                  GimbalAttitude(-90.0, 0.0, 0.0, stabilised=True))
SIDECAR = {"time_unix_s": 1.7e9, "unit": "celsius",
           "camera": {"width_px": 64, "height_px": 48, "hfov_deg": 40.0, "name": "test"},
           "pose": {"lat_deg": 44.7, "lon_deg": 88.6, "alt_amsl_m": 900.0,
                    "attitude": {"roll_deg": 0.0, "pitch_deg": 0.0, "yaw_deg": 90.0},
                    "gimbal": {"pitch_deg": -90.0, "roll_deg": 0.0, "yaw_deg": 0.0,
                               "stabilised": True}}}


def test_the_sidecar_damaged_below_is_what_write_frame_writes(tmp_path):
    path = write_frame(Frame(np.full((48, 64), 21.5, np.float32), PixelUnit.CELSIUS, 1.7e9,
                             CAMERA, POSE, ""), tmp_path / "frame.tiff")
    assert json.loads(sidecar_path(path).read_text()) == SIDECAR


@fuzzing(120)
@given(damaged_json(SIDECAR))
def test_a_frame_with_a_damaged_sidecar_is_read_or_refused_naming_it(tmp_path, sidecar):
    path = tmp_path / "frame.tiff"
    if not path.exists():
        write_frame(Frame(np.full((48, 64), 21.5, np.float32), PixelUnit.CELSIUS, 1.7e9,
                          CAMERA, POSE, ""), path)
    sidecar_path(path).write_text(json.dumps(sidecar))
    try:
        frame = read_frame(path, camera=CAMERA)
    except FrameError as exc:
        assert str(path.with_suffix("")) in str(exc), exc
    else:
        assert np.isfinite(frame.time_unix_s) and frame.pixels.shape == (48, 64)
