"""Thermal video clips, damaged or tagged in another encoding: read, or refused naming
the clip; never a crash.

A card pulled while the drone was still recording, a copy cut short, a camera that
writes its title tag in GBK: the clip's readable frames are looked at and the rest is
refused frame by frame, each naming the clip.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dronewatch.geo import camera_preset
from dronewatch.thermal.sources.clip import ClipError, ClipReader, clip_shots
from tests.mutations import damaged_copy, fuzzing
from tests.thermal.test_video import _frames
from tests.thermal.videosend import write_video

CAMERA = camera_preset("dji-m30t")


def test_a_clip_whose_tags_are_not_utf8_is_read(tmp_path):
    clip = write_video(tmp_path / "gbk.mp4", _frames(5), fps=10, codec="libx264",
                       metadata={"title": "红沙煤矿 夜间搜索", "creation_time":
                                 "2026-11-30T21:40:05Z"}, metadata_encoding="gbk")
    shots = clip_shots(clip, every_s=0.2)
    when = datetime(2026, 11, 30, 21, 40, 5, tzinfo=UTC).timestamp()
    assert len(shots.shots) == 3 and shots.shots[0].time_unix_s == pytest.approx(when)
    with ClipReader(CAMERA) as reader:
        assert reader.frame(shots.shots[-1]).pixels.shape == (256, 320)


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clips")
    return [write_video(folder / "a.mp4", _frames(12), fps=10, codec="libx264"),
            write_video(folder / "b.mkv", _frames(12), fps=10, codec="libx265")]


@fuzzing(150)
@given(st.data())
def test_a_damaged_clip_gives_its_readable_frames_and_names_the_rest(clips, tmp_path, data):
    path = damaged_copy(data, clips, tmp_path)
    try:
        shots = clip_shots(path, every_s=0.3)
    except ClipError as exc:
        assert str(path) in str(exc), exc
        return
    with ClipReader(CAMERA) as reader:
        for shot in shots.shots:
            try:
                frame = reader.frame(shot)
            except ClipError as exc:
                assert str(path) in str(exc), exc
            else:
                assert frame.pixels.ndim == 2 and frame.source.startswith(str(path))
