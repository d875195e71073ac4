"""Each camera shot of a flight: is the frame fit to analyse, and what does it show.

Why a gate before detection: a camera that stops writing leaves its last frame in
the folder, and taking that frame again at every shot with the drone's current pose
once turned one old picture into 263 PERSON alarms. A frame is analysed only if it
is new (never seen before), recent (captured within ``max_frame_age_s`` of the shot)
and posed (its own pose, or the shot's pose, which is the telemetry at its capture
time because it is recent). Every shot that is not analysed is counted with its
reason, including shots whose CAMERA_FEEDBACK was lost on the link (gaps in the
image index); after ``blind_after`` failed shots in a row the camera is "blind" and
the fault policy applies.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dronewatch.geo import Footprint, Terrain, footprint
from dronewatch.link import Vehicle
from dronewatch.ops.faults import Fault, FaultClass, SafeAction
from dronewatch.ops.feed import FrameSource, pose_from_feedback
from dronewatch.ops.record import Announcement, FindingRecorder
from dronewatch.store import Finding
from dronewatch.thermal import Frame, FrameError, detect

__all__ = ["ShotHandler", "ShotResult", "Skip"]


@dataclass(frozen=True, slots=True)
class Skip:
    """Why a shot was not analysed: a short ``kind`` for counting and the full text."""

    kind: str  # "stale", "repeated", "no frame", "detection", "lost on the link"
    text: str


@dataclass(frozen=True, slots=True)
class ShotResult:
    """What one shot brought: new or newly alarming findings, or why it was skipped."""

    findings: tuple[Finding, ...] = ()
    skip: Skip | None = None
    blind: Fault | None = None  # set once, on the shot that made the camera "blind"


@dataclass
class ShotHandler:
    """Turns CAMERA_FEEDBACK shots into analysed frames and stored findings."""

    vehicle: Vehicle
    camera: FrameSource
    terrain: Terrain
    recorder: FindingRecorder
    announce: Callable[[Announcement], None]
    max_frame_age_s: float = 1.0
    blind_after: int = 5
    blind_action: SafeAction = SafeAction.RTL
    clock: Callable[[], float] = time.time
    analysed: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    covered: list[Footprint] = field(default_factory=list)
    _seen: set[bytes] = field(default_factory=set)
    _last_index: int | None = None
    _failed_in_row: int = 0
    _blind: bool = False

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def __call__(self, msg: Any) -> ShotResult:
        self._count_lost(int(msg["img_idx"]))
        # the shot's time is when its CAMERA_FEEDBACK arrived, not when it is looked at
        # (shots queue while a frame is analysed)
        received_s = getattr(msg, "received_s", None)
        when = self.clock() - (time.monotonic() - received_s if received_s else 0.0)
        pose = pose_from_feedback(msg, self.vehicle.state)
        try:
            frame = self.camera(pose, when)
        except FrameError as exc:
            return self._skip(Skip("no frame", f"no usable frame: {exc}"))
        problem = self._check(frame, when)
        if problem is not None:
            return self._skip(problem)
        if frame.pose is None:  # recent, so the shot's pose is the pose at capture time
            frame = frame.with_pose(pose)
        try:
            detections = detect(frame, self.terrain)
        except Exception as exc:  # one frame lost, by the policy
            return self._skip(Skip("detection", f"detection failed: {type(exc).__name__}: "
                                   f"{exc}"))
        self.analysed += 1
        self._failed_in_row = 0
        self._blind = False
        self.covered.append(footprint(self.terrain, frame.camera, frame.pose,
                                      samples_per_edge=2))
        return ShotResult(tuple(self.recorder.add(frame, detections)))

    def _check(self, frame: Frame, shot_unix_s: float) -> Skip | None:
        age_s = shot_unix_s - frame.time_unix_s
        if age_s > self.max_frame_age_s:
            return Skip("stale", f"camera silent for {age_s:.0f} s (newest frame "
                        f"{frame.source or 'from the camera'} is older than the shot)")
        if age_s < -self.max_frame_age_s:
            return Skip("stale", f"frame stamped {-age_s:.0f} s after the shot: "
                        "camera clock wrong?")
        key = hashlib.blake2b(frame.pixels.tobytes(), digest_size=16).digest()
        if key in self._seen:
            return Skip("repeated", "the same frame as an earlier shot")
        self._seen.add(key)
        return None

    def _count_lost(self, index: int) -> None:
        if self._last_index is not None and index > self._last_index + 1:
            lost = index - self._last_index - 1
            self.skipped["lost on the link"] += lost
            self.announce(Announcement("warning", f"{lost} camera shot(s) lost on the link "
                                       f"(image {self._last_index + 1}..{index - 1})"))
        if self._last_index is None or index > self._last_index:
            self._last_index = index

    def _skip(self, skip: Skip) -> ShotResult:
        self.skipped[skip.kind] += 1
        self._failed_in_row += 1
        self.announce(Announcement("warning", f"shot skipped: {skip.text}"))
        if self._failed_in_row >= self.blind_after and not self._blind:
            self._blind = True
            fault = Fault(FaultClass.CAMERA_BLIND, self.blind_action,
                          f"{self._failed_in_row} shots in a row not analysed ({skip.text})")
            return ShotResult(skip=skip, blind=fault)
        return ShotResult(skip=skip)
