"""Flying the fleet's drones at once: a thread each, one recorder, one watch on them all.

Why its own module: :mod:`dronewatch.ops.fleet` decides who flies what (checks, shares,
the mission on record); this flies it. Each drone's thread flies its share through
:func:`dronewatch.ops.search.fly_plan` with a :class:`~dronewatch.ops.crew.Crew`, then
(with a :class:`~dronewatch.ops.relay.Relay`) whatever rest of a share it is given,
while the main thread keeps the drones apart, lets them land in turn
(:mod:`dronewatch.ops.landing`) and gives the on-find orders
(:mod:`dronewatch.ops.fleetfind`). An error in one drone's thread ends only its flight;
a drone left armed by it is sent home.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from dronewatch.geo import Terrain
from dronewatch.link import Vehicle
from dronewatch.ops.crew import Crew, SharedRecorder
from dronewatch.ops.faults import Outcome, bring_home
from dronewatch.ops.feed import FrameSource
from dronewatch.ops.fleetfind import FindOrders
from dronewatch.ops.flightloop import OnFind
from dronewatch.ops.landing import LandingGate, turn_of
from dronewatch.ops.record import Announcement, AnnouncementKind
from dronewatch.ops.relay import Relay
from dronewatch.ops.search import FlightOptions, FlightReport, fly_plan
from dronewatch.ops.separation import SeparationGuard, SeparationRules
from dronewatch.planning import Plan
from dronewatch.planning.fleetsplit import FleetPlan
from dronewatch.store import Finding, Journal, JournaledStore, Store
from dronewatch.thermal import default_detector
from dronewatch.zones import ZoneSet

__all__ = ["DroneResult", "FleetDrone", "FleetFlight"]

_WATCH_EVERY_S = 0.05  # wall seconds between two separation checks


@dataclass(frozen=True, slots=True)
class FleetDrone:
    """One drone of the fleet: its name (its URL, say), its link, and its camera."""

    name: str
    vehicle: Vehicle
    camera: FrameSource


@dataclass(frozen=True, slots=True)
class DroneResult:
    """How one drone's part went: its share and flight, or why it did not fly."""

    name: str
    share: str  # the share's name; "" when the drone was left out before the split
    transit_offset_m: float
    report: FlightReport | None
    error: str = ""  # why it was left out, or what ended its flight without a report
    relay_of: str = ""  # the share whose rest this flight flew; "" for the drone's own
    region_m2: float = 0.0  # the area its plan was to search

    @property
    def flew_share(self) -> bool:
        return self.report is not None and self.report.outcome is Outcome.COMPLETED

    @property
    def pod_area_m2(self) -> float:
        """POD-weighted area this flight searched: its share of the search's POD."""
        return self.report.pod_achieved * self.region_m2 if self.report is not None else 0.0


