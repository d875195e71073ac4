"""Shots the link lost, found again in the camera's own record and posed from telemetry.

Why: on a link that loses a fifth of its packets each way, a fifth of the
CAMERA_FEEDBACK messages never arrive, and counting those shots as lost left 17 % of
a search area unseen (83 % against 99 % on a clean link). The camera took those
pictures all the same: a camera folder or a buffered stream still holds them. The
feedback that did arrive on either side of a gap in the image index brackets when the
lost shots were taken, and the trigger fires every so many metres, so evenly in time
along a survey leg: the unseen frame nearest each estimated time is that shot's
frame. Its pose is the telemetry at *its own* capture time (GLOBAL_POSITION_INT
interpolated across short gaps only), never the pose of the shot that did arrive. A
shot with no frame in the record, or whose frame falls in a telemetry gap, stays lost
and is counted with that reason.

The same late look serves a shot whose feedback arrived before the camera had written
its file (the folder's newest frame was still the previous one): it is looked up
again once the camera has had time to write.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from dronewatch.geo import CameraPose
from dronewatch.ops.feed import FrameArchive
from dronewatch.thermal import Frame
from dronewatch.thermal.posetrack import PoseSample, PoseTrack

__all__ = ["Found", "LostShot", "Recovery", "Unfound", "frame_key"]


@dataclass(frozen=True, slots=True)
class LostShot:
    """A shot whose frame is still to be found: when it was taken (about), how close a
    frame's capture time must be, and when to look (the camera writes a bit late)."""

    index: int
    estimated_unix_s: float
    tolerance_s: float
    due_unix_s: float
    lost_on_link: bool  # False: its feedback came, its frame had not yet
    feedback_pose: CameraPose | None = None  # the shot's own pose, when its feedback came

    def __post_init__(self) -> None:
        if not self.tolerance_s > 0:
            raise ValueError(f"shot {self.index}: tolerance_s must be positive")


@dataclass(frozen=True, slots=True)
class Found:
    """A lost shot's frame, with the pose it was taken from."""

    shot: LostShot
    frame: Frame


@dataclass(frozen=True, slots=True)
class Unfound:
    """A lost shot that stays lost: ``kind`` for counting, ``text`` for the operator."""

    shot: LostShot
    kind: str
    text: str


@dataclass
class Recovery:
    """Lost shots waiting to be looked up, and the telemetry to pose what is found.

    Parameters
    ----------
    archive
        The camera's record; None when the source keeps none (e.g. a renderer), and
        then every lost shot is unfound at once.
    settle_s
        Wall seconds a camera may take to write a frame after it was captured.
    max_pose_gap_s
        Longest telemetry gap (wall seconds) a pose is interpolated across.
    pose_match_s
        A frame captured this close to its shot's feedback takes the feedback's pose.
    """

    archive: FrameArchive | None
    settle_s: float = 1.0
    max_pose_gap_s: float = 0.5
    pose_match_s: float = 0.05
    pending: list[LostShot] = field(default_factory=list)
    recovered: int = 0  # shots lost on the link whose frame was found
    _track: PoseTrack | None = None
    _last_pose_s: float = -math.inf

    @property
    def track(self) -> PoseTrack:
        if self._track is None:
            self._track = PoseTrack(max_gap_s=self.max_pose_gap_s)
        return self._track

    def add_pose(self, time_unix_s: float, pose: CameraPose) -> None:
        """One telemetry position; out-of-order samples (a late packet) are left out."""
        if time_unix_s <= self._last_pose_s:
            return
        self._last_pose_s = time_unix_s
        self.track.append(PoseSample(time_unix_s, pose))

    def lose(self, first_index: int, last_index: int, after_unix_s: float,
             before_unix_s: float) -> list[LostShot]:
        """Shots ``first..last`` were taken between two shots that arrived; spread evenly."""
        count = last_index - first_index + 1
        span_s = max(before_unix_s - after_unix_s, 1e-3)
        step_s = span_s / (count + 1)
        shots = [LostShot(first_index + j, after_unix_s + (j + 1) * step_s, step_s / 2,
                          before_unix_s + self.settle_s, lost_on_link=True)
                 for j in range(count)]
        self.pending.extend(shots)
        return shots

    def defer(self, index: int, shot_unix_s: float, tolerance_s: float,
              pose: CameraPose) -> LostShot:
        """A shot that came before its frame did: look again once it may be written."""
        shot = LostShot(index, shot_unix_s, tolerance_s, shot_unix_s + self.settle_s,
                        lost_on_link=False, feedback_pose=pose)
        self.pending.append(shot)
        return shot

    def due(self, now_unix_s: float, seen: set[str]) -> list[Found | Unfound]:
        """Look up every pending shot whose time has come, oldest first.

        ``seen`` names the frames already analysed (their sources); a frame found here
        is added to it, so no frame serves two shots.
        """
        ready = sorted((s for s in self.pending if s.due_unix_s <= now_unix_s),
                       key=lambda s: s.estimated_unix_s)
        if not ready:
            return []
        self.pending = [s for s in self.pending if s.due_unix_s > now_unix_s]
        return [self._look_up(shot, seen) for shot in ready]

    def look_up_now(self, shot: LostShot, seen: set[str]) -> Found | None:
        """The shot's frame if the record holds it already (then it waits no more)."""
        outcome = self._look_up(shot, seen)
        if isinstance(outcome, Unfound):
            return None
        self.pending.remove(shot)
        return outcome

    def next_due_unix_s(self) -> float:
        return min((s.due_unix_s for s in self.pending), default=math.inf)

    def _look_up(self, shot: LostShot, seen: set[str]) -> Found | Unfound:
        if self.archive is None:
            return Unfound(shot, "lost on the link", f"image {shot.index}: the camera "
                           "source keeps no frames to look it up in")
        frames = [f for f in self.archive.frames_between(
            shot.estimated_unix_s - shot.tolerance_s, shot.estimated_unix_s + shot.tolerance_s)
            if frame_key(f) not in seen]
        if not frames:
            kind = "lost, no frame" if shot.lost_on_link else "no frame in time"
            return Unfound(shot, kind, f"image {shot.index}: no frame captured within "
                           f"{shot.tolerance_s:.2f} s of its time in the camera's record")
        frame = min(frames, key=lambda f: abs(f.time_unix_s - shot.estimated_unix_s))
        if frame.pose is None:
            pose = self._pose_at(frame.time_unix_s, shot)
            if pose is None:
                return Unfound(shot, "lost, no pose", f"image {shot.index}: its frame "
                               f"({frame.source or 'from the stream'}) was taken in a "
                               "telemetry gap")
            frame = frame.with_pose(pose)
        seen.add(frame_key(frame))
        if shot.lost_on_link:
            self.recovered += 1
        return Found(shot, frame)

    def _pose_at(self, time_unix_s: float, shot: LostShot) -> CameraPose | None:
        if (shot.feedback_pose is not None
                and abs(time_unix_s - shot.estimated_unix_s) <= self.pose_match_s):
            return shot.feedback_pose
        return self.track.at(time_unix_s)

    def pose_at(self, time_unix_s: float) -> CameraPose | None:
        """The telemetry pose at a time, or None in a gap or outside the track."""
        return self.track.at(time_unix_s)


def frame_key(frame: Frame) -> str:
    """A frame's identity in the record: its file (or stream) and capture time (a
    renderer or a stream names every frame alike)."""
    return f"{frame.source}@{frame.time_unix_s!r}"
