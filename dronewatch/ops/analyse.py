"""Post-flight analysis: frames and the flight's log, turned into a stored, mapped mission.

Why: many flights are flown by hand, or by a drone that is not ours, and looked at once
they have landed. The frames then get their poses from the autopilot's log and go
through exactly what a live search does with a shot: the same detector, the same
fuser and recorder (findings stored, alarms raised, thumbnails kept), the same map,
so a flight analysed afterwards finds what it would have found live.

How a frame gets its pose, in this order:

1. its own (a sidecar's, or a radiometric JPEG's GPS/gimbal metadata);
2. the camera shot the autopilot logged for it (CAMERA_FEEDBACK, DataFlash CAM/TRIG,
   PX4 camera_capture or camera_trigger), its pose the autopilot's: frames and shots
   are paired one to one, in order, within ``match_within_s`` (``shotpairs``);
3. the logged track at the frame's time.

A recorded video (a DJI thermal clip, its ``.SRT`` subtitles beside it) gives a frame every
``clip_every_s`` seconds of video, posed from its subtitles (``thermal.sources.clip``);
without gimbal angles in them, from the log like any other frame.

Frame times are put on the log's clock by ``clock_offset_s`` (stated, never guessed). A
frame in a stretch of the log with no position for longer than ``max_gap_s`` gets no
pose: it is skipped and counted, and the gap is reported, never interpolated across.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path

from dronewatch.geo import CameraModel, CameraPose, Terrain
from dronewatch.link.logs import FlightLog, LoggedShot, read_flight_log
from dronewatch.map import mission_map, save_map
from dronewatch.map.mission import STATION_ZONE
from dronewatch.ops.flightloop import Track
from dronewatch.ops.frameclock import in_zone, read_in, zone_of_zoneless
from dronewatch.ops.record import Announcement, AnnouncementKind, FindingRecorder
from dronewatch.ops.shotpairs import pair_shots
from dronewatch.store import Finding, FindingKind, MissionKind, Store
from dronewatch.thermal import (
    Frame,
    FrameError,
    FrameTally,
    PoseSample,
    PoseTrack,
    default_detector,
    detect,
    read_frame,
    read_frames,
)
from dronewatch.thermal.laserrange import ranged_pose
from dronewatch.thermal.learned import BoxDetector
from dronewatch.thermal.sources.clip import ClipError, ClipReader, ClipShot, clip_shots, is_clip
from dronewatch.zones import ZoneSet

__all__ = ["AnalysisOptions", "AnalysisReport", "analyse_flight"]

#: the drone's own laser spot and ours differ by its rounding and lever arms only
LASER_SPOT_TOLERANCE_M = 5.0
NO_LOG = "none"  # the log kind of an analysis without a log: every frame on its own pose


@dataclass(frozen=True, slots=True)
class AnalysisOptions:
    """How frames are matched to the log."""

    clock_offset_s: float = 0.0  # added to a frame's capture time to put it on the log's clock
    match_within_s: float = 1.0  # a frame and a logged shot this close in time are one shot
    max_gap_s: float = 2.0  # no logged position for longer than this around a frame: no pose
    camera: CameraModel | None = None  # for frame files that name no camera, and videos
    clip_every_s: float = 0.5  # a video: one frame looked at every this many seconds
    detector_threads: int = 0  # 0: every core (the drone is down; in flight it gets one)
    launched_by: str = "duty officer"
    vehicle_name: str = ""  # default: the log's file name
    log_system: int | None = None  # a .tlog's vehicle (system id); default: most positions
    #: the station's: the map's popups (UTC beside), and the zone of frames stamped in
    #: wall-clock time without one (DJI's EXIF times) unless UTC fits the log better
    time_zone: tzinfo = STATION_ZONE


@dataclass(frozen=True, slots=True)
class AnalysisReport:
    """What an analysis found, and how every frame was (or was not) placed."""

    mission_id: int
    flight_id: int
    findings: tuple[Finding, ...]
    map_path: Path
    log_path: Path | None  # None: analysed without a log, each frame on its own pose
    log_kind: str  # "tlog", "dataflash", "ulog"; "none" without a log
    log_clock: str  # "unix" or "boot"; "" without a log
    shot_source: str  # the logged shot events used, "" when the log has none
    frames: int  # frames analysed
    #: ("own pose" | "logged shot" | "log time", count); "..., height from its laser" when
    #: the frame's laser range set the camera's height (see ``thermal.laserrange``)
    posed_by: tuple[tuple[str, int], ...]
    skipped: tuple[tuple[str, int], ...]  # (reason, count) of the frames not analysed
    gaps: tuple[tuple[float, float], ...]  # (start, end) of the log's gaps, log clock
    shots_logged: int
    shots_without_frame: int
    #: (finding id, frame) of each finding's clearest view: a file, or "video@12.300s"
    best_views: tuple[tuple[int, str], ...] = ()

    @property
    def frames_skipped(self) -> int:
        return sum(n for _, n in self.skipped)


@dataclass(frozen=True)
class _Matcher:
    """Poses frames from their paired shots, else from the track (no log: their own)."""

    log: FlightLog
    options: AnalysisOptions
    track: PoseTrack
    shot_of: dict[str, LoggedShot]  # frame file -> its logged shot
    frame_zone: tzinfo  # for frames stamped in wall-clock time of no zone (frameclock)

    def pose(self, frame: Frame) -> tuple[CameraPose | None, str]:
        """(pose, how it was found) or (None, why there is none)."""
        time_s = frame.time_unix_s + self.options.clock_offset_s
        shot = self.shot_of.get(frame.source)
        if frame.pose is not None:
            return frame.pose, "own pose"
        if self.log.kind == NO_LOG:
            return None, "no pose of its own, and no log"
        if shot is not None:
            pose = shot.pose or self.track.at(shot.time_s)
            if pose is not None:
                return pose, "logged shot"
            time_s = shot.time_s
        pose = self.track.at(time_s)
        if pose is not None:
            return pose, "log time"
        if self.log.start_s - self.options.max_gap_s <= time_s <= \
                self.log.end_s + self.options.max_gap_s:
            return None, "in a gap of the log"
        return None, "outside the log's time"


def _clips_and_frames(paths: Sequence[Path]) -> tuple[list[Path], list[Path]]:
    """The videos among the inputs and in their folders; and the rest, whose folders
    ``read_frames`` lists itself (it reads no video)."""
    clips = [entry for path in paths
             for entry in (sorted(path.iterdir()) if path.is_dir() else [path])
             if is_clip(entry)]
    return clips, [path for path in paths if path.is_dir() or not is_clip(path)]


def _clip_frames(clips: Sequence[Path], tally: FrameTally, options: AnalysisOptions,
                 log: FlightLog, warn: Callable[[str], None]) -> dict[str, ClipShot]:
    """The frames chosen from each video, by name; a video that cannot be read is
    skipped and counted as one frame file is."""
    if clips and options.camera is None:
        raise ClipError(clips[0], "no camera: a video names none; give its camera "
                                  "(--camera-model, e.g. dji-m30t)")
    shots: dict[str, ClipShot] = {}
    for path in clips:
        try:
            found = clip_shots(path, options.clip_every_s)
        except ClipError as exc:
            tally.skipped.append(FrameError(path, exc.reason))
            continue
        if found.subtitles_note:
            warn(f"{path}: {found.subtitles_note}: its frames have no pose of their own"
                 + ("" if log.kind == NO_LOG else ", they are placed from the log"))
        elif found.telemetry is not None and not found.telemetry.with_pose:
            warn(f"{found.telemetry.path}: no gimbal angles or absolute altitude in its "
                 "subtitles: its frames have no pose of their own")
        tally.read += len(found.shots)
        shots.update((shot.source, shot) for shot in found.shots)
    return shots


def _frame_times(paths: Sequence[Path], tally: FrameTally, options: AnalysisOptions,
                 log: FlightLog, warn: Callable[[str], None],
                 ) -> tuple[list[tuple[float, str, CameraPose | None]], tzinfo,
                            dict[str, ClipShot]]:
    """(capture time, file, own pose) of every readable frame, in time order (as they
    were taken), the zone its zoneless times were read in (a warning says which), and
    the frames chosen from videos by name."""
    clips, files = _clips_and_frames(paths)
    shots = _clip_frames(clips, tally, options, log, warn)
    frames = [(f.time_unix_s, f.source, f.pose, f.time_zone_known)  # not the pixels
              for f in read_frames(files, tally, camera=options.camera)]
    frames += [(s.time_unix_s, s.source, s.pose, s.time_zone_known) for s in shots.values()]
    zoneless = [t for t, _, _, known in frames if not known]
    window = None if log.kind == NO_LOG else (log.start_s - options.max_gap_s,
                                              log.end_s + options.max_gap_s)
    zone, why = zone_of_zoneless(zoneless, options.time_zone, window, options.clock_offset_s)
    if zoneless:
        warn(f"{len(zoneless)} frame(s) stamped in wall-clock time without a zone "
             f"(EXIF, DJI subtitles): read as {zone} time, {why}")
    found = [(t if known else read_in(t, zone), source, pose)
             for t, source, pose, known in frames]
    return sorted(found, key=lambda t: t[:2]), zone, shots


def _mission(store: Store, log: FlightLog, name: str, frames: int,
             options: AnalysisOptions) -> int:
    return store.add_mission(
        MissionKind.ANALYSIS, f"analysis of {name}", launched_by=options.launched_by,
        reason=f"post-flight analysis of {log.path or name}",
        plan_json=json.dumps({"log": log.path or None, "log_kind": log.kind, "frames": frames,
                              "clock_offset_s": options.clock_offset_s})).id


def analyse_flight(frame_paths: Sequence[Path], log_path: Path | None, zones: ZoneSet,
                   terrain: Terrain, store: Store, map_path: Path, *,
                   options: AnalysisOptions | None = None,
                   announce: Callable[[Announcement], None] = lambda _: None,
                   progress: Callable[[int, int], None] = lambda done, total: None,
                   ) -> AnalysisReport:
    """Pose, detect, fuse, store and map the frames of a flight from its log.

    Without a log (``log_path`` None: a DJI aircraft writes no MAVLink, DataFlash or
    ULog log) every frame needs a pose of its own (R-JPEG metadata, sidecar): those
    without are skipped and counted, and the flown track is drawn through the frames'
    own positions.

    Raises
    ------
    FlightLogError
        The log is missing, unreadable or holds no positions.
    ModelError
        The detector's model cannot be loaded.
    """
    options = options or AnalysisOptions()
    log = read_flight_log(log_path, system=options.log_system) if log_path is not None \
        else FlightLog("", NO_LOG, "", ())
    detector = default_detector(options.detector_threads or os.cpu_count() or 1)
    alarm = detector.info.alarm_confidence  # refused by name before any work
    track = PoseTrack([PoseSample(p.time_s, p.pose) for p in log.poses],
                      max_gap_s=options.max_gap_s)
    gaps = log.gaps(options.max_gap_s)
    warn = lambda text: announce(Announcement(AnnouncementKind.WARNING, text))  # noqa: E731
    if log.other_systems:
        warn(f"{log_path}: the log holds {1 + len(log.other_systems)} vehicles; analysed "
             f"MAVLink system {log.system}"
             f"{'' if options.log_system is not None else ' (the most positions)'}, not "
             f"{', '.join(map(str, log.other_systems))}: choose with --log-system")
    if gaps:
        longest = max(b - a for a, b in gaps)
        warn(f"{log_path}: {len(gaps)} gap(s) with no position for over "
             f"{options.max_gap_s:g} s (longest {longest:.1f} s): frames in them are skipped")
    tally = FrameTally()
    frames, frame_zone, clip_frames = _frame_times(frame_paths, tally, options, log, warn)
    if log.clock == "boot" and frames and frames[0][0] + options.clock_offset_s > 1e9:
        warn(f"{log_path}: the log's clock is time since boot (no GPS time in it): frames "
             "stamped in calendar time match it only with a stated clock offset")
    name = Path(log.path or (frame_paths[0] if frame_paths else "")).name
    mission_id = _mission(store, log, name, len(frames), options)
    flight = store.start_flight(mission_id, options.vehicle_name or name)
    recorder = FindingRecorder(store, mission_id, announce, alarm_confidence=alarm)
    stills = [(t, source) for t, source, _ in frames if source not in clip_frames]
    paired = pair_shots([t + options.clock_offset_s for t, _ in stills],  # a video's frames
                        [s.time_s for s in log.shots], options.match_within_s)  # are no shots
    matcher = _Matcher(log, options, track, {
        source: log.shots[j] for (_, source), j in zip(stills, paired, strict=True)
        if j is not None}, frame_zone)
    posed_by: Counter[str] = Counter()
    skipped: Counter[str] = Counter(tally.reasons)
    seen: set[bytes] = set()
    with ClipReader(options.camera) as clips:
        for done, (_, source, _) in enumerate(frames, 1):
            progress(done - 1, len(frames))
            try:
                frame = clips.frame(clip_frames[source]) if source in clip_frames else \
                    read_frame(source, camera=options.camera)
            except (FrameError, ClipError) as exc:  # changed since it was listed
                reason = exc.reason.split(":")[0]
            else:
                reason = _analyse_one(frame, matcher, recorder, terrain, detector, seen,
                                      posed_by, warn)
            if reason is not None:
                skipped[reason] += 1
                warn(f"frame skipped: {source}: {reason}")
    progress(len(frames), len(frames))
    flown = Track()
    for time_s, pose in ([(p.time_s, p.pose) for p in log.poses]
                         or [(t, pose) for t, _, pose in frames if pose is not None]):
        flown.offer(time_s, pose.lat_deg, pose.lon_deg, pose.alt_amsl_m)
    flown.finish()
    store.add_track(flight.id, flown.points)
    store.end_flight(flight.id, "analysed after the flight")
    findings = tuple(recorder.findings.values())
    save_map(mission_map(zones, terrain.path, findings=list(findings),
                         flown=[(lat, lon) for _, lat, lon, _ in flown.points],
                         hotspot_history=store.findings(kind=FindingKind.HOTSPOT),
                         time_zone=options.time_zone), map_path)
    return AnalysisReport(
        mission_id, flight.id, findings, map_path, Path(log_path) if log_path else None,
        log.kind, log.clock, log.shot_source, sum(posed_by.values()),
        tuple(sorted(posed_by.items())), tuple(sorted(skipped.items())), tuple(gaps),
        len(log.shots), len(log.shots) - len(matcher.shot_of),
        tuple(sorted(recorder.best_views.items())))


def _analyse_one(frame: Frame, matcher: _Matcher, recorder: FindingRecorder,
                 terrain: Terrain, detector: BoxDetector, seen: set[bytes],
                 posed_by: Counter[str], warn: Callable[[str], None]) -> str | None:
    """One frame through the live search's steps; the reason it was skipped, or None."""
    frame = in_zone(frame, matcher.frame_zone)
    pose, how = matcher.pose(frame)
    if pose is None:
        return how
    ground_m = float(terrain.elevation_or_nan(pose.lat_deg, pose.lon_deg))
    if not math.isfinite(ground_m):
        return "taken outside the DEM"  # another area's frames: nothing could be placed
    key = hashlib.blake2b(frame.pixels.tobytes(), digest_size=16).digest()
    if key in seen:
        return "repeated"
    seen.add(key)
    frame = frame.with_pose(pose)
    note, alt_m = _laser_note(frame, terrain, warn)
    if alt_m < ground_m:  # every ray would start underground: nothing could be placed
        warn(f"{frame.source}: its pose puts the camera {ground_m - alt_m:.0f} m below the "
             "ground: its altitude is on another datum, or the DEM is not this area's")
        return "camera below the ground"
    how += note
    try:
        detections = detect(frame, terrain, persons_by=detector)
    except Exception as exc:  # one frame lost, as in the live search
        return f"detection failed ({type(exc).__name__})"
    posed_by[how] += 1
    recorder.add(frame, detections)
    return None


def _laser_note(frame: Frame, terrain: Terrain, warn: Callable[[str], None],
                ) -> tuple[str, float]:
    """What the frame's laser range did to its pose, and the camera's altitude detection
    will take (the laser's where it was used); with a warning where it was refused or
    where the drone's own laser spot is far from where its pose puts the spot: a pose
    misread, or a gimbal out of calibration."""
    laser, pose = frame.laser, frame.pose
    assert pose is not None
    if laser is None:
        return "", pose.alt_amsl_m
    ranged = ranged_pose(terrain, frame.camera, pose, laser)
    gap = ranged.target_gap_m
    if gap is not None and gap > LASER_SPOT_TOLERANCE_M + 0.05 * laser.distance_m:
        warn(f"{frame.source}: the drone wrote its laser spot {gap:.0f} m from where its "
             f"pose puts it ({laser.distance_m:.0f} m away): check the pose")
    if not ranged.taken:
        warn(f"{frame.source}: laser range not used: {ranged.refused}")
        return "", pose.alt_amsl_m
    return ", height from its laser", ranged.pose.alt_amsl_m

