"""Shots lost on the link, looked up in a real camera folder and posed from telemetry."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from dronewatch.geo import Attitude, CameraPose, GimbalAttitude, LocalFrame
from dronewatch.ops.feed import directory_source
from dronewatch.ops.lostshots import Found, Recovery, Unfound
from dronewatch.thermal import write_frame
from tests.ops.rehearsal import rehearsal

SPEED_MPS = 10.0  # flying north along a survey leg


@pytest.fixture(scope="module")
def leg():
    """A frame renderer and the true pose of the drone at any time on a northward leg."""
    with rehearsal() as r:
        start = r.person
        frame = LocalFrame(*start)
        t0 = time.time() - 100.0

        def pose_at(t: float) -> CameraPose:
            lat, lon = frame.to_wgs84(0.0, (t - t0) * SPEED_MPS - 60.0)
            return CameraPose(float(lat), float(lon),
                              r.terrain.elevation_at(*start) + 60.0, Attitude(0.0, 0.0, 0.0),
                              GimbalAttitude(-90.0, 0.0, 0.0))

        yield r, t0, pose_at


def _shoot(r, folder, index: int, when: float, pose: CameraPose) -> None:
    """The camera writes its shot with its capture time and no pose (a Boson core)."""
    write_frame(replace(r.camera.render(pose, when), pose=None), folder / f"IR_{index:05d}.tiff")


def _telemetry(recovery: Recovery, pose_at, start: float, end: float, every_s: float,
               gap: tuple[float, float] | None = None) -> None:
    t = start
    while t <= end:
        if gap is None or not gap[0] < t < gap[1]:
            recovery.add_pose(t, pose_at(t))
        t += every_s


def test_a_lost_shot_is_found_in_the_folder_and_posed_from_telemetry_at_its_capture_time(
        leg, tmp_path):
    r, t0, pose_at = leg
    shots = [t0 + 2.0 * k for k in range(5)]  # a shot every 20 m; 1..3 lost on the link
    for k, when in enumerate(shots):
        _shoot(r, tmp_path, k, when, pose_at(when))
    recovery = Recovery(directory_source(tmp_path), settle_s=0.5, max_pose_gap_s=1.5)
    _telemetry(recovery, pose_at, t0 - 1, t0 + 10, 0.25)
    recovery.lose(1, 3, shots[0], shots[4])
    assert recovery.due(shots[4], set()) == []  # the camera may still be writing
    outcomes = recovery.due(shots[4] + 0.5, {str(tmp_path / "IR_00000.tiff")})
    assert [type(o) for o in outcomes] == [Found, Found, Found]
    for k, found in zip((1, 2, 3), outcomes, strict=True):
        assert isinstance(found, Found) and found.shot.index == k
        assert found.frame.source.endswith(f"IR_{k:05d}.tiff")
        truth = pose_at(shots[k])  # the pose at its own capture time, not at shot 4's
        north_m = LocalFrame(truth.lat_deg, truth.lon_deg).to_local(found.frame.pose.lat_deg,
                                                                   found.frame.pose.lon_deg)[1]
        assert abs(float(north_m)) < 0.5
    assert recovery.recovered == 3 and recovery.pending == []


def test_a_lost_shot_without_frame_or_pose_stays_lost_with_its_reason(leg, tmp_path):
    r, t0, pose_at = leg
    shots = [t0 + 2.0 * k for k in range(5)]
    for k in (0, 2, 4):  # shot 1 never reached the folder (card full, cable...)
        _shoot(r, tmp_path, k, shots[k], pose_at(shots[k]))
    recovery = Recovery(directory_source(tmp_path), settle_s=0.5, max_pose_gap_s=1.0)
    _telemetry(recovery, pose_at, t0 - 1, t0 + 10, 0.25, gap=(shots[2] - 1.5, shots[2] + 1.5))
    recovery.lose(1, 3, shots[0], shots[4])
    outcomes = {o.shot.index: o for o in recovery.due(shots[4] + 1.0, set())}
    assert isinstance(outcomes[1], Unfound) and outcomes[1].kind == "lost, no frame"
    assert isinstance(outcomes[2], Unfound) and outcomes[2].kind == "lost, no pose"
    assert isinstance(outcomes[3], Unfound) and outcomes[3].kind == "lost, no frame"
    assert recovery.recovered == 0


def test_a_source_that_keeps_no_frames_counts_lost_shots_as_lost(leg):
    _, t0, _ = leg
    recovery = Recovery(None)
    recovery.lose(7, 8, t0, t0 + 3.0)
    outcomes = recovery.due(t0 + 10.0, set())
    assert [(o.shot.index, o.kind) for o in outcomes if isinstance(o, Unfound)] == [
        (7, "lost on the link"), (8, "lost on the link")]


def test_frames_of_one_source_are_told_apart_by_their_capture_time(leg):
    """A renderer or a stream names every frame alike: each is still its own frame."""
    from dronewatch.ops.lostshots import frame_key

    r, t0, pose_at = leg
    first, second = (r.camera.render(pose_at(t), t) for t in (t0, t0 + 0.5))
    assert first.source == second.source and frame_key(first) != frame_key(second)
