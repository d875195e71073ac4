"""Frames, units, files and sidecars: good frames read back exactly, bad ones are counted."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from dronewatch.geo import Attitude, CameraPose, GimbalAttitude, camera_preset
from dronewatch.thermal import (
    Frame,
    FrameError,
    FrameTally,
    PixelUnit,
    PoseSample,
    PoseTrack,
    read_frame,
    read_frames,
    write_frame,
)

CAMERA = camera_preset("dji-h20t")
POSE = CameraPose(44.7, 88.6, 900.0, Attitude(1.0, -2.0, 350.0), GimbalAttitude(-80.0, 0, 5))


@pytest.mark.parametrize(("unit", "raw", "celsius"), [
    (PixelUnit.CENTI_KELVIN, 29815, 25.0),
    (PixelUnit.DECI_KELVIN, 2981, 24.95),
    (PixelUnit.TLINEAR_0_04K, 7454, 25.01),
])
def test_units_convert_both_ways(unit, raw, celsius):
    assert unit.to_celsius(np.array([raw]))[0] == pytest.approx(celsius, abs=1e-6)
    assert int(unit.from_celsius(np.array([celsius]))[0]) == raw


def test_agc_frames_hold_no_temperature():
    with pytest.raises(ValueError, match="display levels"):
        PixelUnit.AGC_8BIT.to_celsius(np.zeros(3))


def frame_of(unit: PixelUnit, seed: int = 0) -> Frame:
    rng = np.random.default_rng(seed)
    if unit is PixelUnit.CELSIUS:
        pixels = rng.normal(5, 3, (512, 640)).astype(np.float32)
    elif unit is PixelUnit.AGC_8BIT:
        pixels = rng.integers(1, 255, (512, 640), dtype=np.uint8)
    else:
        pixels = rng.integers(26000, 31000, (512, 640), dtype=np.uint16)
    return Frame(pixels, unit, 1_700_000_000.25, CAMERA, POSE, "test")


@pytest.mark.parametrize(("unit", "suffix"), [
    (PixelUnit.CENTI_KELVIN, ".tiff"), (PixelUnit.DECI_KELVIN, ".png"),
    (PixelUnit.TLINEAR_0_04K, ".npy"), (PixelUnit.CELSIUS, ".tiff"),
    (PixelUnit.AGC_8BIT, ".png"),
])
def test_frames_round_trip_through_files_and_sidecars(tmp_path, unit, suffix):
    frame = frame_of(unit)
    path = write_frame(frame, tmp_path / f"f{suffix}")
    back = read_frame(path)
    assert back.unit is unit and back.time_unix_s == frame.time_unix_s
    np.testing.assert_array_equal(back.pixels, frame.pixels)
    assert back.pose == POSE and back.camera.hfov_deg == pytest.approx(CAMERA.hfov_deg)


def test_a_plain_jpeg_grab_is_an_agc_frame(tmp_path):
    path = tmp_path / "grab.jpg"
    cv2.imwrite(str(path), np.full((512, 640, 3), 90, np.uint8))
    frame = read_frame(path, camera=CAMERA, time_unix_s=5.0)
    assert frame.unit is PixelUnit.AGC_8BIT and frame.pose is None and frame.time_unix_s == 5.0


def test_bad_frames_are_skipped_counted_and_named(tmp_path):
    good = [write_frame(frame_of(PixelUnit.CENTI_KELVIN, k), tmp_path / f"a{k}.tiff")
            for k in range(3)]
    truncated = write_frame(frame_of(PixelUnit.CENTI_KELVIN), tmp_path / "b-truncated.png")
    truncated.write_bytes(truncated.read_bytes()[:5000])
    small = Frame(np.ones((256, 320), np.uint16), PixelUnit.CENTI_KELVIN, 0.0,
                  CAMERA.__class__(320, 256, 40.0))
    wrong_size = write_frame(small, tmp_path / "c-wrong-size.png")
    side = json.loads(wrong_size.with_suffix(".json").read_text())
    side["camera"] = "dji-h20t"
    wrong_size.with_suffix(".json").write_text(json.dumps(side))
    nan = write_frame(frame_of(PixelUnit.CELSIUS), tmp_path / "d-nan.npy")
    arr = np.load(nan)
    arr[10, 10] = np.nan
    np.save(nan, arr)
    zero = write_frame(frame_of(PixelUnit.CENTI_KELVIN), tmp_path / "e-zero.npy")
    np.save(zero, np.zeros((512, 640), np.uint16))
    bad_json = write_frame(frame_of(PixelUnit.CENTI_KELVIN), tmp_path / "f-json.tiff")
    bad_json.with_suffix(".json").write_text("{not json")
    mismatched = write_frame(frame_of(PixelUnit.AGC_8BIT), tmp_path / "g-unit.png")
    side = json.loads(mismatched.with_suffix(".json").read_text())
    side["unit"] = "centikelvin"
    mismatched.with_suffix(".json").write_text(json.dumps(side))

    tally = FrameTally()
    frames = list(read_frames([tmp_path], tally))
    assert [f.source for f in frames] == [str(p) for p in good]
    assert tally.read == 3 and len(tally.skipped) == 6
    by_file = {e.path.rsplit("/", 1)[1]: e.reason for e in tally.skipped}
    assert by_file["b-truncated.png"].startswith("unreadable")
    assert "640x512" in by_file["c-wrong-size.png"] and "320x256" in by_file["c-wrong-size.png"]
    assert "NaN" in by_file["d-nan.npy"]
    assert "all zero" in by_file["e-zero.npy"]
    assert by_file["f-json.json"].startswith("bad sidecar")
    assert "uint16" in by_file["g-unit.png"] and "uint8" in by_file["g-unit.png"]
    with pytest.raises(FrameError, match=r"e-zero\.npy"):
        read_frame(zero)


def test_pose_track_interpolates_and_wraps_yaw_and_refuses_gaps():
    def pose(t, yaw):
        return PoseSample(t, CameraPose(44.0 + t * 1e-4, 88.0, 800.0 + t, Attitude(0, 0, yaw)))

    track = PoseTrack([pose(0.0, 350.0), pose(1.0, 10.0), pose(10.0, 20.0)], max_gap_s=2.0)
    mid = track.at(0.5)
    assert mid.alt_amsl_m == pytest.approx(800.5)
    assert mid.lat_deg == pytest.approx(44.00005)
    assert mid.attitude.yaw_deg == pytest.approx(0.0, abs=1e-9)  # not 180
    assert track.at(5.0) is None  # 9 s between samples: no guess
    assert track.at(-0.5) is not None and track.at(-5.0) is None
    with pytest.raises(ValueError, match="time order"):
        track.append(pose(3.0, 0.0))
