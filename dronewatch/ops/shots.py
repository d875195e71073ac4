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

When the camera source keeps a record (a folder, a buffered stream: a
:class:`~dronewatch.ops.feed.FrameArchive`), a lost shot is looked up there instead
(:mod:`dronewatch.ops.lostshots`): its frame, posed by the telemetry at its own capture
time, is analysed like any other, and only a shot with no frame or no pose stays lost.
A frame from such a record is this shot's only if it was captured at the shot's time
(within half the spacing of the shots); an older one is some other shot's, so the
shot is looked up again once the camera has had time to write.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from dronewatch.geo import Footprint, Terrain, footprint
from dronewatch.link import CameraShot, PositionFix, Vehicle
from dronewatch.ops.analysis import Analysis, Dropped, Failed, InProcessAnalysis
from dronewatch.ops.faults import Fault, FaultClass, SafeAction
from dronewatch.ops.feed import (
    DetectionTap,
    FrameArchive,
    FrameSource,
    pose_from_feedback,
    pose_from_position,
)
from dronewatch.ops.lostshots import Found, Recovery, Unfound, frame_key
from dronewatch.ops.record import Announcement, AnnouncementKind, FindingRecorder
from dronewatch.store import Finding
from dronewatch.thermal import Detection, Frame, FrameError

__all__ = ["ShotHandler", "ShotResult", "Skip"]


@dataclass(frozen=True, slots=True)
class Skip:
    """Why a shot was not analysed: a short ``kind`` for counting and the full text."""

    kind: str  # "stale", "repeated", "no frame", "detection", "lost on the link", ...
    text: str


@dataclass(frozen=True, slots=True)
class ShotResult:
    """What one shot brought: new or newly alarming findings, or why it was skipped."""

    findings: tuple[Finding, ...] = ()
    skip: Skip | None = None
    blind: Fault | None = None  # set once, on the shot that made the camera "blind"

    def __add__(self, other: ShotResult) -> ShotResult:
        return ShotResult(self.findings + other.findings, self.skip or other.skip,
                          self.blind or other.blind)


