"""Watching a drone's live thermal video, posed from its telemetry, with no mission of ours.

Why a job of its own: a drone steered by hand to a reported sighting, one flying a mission
planned in QGroundControl, or a neighbouring post's drone lent for the night has no
camera shots of ours to pose a frame; each frame takes the pose the telemetry gave at its
capture time. The watcher only listens: it sends the drone no command, so it can run
beside whatever flies it, and there is nothing to bring home when it stops.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path

from dronewatch.geo import CameraPose, Terrain
from dronewatch.link import PositionFix, Vehicle
from dronewatch.map import mission_map, save_map
from dronewatch.map.mission import STATION_ZONE
from dronewatch.ops.feed import pose_from_position
from dronewatch.ops.flightloop import Track
from dronewatch.ops.record import Announcement, FindingRecorder
from dronewatch.ops.video import VideoWatchReport, watch_video
from dronewatch.store import Finding, FindingKind, MissionKind, Store
from dronewatch.thermal import PoseSample, PoseTrack, default_detector
from dronewatch.thermal.sources.video import VideoStream
from dronewatch.zones import ZoneSet

__all__ = ["WatchReport", "watch_drone"]


@dataclass(frozen=True, slots=True)
class WatchReport:
    """What a watch did: its mission and flight in the store, the video's figures, the
    telemetry poses heard, the findings and the map."""

    mission_id: int
    flight_id: int
    video: VideoWatchReport
    poses: int
    findings: tuple[Finding, ...]
    map_path: Path


class _Telemetry:
    """The drone's poses on the wall clock, fed from its position fixes on a thread.

    Why the arrival time and not the vehicle's stamp: video frames are timed by their
    arrival on this machine, so both sides share one clock (the link's latency, tens of
    milliseconds, is far below a frame's pose error budget at survey speed).
    """

    def __init__(self, vehicle: Vehicle, max_gap_s: float,
                 clock: Callable[[], float]) -> None:
        self.vehicle, self.clock = vehicle, clock
        self.track = PoseTrack(max_gap_s=max_gap_s)
        self.flown = Track()
        self._lock = threading.Lock()
        self._last_s = float("-inf")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="watch-telemetry", daemon=True)

    def __enter__(self) -> _Telemetry:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5.0)
        self.flown.finish()

    def _run(self) -> None:
        with self.vehicle.camera_shots() as feed:
            while not self._stop.is_set():
                fix = feed.get(0.2)
                if isinstance(fix, PositionFix):
                    self._add(fix)

    def _add(self, fix: PositionFix) -> None:
        unix_s = self.clock() - (time.monotonic() - fix.received_s if fix.received_s else 0.0)
        pose = pose_from_position(fix, self.vehicle.state)
        with self._lock:
            if len(self.track) and unix_s <= self._last_s:
                return  # two clocks read a microsecond apart: never out of order
            self.track.append(PoseSample(unix_s, pose))
            self._last_s = unix_s
        self.flown.offer(unix_s, fix.latitude_deg, fix.longitude_deg, fix.altitude_amsl_m)

    def at(self, time_unix_s: float) -> CameraPose | None:
        with self._lock:
            return self.track.at(time_unix_s)


def watch_drone(vehicle: Vehicle, stream: VideoStream, zones: ZoneSet, terrain: Terrain,
                store: Store, map_path: Path, *, stop: threading.Event | None = None,
                announce: Callable[[Announcement], None] = lambda _: None,
                launched_by: str = "operator", vehicle_name: str = "drone",
                max_pose_gap_s: float = 1.0, idle_s: float = 5.0,
                time_zone: tzinfo = STATION_ZONE,
                clock: Callable[[], float] = time.time) -> WatchReport:
    """Analyse ``stream`` as fast as the CPU allows until ``stop`` or the stream ends,
    storing findings as they are made; then store the flown track and write the map.

    A frame with no telemetry within ``max_pose_gap_s`` of its capture is skipped and
    counted, never posed by a guess.

    Raises
    ------
    VideoError
        No frame came for ``idle_s`` seconds (the findings so far are stored).
    ModelError
        The detector's model cannot be loaded (nothing is recorded).
    """
    alarm = default_detector().info.alarm_confidence  # refused by name before any record
    mission = store.add_mission(MissionKind.WATCH, f"watch of {stream.url}",
                                launched_by=launched_by,
                                reason=f"live video {stream.url} posed from {vehicle_name}")
    flight = store.start_flight(mission.id, vehicle_name)
    recorder = FindingRecorder(store, mission.id, announce, alarm_confidence=alarm)
    outcome = "stopped by an error"
    telemetry = _Telemetry(vehicle, max_pose_gap_s, clock)
    try:
        with telemetry:
            video = watch_video(stream, telemetry.at, terrain, recorder, stop=stop,
                                idle_s=idle_s, clock=clock)
        outcome = "watching stopped" if stop is not None and stop.is_set() \
            else "the stream ended"
    finally:  # the track and the flight's end are kept however the watch ended
        store.add_track(flight.id, telemetry.flown.points)
        store.end_flight(flight.id, outcome)
        findings = tuple(recorder.findings.values())
        save_map(mission_map(zones, terrain.path, findings=list(findings),
                             flown=[(lat, lon) for _, lat, lon, _ in telemetry.flown.points],
                             hotspot_history=store.findings(kind=FindingKind.HOTSPOT),
                             time_zone=time_zone), map_path)
    return WatchReport(mission.id, flight.id, video, len(telemetry.track), findings, map_path)
