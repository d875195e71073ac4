"""Live video read back over a real UDP socket (MPEG-TS, H.264) and from an H.265 file."""

from __future__ import annotations

import time

import numpy as np
import pytest

from dronewatch.geo import camera_preset
from dronewatch.thermal.sources.video import VideoError, VideoStream, is_video
from tests.thermal.videosend import free_udp_port, start_sending, write_video

FPS = 20
CAMERA = camera_preset("dji-m30t")


def _frames(n: int, shape: tuple[int, int] = (256, 320)) -> list[np.ndarray]:
    """Frame i shows a warm bar at column 10 + 6 i (so each frame can be told apart)."""
    out = []
    for i in range(n):
        pixels = np.full(shape, 60, np.uint8)
        pixels[:, 10 + 6 * i:16 + 6 * i] = 220
        out.append(pixels)
    return out


def _index(pixels: np.ndarray) -> int:
    return round((int(np.argmax(pixels.mean(axis=0))) - 12) / 6)


def test_a_udp_stream_gives_the_newest_frame_at_its_capture_time_and_counts_drops():
    port = free_udp_port()
    latency_s = 0.05
    with VideoStream(f"udp://127.0.0.1:{port}", CAMERA, latency_s=latency_s) as video:
        start = time.time() + 0.3
        thread, sent = start_sending(port, _frames(40), FPS, start_s=start)
        taken = []
        while thread.is_alive():  # a detector that needs 0.2 s a frame
            time.sleep(0.2)
            try:
                frame = video.newest()
            except VideoError:
                continue
            taken.append((frame, len(sent) - 1, time.time()))
        thread.join()
        time.sleep(0.3)
        stats = video.stats
    assert len(taken) >= 5
    stamp_minus_sent = []
    for frame, last_sent, now in taken[1:]:
        i = _index(frame.pixels)
        assert last_sent - 3 <= i <= last_sent  # the newest, never a queued old one
        stamp_minus_sent.append(frame.time_unix_s - sent[i])
        assert now - frame.time_unix_s < 0.5  # never behind real time
    # its capture time: when it was sent, less the camera's latency, plus the stream's
    # own delay (the MPEG-TS muxer holds a frame or two), the same for every frame
    assert -latency_s <= min(stamp_minus_sent) and max(stamp_minus_sent) < -latency_s + 0.15
    assert max(stamp_minus_sent) - min(stamp_minus_sent) < 0.03
    assert frame.camera.width_px == 320 and frame.camera.hfov_deg == CAMERA.hfov_deg
    assert stats.decoded >= 36 and stats.taken == len({f.source for f, _, _ in taken})
    assert stats.dropped >= stats.decoded - stats.taken - 1 >= 20


def test_a_video_file_plays_at_its_own_rate(tmp_path):
    clip = write_video(tmp_path / "clip.mp4", _frames(10), fps=10, codec="libx265")
    assert is_video(str(clip)) and is_video("rtsp://10.0.0.5/live") and not is_video("frames/")
    started = time.time()
    with VideoStream(str(clip), CAMERA) as video:
        first = video.newest(5.0)
        while not video.ended:
            time.sleep(0.05)
        kept = video.frames_between(0, float("inf"))
    assert _index(first.pixels) == 0
    assert [_index(f.pixels) for f in kept] == list(range(10))
    gaps = np.diff([f.time_unix_s for f in kept])
    assert np.allclose(gaps, 0.1, atol=0.03)  # 10 fps, in wall time
    assert time.time() - started >= 0.85
    assert video.stats.error == "the stream ended"


def test_a_false_colour_stream_is_refused_with_its_reason():
    port = free_udp_port()
    rainbow = [np.dstack([f, 255 - f, np.full_like(f, 30)]) for f in _frames(30)]
    with VideoStream(f"udp://127.0.0.1:{port}", CAMERA, open_timeout_s=3.0) as video:
        thread, _ = start_sending(port, rainbow, FPS, start_s=time.time() + 0.3, colour=True)
        with pytest.raises(VideoError, match="false-colour"):
            video.newest(4.0)
        assert video.ended
        thread.join()


def test_a_missing_file_is_one_line_naming_it(tmp_path):
    with VideoStream(str(tmp_path / "none.mp4"), CAMERA) as video, \
            pytest.raises(VideoError, match=r"none\.mp4"):
        video.newest(3.0)
