"""Watching a drone that flies its mission: shots, track, holds, and every fault.

Why a loop that catches everything: the drone flies its uploaded mission on its own,
and this side only watches. So an error here (store, disk, camera, detector, a bug)
must not end the watching with the drone still out: each one is classified by
:mod:`dronewatch.ops.faults` and handled by the station's policy (fly on, hold, or
come home), and the loop ends only when the drone has landed, is on its way home, or
the link is lost. Every telemetry position is offered to the track, which keeps one
point per few metres flown (thinned by distance, never dropped for being busy).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import tzinfo
from enum import StrEnum
from pathlib import Path

from dronewatch.geo import Terrain, metres_per_degree
from dronewatch.link import CameraShot, LinkError, PositionFix, ShotFeed, Vehicle
from dronewatch.link.camera import stop_triggering
from dronewatch.map import mission_map, save_map
from dronewatch.map.mission import STATION_ZONE
from dronewatch.ops.autopilot import VehicleFailsafes
from dronewatch.ops.crew import HoldOver, Order, Recall
from dronewatch.ops.faults import Fault, FaultClass, Outcome, SafeAction, bring_home
from dronewatch.ops.record import Announcement, AnnouncementKind, FindingRecorder, MissionProgress
from dronewatch.ops.shots import ShotHandler, ShotResult
from dronewatch.store import Finding, FindingKind, FindingStatus, JournaledStore
from dronewatch.store.journal import is_store_failure
from dronewatch.zones import ZoneSet

__all__ = ["TRACK_EVERY_M", "Track", "Watch"]

TRACK_EVERY_M = 5.0  # a track point per this much flown (3-D)
_REPEATED_FAULTS = 20  # the same "continue" fault this often in a row: come home



class OnFind(StrEnum):
    """What the drone does when it finds a person: keep searching, or hold over them
    (camera on them) for ``hold_s`` and then come home. With a fleet, the nearest drone
    holds, and the others search on (``loiter``) or come home (``recall``); a lone
    drone treats ``recall`` as ``loiter``."""

    CONTINUE = "continue"
    LOITER = "loiter"
    RECALL = "recall"


@dataclass
class Track:
    """The flown track from every position report, thinned by distance flown."""

    every_m: float = TRACK_EVERY_M
    points: list[tuple[float, float, float, float]] = field(default_factory=list)
    unsaved: list[tuple[float, float, float, float]] = field(default_factory=list)
    _last_seen: tuple[float, float, float, float] | None = None

    def offer(self, t: float, lat: float, lon: float, alt: float) -> None:
        if not (math.isfinite(lat) and math.isfinite(lon)) or (lat == 0 and lon == 0):
            return
        if self.points and t < self.points[-1][0]:
            return  # heard before the last point kept (it waited in a queue): out of order
        self._last_seen = (t, lat, lon, alt)
        if self.points:
            _, lat0, lon0, alt0 = self.points[-1]
            north_per_deg, east_per_deg = metres_per_degree(lat)
            moved = math.hypot((lat - lat0) * north_per_deg, (lon - lon0) * east_per_deg,
                               alt - alt0)
            if moved < self.every_m:
                return
        self._keep((t, lat, lon, alt))

    def finish(self) -> None:
        """Keep the last position heard, wherever it is (the end of the track)."""
        if self._last_seen is not None and (not self.points
                                            or self.points[-1] != self._last_seen):
            self._keep(self._last_seen)

    def _keep(self, point: tuple[float, float, float, float]) -> None:
        self.points.append(point)
        self.unsaved.append(point)


@dataclass
class Watch:
    """One flight's watching, from airborne to the end; :meth:`run` says how it ended."""

    vehicle: Vehicle
    db: JournaledStore
    flight_id: int
    recorder: FindingRecorder
    shots: ShotHandler
    announce: Callable[[Announcement], None]
    terrain: Terrain
    zones: ZoneSet
    route: list[tuple[float, float]]
    map_path: Path
    failsafes: VehicleFailsafes | None
    took_off_s: float
    on_find: OnFind = OnFind.CONTINUE
    hold_s: float = 120.0
    link_lost_after_s: float = 15.0
    map_every_s: float = 3.0
    max_flight_s: float = 7200.0
    track: Track = field(default_factory=Track)
    fault: Fault | None = None
    hold_until: float | None = None
    _last_map: float = 0.0
    _last_seq: int = -1
    _repeats: int = 0
    _map_failed: bool = False
    closing: bool = False  # set once the watching is over: late shots command nothing
    time_zone: tzinfo = STATION_ZONE  # the map's popups: the station's clock
    stop: threading.Event | None = None  # a fleet's stop: set, it ends the flight as Ctrl-C
    orders: Callable[[], Order | None] | None = None  # a fleet's orders for this drone

    def say(self, text: str, kind: AnnouncementKind = AnnouncementKind.STAGE) -> None:
        self.announce(Announcement(kind, text))

    def run(self, subscription: ShotFeed) -> Outcome:
        """Watch until the flight ends; a fault whose policy is RTL ends it at once."""
        while True:
            try:
                msg = subscription.get(0.05)
                if msg is not None:
                    self.on_message(msg)
                ended = self.check()
                self._repeats = 0
                if ended is not None:
                    return ended
            except _Ended as end:
                return end.outcome
            except Exception as exc:  # every error goes to the policy
                ended = self.on_fault(Fault.of(exc))
                if ended is not None:
                    return ended

    def on_message(self, msg: CameraShot | PositionFix) -> None:
        if isinstance(msg, PositionFix):  # timed when it arrived, not when looked at
            arrived = time.time() - (time.monotonic() - msg.received_s)
            self.track.offer(arrived, msg.latitude_deg, msg.longitude_deg,
                             msg.altitude_amsl_m)
            self.shots.on_position(msg)  # poses for frames of shots the link lost
            return
        self.on_shot(self.shots(msg))

    def on_shot(self, result: ShotResult) -> None:
        """A shot's findings and faults (also of shots found late in the camera's record)."""
        if self.closing:  # the flight is over (or coming home): look, never command
            return
        if result.blind is not None:
            self.db.add_alert("warning", f"camera blind: {result.blind.message}")
            self.announce(Announcement(
                AnnouncementKind.ALERT,
                f"CAMERA BLIND: {result.blind.message}; "
                f"policy: {result.blind.action.value}"))
            ended = self.apply(result.blind)
            if ended is not None:
                raise _Ended(ended)
        for finding in result.findings:
            if finding.status is FindingStatus.ALARM and self.on_find in (OnFind.LOITER,
                                                                          OnFind.RECALL):
                self.hold_over(finding)

    def hold_over(self, finding: Finding) -> None:
        """Go over a person and hold there, camera on them, for ``hold_s`` (once)."""
        if self.hold_until is not None:
            return
        self.vehicle.goto(finding.lat_deg, finding.lon_deg, self.vehicle.state.alt_rel_m)
        self.vehicle.point_at(finding.lat_deg, finding.lon_deg,
                              self.terrain.elevation_at(finding.lat_deg, finding.lon_deg))
        self.hold_until = self.vehicle.state.time_boot_s + self.hold_s
        self.say(f"holding over person #{finding.id} for {self.hold_s:.0f} s")

    def recall(self, reason: str) -> None:
        """Come home now, by the operator's choice; the flight ends "aborted" with
        ``reason``. A drone already holding or coming home carries on as it is."""
        if self.hold_until is not None:
            return
        self.hold_until = math.inf
        self.fault = Fault(FaultClass.SIGNAL, SafeAction.RTL, reason)
        self.say(f"{reason}: returning to launch", AnnouncementKind.WARNING)
        self.vehicle.return_to_launch()
        self.stop_camera()

    def take_orders(self) -> None:
        """The fleet's order for this drone, if it has one."""
        order = self.orders() if self.orders is not None else None
        if isinstance(order, HoldOver):
            self.hold_over(order.finding)
        elif isinstance(order, Recall):
            self.recall(order.reason)

    def check(self) -> Outcome | None:
        """The state checks: landed, link lost, hold over, too long; the live map."""
        if self.stop is not None and self.stop.is_set():
            raise KeyboardInterrupt  # the caller brings the drone home and waits
        self.take_orders()
        state = self.vehicle.state  # the track comes from the position fixes only: a
        # point stamped now would sort after the fixes still queued and drop them
        if state.mission_seq != self._last_seq and state.mission_total:
            self._last_seq = state.mission_seq
            self.announce(Announcement(
                AnnouncementKind.PROGRESS,
                f"mission item {state.mission_seq} of {state.mission_total}",
                progress=MissionProgress(state.mission_seq, state.mission_total)))
        if state.stale and time.monotonic() - state.last_heartbeat_s > self.link_lost_after_s:
            does = (self.failsafes.link_loss_message() if self.failsafes is not None
                    else "fly its own failsafe, whatever it is set to")
            self.say(f"link to the vehicle lost: {does}; findings so far are stored",
                     AnnouncementKind.WARNING)
            return Outcome.LINK_LOST
        if not state.armed and state.alt_rel_m < 1.0:
            return self.fault_outcome() or Outcome.COMPLETED
        if self.hold_until is not None and state.time_boot_s >= self.hold_until:
            self.hold_until = math.inf
            self.say("hold over, coming home")
            self.vehicle.return_to_launch()
            self.stop_camera()  # the way home is no search: no pictures of it
        if state.time_boot_s - self.took_off_s > self.max_flight_s:
            self.vehicle.return_to_launch()
            return Outcome.TIMED_OUT
        self.db.poll()
        self.on_shot(self.shots.poll())
        if time.monotonic() - self._last_map > self.map_every_s:
            self._last_map = time.monotonic()
            self.save_track()
            try:
                self.write_map()
            except OSError as exc:  # a view only: the findings are kept by store or journal
                if not self._map_failed:
                    self.say(f"the live map cannot be written ({exc}); findings are still "
                             "kept", AnnouncementKind.WARNING)
                self._map_failed = True
        return None

    def fault_outcome(self) -> Outcome | None:
        if self.fault is None or self.fault.action is SafeAction.CONTINUE:
            return None
        return Outcome.ABORTED if self.fault.fault_class is FaultClass.SIGNAL \
            else Outcome.FAULT_RTL

    def on_fault(self, fault: Fault) -> Outcome | None:
        """Apply the policy to a fault raised inside the loop."""
        if fault.fault_class is FaultClass.SIGNAL:
            raise KeyboardInterrupt  # the caller brings the drone home and waits
        if fault.action is SafeAction.CONTINUE:
            self._repeats += 1
            self.say(f"{fault.fault_class.value} fault: {fault.message}; the mission goes on",
                     AnnouncementKind.WARNING)
            if self._repeats < _REPEATED_FAULTS:
                return None
            fault = Fault(fault.fault_class, SafeAction.RTL,
                          f"{fault.message} (again and again)")
        return self.apply(fault)

    def apply(self, fault: Fault) -> Outcome | None:
        """Hold or come home by the policy; an Outcome when the watching should end."""
        if fault.action is SafeAction.CONTINUE:
            return None
        self.fault = fault
        if fault.action is SafeAction.HOLD:
            state = self.vehicle.state
            self.vehicle.goto(state.lat_deg, state.lon_deg, state.alt_rel_m)
            self.hold_until = state.time_boot_s + self.hold_s
            self.say(f"{fault.fault_class.value}: {fault.message}: holding here for "
                     f"{self.hold_s:.0f} s, then home", AnnouncementKind.WARNING)
            return None
        warn = AnnouncementKind.WARNING
        self.say(f"{fault.fault_class.value}: {fault.message}: returning to launch", warn)
        bring_home(self.vehicle, lambda t: self.say(t, warn), land_within_s=None)
        return Outcome.FAULT_RTL

    def stop_camera(self) -> None:
        """Stop the distance trigger the mission set (it outlives the mission and would
        photograph the way home and the next flight's transit); a lost command is said."""
        try:
            stop_triggering(self.vehicle)
        except LinkError as exc:
            self.say(f"the camera trigger could not be stopped: {exc}", AnnouncementKind.WARNING)

    def save_track(self) -> None:
        """Write the unsaved points; while the store is down they wait in memory."""
        if not self.track.unsaved or self.db.down:
            return
        points = list(self.track.unsaved)
        try:
            self.db.add_track(self.flight_id, points)
        except Exception as exc:
            if not is_store_failure(exc):
                raise
            return
        del self.track.unsaved[:len(points)]

    def write_map(self) -> None:
        flown = [(lat, lon) for _, lat, lon, _ in self.track.points]
        try:
            history = self.db.findings(kind=FindingKind.HOTSPOT)
        except Exception:  # the store is down: the map shows this flight only
            history = []
        save_map(mission_map(self.zones, self.terrain.path,
                             findings=list(self.recorder.findings.values()),
                             planned=self.route, flown=flown, hotspot_history=history,
                             time_zone=self.time_zone),
                 self.map_path)


class _Ended(Exception):  # not an error: the policy ended the watching
    """Raised out of a message handler when the policy ends the flight."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.value)
        self.outcome = outcome
