"""Recorded thermal videos, read back from real H.264/H.265 files written with PyAV."""

from __future__ import annotations

import math
import os
from datetime import UTC, datetime

import cv2
import numpy as np
import pytest

from dronewatch.geo import Attitude, CameraPose, GimbalAttitude, camera_preset
from dronewatch.thermal.sources.clip import ClipError, ClipReader, clip_shots, is_clip
from tests.thermal.djisrt import write_subtitles
from tests.thermal.test_srt import ENTERPRISE
from tests.thermal.test_video import _frames, _index
from tests.thermal.videosend import write_video

CAMERA = camera_preset("dji-m30t")


def _subtitles(path, n: int, fps: int, wall: datetime, zoom: float = 1.0):
    """One enterprise block a frame, the drone moving north 1 m a frame, looking down."""
    poses = [CameraPose(39.4 + i * 9e-6, 109.8, 1460.0, Attitude(), GimbalAttitude(-90.0))
             for i in range(n)]
    return write_subtitles(path, poses, fps, wall.timestamp(), zoom)


def test_a_clip_gives_a_frame_every_half_second_with_its_subtitles_time_and_pose(tmp_path):
    clip = write_video(tmp_path / "DJI_0001.MP4", _frames(30), fps=10, codec="libx264")
    wall = datetime(2024, 6, 11, 21, 40, 5, tzinfo=UTC)
    _subtitles(tmp_path / "DJI_0001.SRT", 30, 10, wall)
    found = clip_shots(clip, every_s=0.5)
    assert found.subtitles_note == "" and len(found.telemetry.records) == 30
    assert [s.video_s for s in found.shots] == pytest.approx([0.0, 0.5, 1.0, 1.5, 2.0, 2.5])
    assert [s.time_unix_s - wall.timestamp() for s in found.shots] == \
        pytest.approx([0.0, 0.5, 1.0, 1.5, 2.0, 2.5])
    assert not any(s.time_zone_known for s in found.shots)  # DJI's clock has no zone
    assert [round((s.pose.lat_deg - 39.4) / 9e-6) for s in found.shots] == [0, 5, 10, 15, 20, 25]
    with ClipReader(CAMERA) as reader:
        frames = [reader.frame(s) for s in found.shots]
        again = reader.frame(found.shots[1])  # backwards: from the key frame before it
        twice = reader.frame(found.shots[1])
        later = reader.frame(found.shots[4])
    assert [_index(f.pixels) for f in frames] == [0, 5, 10, 15, 20, 25]
    assert [_index(f.pixels) for f in (again, twice, later)] == [5, 5, 20]
    first = frames[0]
    assert first.source == f"{clip}@0.000s" and first.pose == found.shots[0].pose
    assert (first.camera.width_px, first.camera.height_px) == (320, 256)
    assert first.camera.hfov_deg == CAMERA.hfov_deg and not first.time_zone_known


def test_a_digitally_zoomed_clip_narrows_the_cameras_view(tmp_path):
    clip = write_video(tmp_path / "DJI_0004.MP4", _frames(5), fps=10, codec="libx264")
    _subtitles(tmp_path / "DJI_0004.SRT", 5, 10, datetime(2024, 6, 11, tzinfo=UTC), zoom=2.0)
    with ClipReader(CAMERA) as reader:
        frame = reader.frame(clip_shots(clip, every_s=1.0).shots[0])
    half = math.radians(CAMERA.hfov_deg) / 2
    assert frame.camera.hfov_deg == pytest.approx(2 * math.degrees(math.atan(math.tan(half) / 2)))
    assert frame.camera.source.endswith("digital zoom 2x")


def test_without_subtitles_a_clip_is_timed_by_its_file_and_has_no_pose(tmp_path):
    clip = write_video(tmp_path / "flight.mkv", _frames(20), fps=10, codec="libx265")
    ended = datetime(2024, 6, 11, 22, 0, 0, tzinfo=UTC).timestamp()
    os.utime(clip, (ended, ended))
    found = clip_shots(clip, every_s=1.0)
    assert found.telemetry is None and found.subtitles_note == "no subtitle file beside it"
    assert [s.pose for s in found.shots] == [None, None]
    # the recording ended when the file was closed: its last frame, 1.9 s in
    assert [s.time_unix_s - ended for s in found.shots] == pytest.approx([-1.9, -0.9])
    assert all(s.time_zone_known for s in found.shots)


def test_a_clips_creation_time_is_its_first_frames(tmp_path):
    clip = write_video(tmp_path / "stamped.mp4", _frames(5, (64, 80)), fps=10,
                       codec="libx264",
                       metadata={"creation_time": "2024-06-11T21:40:05.000000Z"})
    (shot,) = clip_shots(clip, every_s=1.0).shots
    assert shot.time_unix_s == datetime(2024, 6, 11, 21, 40, 5, tzinfo=UTC).timestamp()


def test_a_palette_recording_is_turned_back_into_grey_or_refused(tmp_path):
    grey = _frames(6)
    inferno = [cv2.applyColorMap(f, cv2.COLORMAP_INFERNO) for f in grey]
    clip = write_video(tmp_path / "inferno.mp4", inferno, fps=10, codec="libx264",
                       colour=True)
    shots = clip_shots(clip, every_s=0.2).shots
    with ClipReader(CAMERA) as reader:
        frames = [reader.frame(s) for s in shots]
    assert [_index(f.pixels) for f in frames] == [0, 2, 4]
    hot = frames[1].pixels[:, 22:28].mean()
    assert hot > frames[1].pixels[:, 100:].mean() + 100  # warmer is brighter again
    odd = [np.dstack([f, 255 - f, np.full_like(f, 90)]) for f in grey]  # no one's palette
    rainbow = write_video(tmp_path / "odd.mp4", odd, fps=10, codec="libx264", colour=True)
    with ClipReader(CAMERA) as reader, pytest.raises(ClipError, match="unknown palette"):
        reader.frame(clip_shots(rainbow, every_s=1.0).shots[0])


def test_a_broken_clip_is_named_with_what_is_wrong(tmp_path):
    broken = tmp_path / "DJI_0002.MP4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(200))
    with pytest.raises(ClipError, match="not a readable video") as raised:
        clip_shots(broken, every_s=0.5)
    assert raised.value.where == str(broken) and raised.value.reason.startswith("not a")
    clip = write_video(tmp_path / "DJI_0003.MP4", _frames(4), fps=10, codec="libx264")
    (tmp_path / "DJI_0003.SRT").write_text(ENTERPRISE.replace("latitude", "lat"))
    found = clip_shots(clip, every_s=0.5)
    assert found.telemetry is None and "no DJI position" in found.subtitles_note
    with ClipReader(None) as reader, pytest.raises(ClipError, match="no camera"):
        reader.frame(found.shots[0])
    assert is_clip(clip) and is_clip(tmp_path / "a.MOV") and not is_clip(tmp_path / "a.jpg")
    wide = write_video(tmp_path / "DJI_20240611214005_0001_W.MP4", _frames(4), fps=10,
                       codec="libx264")  # the wide camera's clip beside the thermal one
    with pytest.raises(ClipError, match="visible-light video: a DJI _W file"):
        clip_shots(wide, every_s=0.5)