class FleetFlight:
    """The drones' threads, the one recorder, and the watch that keeps them apart."""

    def __init__(self, drones: list[FleetDrone], fleet_plan: FleetPlan, zones: ZoneSet,
                 terrain: Terrain, store: Store, mission_id: int, out_dir: Path,
                 options: FlightOptions, rules: SeparationRules, journal: Journal,
                 announce: Callable[[Announcement], None]) -> None:
        self.drones, self.fleet_plan, self.zones, self.terrain = drones, fleet_plan, zones, terrain
        self.store, self.mission_id, self.out_dir, self.announce = (store, mission_id, out_dir,
                                                                    announce)
        # each drone only searches and reports; the fleet says who holds over a person
        self.options = replace(options, on_find=OnFind.CONTINUE)
        self.db = JournaledStore(store, journal, warn=self.warn)
        self.recorder = SharedRecorder(self.db, mission_id, announce,
                                       alarm_confidence=default_detector().info.alarm_confidence)
        self.stop, self.uploading = threading.Event(), threading.Lock()
        self.done = [threading.Event() for _ in drones]
        self.furthest = [0] * len(drones)  # furthest mission item of each one's flight
        self.guard = SeparationGuard([d.name for d in drones], [d.vehicle for d in drones],
                                     rules, self.say_breach, self.done)
        self.gate = LandingGate([d.name for d in drones], [d.vehicle for d in drones], self.done,
                                self.guard.airborne, self.say_landing,
                                pad_radius_m=2 * rules.min_horizontal_m,
                                release_alt_m=rules.min_vertical_m + rules.airborne_above_m)
        self.finds = FindOrders([d.name for d in drones],
                                [_position(d.vehicle) for d in drones], self.guard.airborne,
                                self.recorder, options.on_find, self.warn)

    def warn(self, text: str) -> None:
        self.announce(Announcement(AnnouncementKind.WARNING, text))

    def say_breach(self, text: str) -> None:
        self.announce(Announcement(AnnouncementKind.ALERT if text.startswith("SEPARATION")
                                   else AnnouncementKind.WARNING, text))
        if text.startswith("SEPARATION"):
            with contextlib.suppress(Exception):  # the alert is a record; the hold is done
                self.db.add_alert("warning", text)

    def say_landing(self, text: str) -> None:
        self.announce(Announcement(AnnouncementKind.STAGE, text))

    def fly(self, relay: Relay | None) -> tuple[list[DroneResult], list[DroneResult]]:
        """Every drone in its own thread; this thread keeps them apart, lets them land
        in turn and gives the on-find orders until all have ended. (own shares' rows,
        relay rows)"""
        own: list[DroneResult | None] = [None] * len(self.drones)
        relayed: list[DroneResult] = []
        if relay is not None:
            self.finds.on_recall = relay.close

        def fly_one(i: int) -> None:
            plan, offset, work = self.fleet_plan.shares[i], self.fleet_plan.offsets_m[i], None
            while True:
                report, error = self.fly_once(i, plan)
                row = DroneResult(self.drones[i].name, plan.name, offset, report, error,
                                  work.of_share if work else "", _area_m2(plan))
                if work is None:
                    own[i] = row
                else:
                    relayed.append(row)
                if relay is None:
                    return
                relay.ended(i, plan, report, self.furthest[i], work.hand_offs if work else 0)
                assignment = relay.next_work(i)
                if assignment is None:
                    return
                work, plan, offset = assignment.work, assignment.plan, assignment.offset_m
                self.finds.fresh(i)
                self.guard.relaunch(i)

        threads = [threading.Thread(target=fly_one, args=(i,), name=f"fleet-{d.name}",
                                    daemon=True) for i, d in enumerate(self.drones)]
        for thread in threads:
            thread.start()
        while any(t.is_alive() for t in threads):
            try:
                self.guard.check()
                self.gate.check()
                self.finds.check()
                time.sleep(_WATCH_EVERY_S)
            except KeyboardInterrupt:  # every drone's thread brings its drone home
                if not self.stop.is_set():
                    self.warn("Ctrl-C: every drone returns to launch")
                self.stop.set()
            except Exception as exc:  # the separation check must go on whatever happens
                self.warn(f"separation check failed: {type(exc).__name__}: {exc}")
        for thread in threads:
            thread.join()
        return [r for r in own if r is not None], relayed

    def fly_once(self, i: int, plan: Plan) -> tuple[FlightReport | None, str]:
        """One flight of drone ``i``; (its report or None, what ended it early)."""
        drone = self.drones[i]
        crew = Crew(self.recorder, self.stop, lambda: self.guard.wait_launch(i, self.stop),
                    self.uploading, self.finds.orders_for(i))
        tagged = _tagged(self.announce, drone.name, self.furthest, i)
        self.furthest[i] = 0
        self.gate.expect(i, turn_of(plan))
        try:
            report = fly_plan(drone.vehicle, plan, self.zones, self.terrain, drone.camera,
                              self.store, self.mission_id,
                              self.out_dir / f"mission-map-{i + 1}.html", options=self.options,
                              announce=tagged, vehicle_name=drone.name, crew=crew)
            error = report.fault
        except BaseException as exc:  # local to this drone: the others fly on
            report, error = None, f"{type(exc).__name__}: {exc}"
            _never_abandoned(drone.vehicle, tagged, self.options)
        finally:
            self.done[i].set()
        if report is not None and report.outcome is Outcome.LINK_LOST:
            text = f"drone lost: {drone.name} (link lost during {plan.name}); the others fly on"
        elif report is None:
            text = f"{drone.name} did not fly {plan.name}: {error}"
        else:
            text = ""
        if text:
            self.warn(text)
            with contextlib.suppress(Exception):
                self.db.add_alert("warning", text)
        return report, error

    def findings(self) -> tuple[Finding, ...]:
        return tuple(replace(f, id=self.db.resolve(f.id)) for f in self.recorder.snapshot())


def _position(vehicle: Vehicle) -> Callable[[], tuple[float, float]]:
    def where() -> tuple[float, float]:
        state = vehicle.state
        return state.lat_deg, state.lon_deg
    return where


def _area_m2(plan: Plan) -> float:
    return plan.region_local.area if plan.region_local is not None else 0.0


def _never_abandoned(vehicle: Vehicle, say: Callable[[Announcement], None],
                     options: FlightOptions) -> None:
    """A drone left armed by an error outside the flight's own policy is sent home."""
    if vehicle.state.armed:
        bring_home(vehicle, lambda t: say(Announcement(AnnouncementKind.WARNING, t)),
                   land_within_s=options.land_within_s / max(vehicle.speedup, 1.0))


def _tagged(announce: Callable[[Announcement], None], name: str, furthest: list[int],
            i: int) -> Callable[[Announcement], None]:
    """Announcements of one drone, its name in front (a finding's stays as it is); its
    mission progress is kept in ``furthest[i]``: how far a relay must take over."""
    def say(a: Announcement) -> None:
        if a.progress is not None:
            furthest[i] = max(furthest[i], a.progress.item)
        announce(replace(a, text=f"[{name}] {a.text}"))
    return say
