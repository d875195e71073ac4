"""Live video in operations: simulated thermal frames encoded to H.264 with PyAV, sent
over real UDP on 127.0.0.1, watched with the telemetry's poses, and used as a search's
camera; ``--camera`` takes stream URLs and video files."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import typer

from dronewatch.cli.inputs import camera_choice
from dronewatch.geo import Attitude, CameraPose, GimbalAttitude, LocalFrame, camera_preset
from dronewatch.ops.record import FindingRecorder
from dronewatch.ops.video import VideoCamera, parse_camera, watch_video
from dronewatch.store import FindingKind, Store
from dronewatch.thermal import FrameError, PoseSample, PoseTrack
from dronewatch.thermal.learned import radiometric_to_agc
from dronewatch.thermal.sources.video import VideoStream
from tests.ops.rehearsal import rehearsal
from tests.thermal.videosend import free_udp_port, start_sending

FPS = 10
SPEED_MPS = 12.0
CAMERA_LATENCY_S = 0.4  # the gimbal sends each frame this long after it was exposed
STREAM_DELAY_S = 2 / FPS  # the H.264-in-MPEG-TS pipeline holds about two frames


def test_watching_a_stream_finds_the_person_where_they_are_at_the_cpus_pace(tmp_path):
    """A drone flies north over the person at 12 m/s; each frame must take the pose the
    drone had when it was exposed (0.4 s before it was sent), else the person moves by
    metres; the detector takes the newest frame whenever it is free."""
    with rehearsal() as r, Store(tmp_path / "s.sqlite") as store:
        person = LocalFrame(*r.person)
        ground_m = r.terrain.elevation_at(*r.person)
        path = []
        for i in range(14):
            lat, lon = person.to_wgs84(0.0, -8.0 + SPEED_MPS * i / FPS)
            path.append(CameraPose(float(lat), float(lon), ground_m + 60.0,
                                   Attitude(0.0, 0.0, 0.0), GimbalAttitude(-90.0, 0.0, 0.0)))
        # the gimbal's AGC picture of the radiometric scene (white-hot grey video)
        frames = [radiometric_to_agc(r.camera.render(pose, i / FPS).pixels)
                  for i, pose in enumerate(path)]
        exposed_s = time.time() + 1.0  # frame i is exposed at exposed_s + i / FPS
        poses = [PoseSample(exposed_s + i / FPS, pose) for i, pose in enumerate(path)]
        telemetry = PoseTrack(poses, max_gap_s=0.5)
        port = free_udp_port()
        stream = VideoStream(f"udp://127.0.0.1:{port}", r.camera.camera,
                             latency_s=CAMERA_LATENCY_S + STREAM_DELAY_S)
        recorder = FindingRecorder(store, store.add_mission("watch", "video", launched_by="t",
                                                            reason="t").id)
        stop = threading.Event()
        with stream:
            sender, _ = start_sending(port, frames, FPS, start_s=exposed_s + CAMERA_LATENCY_S)
            threading.Thread(target=lambda: (sender.join(), time.sleep(0.5), stop.set()),
                             daemon=True).start()
            report = watch_video(stream, telemetry.at, r.terrain, recorder, stop=stop)
    people = [f for f in recorder.findings.values() if f.kind is FindingKind.PERSON]
    assert people, report
    assert min(r.distance_m(f.lat_deg, f.lon_deg) for f in people) <= 3.0
    s = report.stream
    assert report.analysed >= 3 and s.dropped >= 1  # the detector could not take them all
    assert report.analysed + sum(n for _, n in report.skipped) == s.taken
    assert s.taken + s.dropped >= s.decoded >= 11
    assert report.max_behind_s < 1.2  # never behind: the newest frame, once the detector is free


def test_a_search_shot_takes_the_frame_captured_at_its_time():
    port = free_udp_port()
    frames = [np.full((128, 160), 20 + 5 * i, np.uint8) for i in range(40)]  # frame i: level
    camera = VideoCamera(VideoStream(f"udp://127.0.0.1:{port}", camera_preset("dji-m30t")),
                         wait_s=0.5)
    try:
        sender, sent = start_sending(port, frames, 20, start_s=time.time() + 0.3)
        camera.stream.newest(5.0)  # the stream is up
        time.sleep(0.6)
        shot_s = time.time() - 0.2  # CAMERA_FEEDBACK arrives; its frame is in the record
        frame = camera(None, shot_s)
        assert abs(frame.time_unix_s - shot_s) <= 0.06 and frame.pose is None
        level = int(np.median(frame.pixels))
        i = round((level - 20) / 5)
        assert abs(sent[i] - shot_s) < 0.3  # the frame sent at about the shot's time
        sender.join()
        assert camera.frames_between(shot_s - 0.5, shot_s + 0.5)
    finally:
        camera.close()
    dead = VideoCamera(VideoStream(f"udp://127.0.0.1:{free_udp_port()}",
                                   camera_preset("dji-m30t"), open_timeout_s=1.0), wait_s=0.2)
    with pytest.raises(FrameError, match=r"udp://127\.0\.0\.1"):  # a skipped shot, counted
        dead(None, time.time())
    dead.close()


def test_camera_takes_stream_urls_and_video_files(tmp_path):
    clip = tmp_path / "flight.mp4"
    clip.write_bytes(b"")
    for value in ("rtsp://192.168.144.25:8554/main.264", "udp://0.0.0.0:5600",
                  f"{clip}#latency=0.25", "sim", str(tmp_path)):
        assert camera_choice(value) == value
    assert parse_camera("udp://0.0.0.0:5600#latency=0.25") == ("udp://0.0.0.0:5600", 0.25)
    for value, why in ((str(tmp_path / "gone.mp4"), "no such video file"),
                       ("udp://0.0.0.0:5600#latency=-1", "latency=SECONDS"),
                       ("notes.txt", "neither 'sim'")):
        with pytest.raises(typer.BadParameter, match=why):
            camera_choice(value)