@dataclass
class ShotHandler:
    """Turns CAMERA_FEEDBACK shots into analysed frames and stored findings.

    ``recover`` looks lost shots up in the camera's record when it keeps one;
    ``settle_s`` is how long (wall) a camera may take to write a frame, and
    ``pose_gap_vehicle_s`` the longest telemetry gap (vehicle seconds) a pose is
    interpolated across.
    """

    vehicle: Vehicle
    camera: FrameSource
    terrain: Terrain
    recorder: FindingRecorder
    announce: Callable[[Announcement], None]
    max_frame_age_s: float = 1.0
    blind_after: int = 5
    blind_action: SafeAction = SafeAction.RTL
    clock: Callable[[], float] = time.time
    recover: bool = True
    settle_s: float = 1.0
    pose_gap_vehicle_s: float = 2.0
    analysis: Analysis | None = None  # where frames are analysed; None: in this process
    analysis_wait_s: float = 30.0  # wall seconds finish() waits for frames in analysis
    analysed: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    covered: list[Footprint] = field(default_factory=list)
    _seen: set[bytes] = field(default_factory=set)
    _taken: set[str] = field(default_factory=set)
    _last_index: int | None = None
    _last_shot_s: float | None = None
    _spacing_s: float | None = None
    _failed_in_row: int = 0
    _blind: bool = False
    _recovery: Recovery = field(init=False)

    def __post_init__(self) -> None:
        archive = self.camera if self.recover and isinstance(self.camera, FrameArchive) \
            else None
        self._recovery = Recovery(archive, settle_s=self.settle_s)
        if self.analysis is None:
            self.analysis = InProcessAnalysis(self.terrain)

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    @property
    def recovered(self) -> int:
        """Shots lost on the link whose frame was found in the camera's record."""
        return self._recovery.recovered

    @property
    def waiting(self) -> bool:
        """Shots are still to be looked up in the camera's record."""
        return bool(self._recovery.pending)

    def _unix(self, msg: CameraShot | PositionFix) -> float:
        """When a shot or fix arrived (not when it is looked at: they queue while a
        frame is analysed), on the wall clock."""
        received_s = msg.received_s
        return self.clock() - (time.monotonic() - received_s if received_s else 0.0)

    def on_position(self, fix: PositionFix) -> None:
        """A position fix: kept to pose frames found for lost shots."""
        recovery = self._recovery
        if recovery.archive is None:
            return
        if not len(recovery.track):  # the speed-up is known once telemetry flows
            speedup = max(self.vehicle.speedup, 1.0)
            recovery.max_pose_gap_s = self.pose_gap_vehicle_s / speedup
            recovery.pose_match_s = 0.1 / speedup
        recovery.add_pose(self._unix(fix), pose_from_position(fix, self.vehicle.state))

    def __call__(self, shot: CameraShot) -> ShotResult:
        when = self._unix(shot)
        index = shot.image_index
        own = self._tolerance_s()
        self._note_index(index, when)
        pose = pose_from_feedback(shot, self.vehicle.state)
        archive = self._recovery.archive is not None
        try:
            frame = self.camera(pose, when)
            problem = self._check(frame, when, archive=archive)
        except FrameError as exc:
            frame, problem = None, Skip("no frame", f"no usable frame: {exc}")
        if archive and (problem is None or problem.kind in ("repeated", "no frame")):
            # the camera is alive: this shot's frame is the one captured at its time
            # (the newest may be a later shot's while frames queue here)
            deferred = self._recovery.defer(index, when, own, pose)
            found = self._recovery.look_up_now(deferred, self._taken)
            result = self._analyse(found.frame) if found is not None else ShotResult()
            return result + self.poll()
        if problem is not None:
            return self._skip(problem) + self.poll()
        assert frame is not None
        self._seen.add(_digest(frame))
        if frame.pose is None:  # recent, so the shot's pose is the pose at capture time
            frame = frame.with_pose(pose)
        return self._analyse(frame) + self.poll()

    def poll(self, *, final: bool = False) -> ShotResult:
        """Look up the lost shots whose time has come (all of them when ``final``), and
        take what the analysis has finished."""
        result = self._collect()
        if not self._recovery.pending:
            return result
        now = float("inf") if final else self.clock()
        for outcome in self._recovery.due(now, self._taken):
            if isinstance(outcome, Found):
                result = result + self._analyse(outcome.frame)
            else:
                result = result + self._lost(outcome)
        return result

    def finish(self) -> ShotResult:
        """The end of the flight: give the camera its time to write (``settle_s`` at
        most), look up every shot still waiting, and wait ``analysis_wait_s`` at most
        for the frames still being analysed (those not back by then are counted)."""
        if self._recovery.pending:
            last_due_s = max(s.due_unix_s for s in self._recovery.pending)
            time.sleep(min(max(last_due_s - self.clock(), 0.0), self.settle_s))
        result = self.poll(final=True) + self._collect(self.analysis_wait_s)
        unfinished = self.analysis.pending
        if unfinished:
            self.skipped["analysis unfinished"] += unfinished
            self.analysis.close()
        return result

    def _analyse(self, frame: Frame) -> ShotResult:
        self._taken.add(frame_key(frame))
        self._seen.add(_digest(frame))
        self.analysis.submit(frame)  # in process: analysed now; on a cluster: later
        return self._collect()

    def _collect(self, wait_s: float = 0.0) -> ShotResult:
        """What the analysis has finished: findings, failures, frames it dropped."""
        result = ShotResult()
        for outcome in self.analysis.collect(wait_s):
            if isinstance(outcome, Dropped):  # the camera is fine: no row of failures
                self.skipped[outcome.reason] += 1
                skip = Skip(outcome.reason, f"{outcome.reason}: the oldest frame waiting "
                            "for analysis was dropped for a newer one")
                self.announce(Announcement(AnnouncementKind.WARNING,
                                           f"shot skipped: {skip.text}"))
                result = result + ShotResult(skip=skip)
            elif isinstance(outcome, Failed):  # one frame lost, by the policy
                result = result + self._skip(Skip("detection",
                                                  f"detection failed: {outcome.reason}"))
            else:
                result = result + self._found(outcome.frame, list(outcome.detections))
        return result

    def _found(self, frame: Frame, detections: list[Detection]) -> ShotResult:
        if isinstance(self.camera, DetectionTap):  # the console's live camera panel
            self.camera.saw(frame, detections)
        self.analysed += 1
        self._failed_in_row = 0
        self._blind = False
        assert frame.pose is not None
        self.covered.append(footprint(self.terrain, frame.camera, frame.pose,
                                      samples_per_edge=2))
        return ShotResult(tuple(self.recorder.add(frame, detections)))

    def _lost(self, unfound: Unfound) -> ShotResult:
        if unfound.shot.lost_on_link:
            self.skipped[unfound.kind] += 1  # no row of failures: the link lost it
            self.announce(Announcement(AnnouncementKind.WARNING, f"shot lost: {unfound.text}"))
            return ShotResult(skip=Skip(unfound.kind, unfound.text))
        return self._skip(Skip(unfound.kind, unfound.text))

    def _tolerance_s(self) -> float:
        """How far a frame's capture time may be from its shot's: half the spacing of
        the shots, never more than the frame age allowed."""
        if self._spacing_s is None:
            return self.max_frame_age_s
        return min(max(self._spacing_s / 2, 0.01), self.max_frame_age_s)

    def _check(self, frame: Frame, shot_unix_s: float, *, archive: bool) -> Skip | None:
        age_s = shot_unix_s - frame.time_unix_s
        if age_s > self.max_frame_age_s:
            return Skip("stale", f"camera silent for {age_s:.0f} s (newest frame "
                        f"{frame.source or 'from the camera'} is older than the shot)")
        if age_s < -self.max_frame_age_s and not archive:  # (a record has later shots)
            return Skip("stale", f"frame stamped {-age_s:.0f} s after the shot: "
                        "camera clock wrong?")
        if _digest(frame) in self._seen or frame_key(frame) in self._taken:
            return Skip("repeated", "the same frame as an earlier shot")
        return None

    def _note_index(self, index: int, when: float) -> None:
        last, last_s = self._last_index, self._last_shot_s
        if last is not None and last_s is not None and index > last:
            self._spacing_s = (when - last_s) / (index - last)
        if last is not None and index > last + 1:
            lost = index - last - 1
            if self._recovery.archive is not None and last_s is not None:
                self._recovery.lose(last + 1, index - 1, last_s, when)
                self.announce(Announcement(
                    AnnouncementKind.WARNING,
                    f"{lost} camera shot(s) lost on the "
                    f"link (image {last + 1}..{index - 1}): looking "
                    "them up in the camera's record"))
            else:
                self.skipped["lost on the link"] += lost
                self.announce(Announcement(
                    AnnouncementKind.WARNING,
                    f"{lost} camera shot(s) lost on the "
                    f"link (image {last + 1}..{index - 1})"))
        if last is None or index > last:
            self._last_index, self._last_shot_s = index, when

    def _skip(self, skip: Skip) -> ShotResult:
        self.skipped[skip.kind] += 1
        self._failed_in_row += 1
        self.announce(Announcement(AnnouncementKind.WARNING, f"shot skipped: {skip.text}"))
        if self._failed_in_row >= self.blind_after and not self._blind:
            self._blind = True
            fault = Fault(FaultClass.CAMERA_BLIND, self.blind_action,
                          f"{self._failed_in_row} shots in a row not analysed ({skip.text})")
            return ShotResult(skip=skip, blind=fault)
        return ShotResult(skip=skip)


def _digest(frame: Frame) -> bytes:
    return hashlib.blake2b(frame.pixels.tobytes(), digest_size=16).digest()
