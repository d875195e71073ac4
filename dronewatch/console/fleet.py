"""The drones the console follows: their links, tracks, and the one mission each may fly.

Why a small stateful class here and no flight logic: the console must show every
station drone live and must never send two missions to one drone, so it keeps one
link per drone (opened in the background, re-tried while the drone is off) and a
record of which mission thread holds it. What a mission does is ``ops``' business:
:meth:`Fleet.launch` only runs the function it is given on a thread.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from dronewatch.errors import DronewatchError
from dronewatch.link import LinkError, Vehicle

__all__ = ["DroneView", "Fleet", "FleetError"]

TRACK_POINTS = 3000
TRACK_EVERY_S = 0.5
RECONNECT_AFTER_S = 3.0


class FleetError(DronewatchError, ValueError):
    """A console request the fleet refuses: unknown drone, not connected, already busy."""


@dataclass(frozen=True, slots=True)
class DroneView:
    """One drone as the console shows it (JSON-ready; NaN becomes None)."""

    id: str
    url: str
    connected: bool
    lat_deg: float | None = None
    lon_deg: float | None = None
    alt_rel_m: float | None = None
    heading_deg: float | None = None
    battery_pct: float | None = None
    mode: str = ""
    armed: bool = False
    link_quality: float | None = None
    heartbeat_age_s: float | None = None
    mission: str = ""  # what it is flying, or ""
    last_outcome: str = ""  # how its last mission ended
    track: tuple[tuple[float, float], ...] = ()


@dataclass
class _Drone:
    id: str
    url: str
    vehicle: Vehicle | None = None
    track: deque[tuple[float, float]] = field(default_factory=lambda: deque(maxlen=TRACK_POINTS))
    mission: str = ""
    last_outcome: str = ""


def _num(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else round(float(value), 7)


class Fleet:
    """Links to each drone URL, kept open in the background; close() ends them all.

    Parameters
    ----------
    urls
        MAVLink URLs, one per drone; their ids are ``drone-1``, ``drone-2``...
    connect
        Opens one URL (the station's :func:`dronewatch.ops.station.connect_station`).
    """

    def __init__(self, urls: Sequence[str], connect: Callable[[str], Vehicle]) -> None:
        self._drones = {f"drone-{n}": _Drone(f"drone-{n}", url)
                        for n, url in enumerate(urls, start=1)}
        self._connect = connect
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._keep, args=(d,), daemon=True,
                                          name=f"console-{d.id}")
                         for d in self._drones.values()]
        for thread in self._threads:
            thread.start()

    @property
    def ids(self) -> list[str]:
        return list(self._drones)

    def _keep(self, drone: _Drone) -> None:
        """Connect (again and again while it fails), then sample the track."""
        while not self._stop.is_set():
            if drone.vehicle is None:
                try:
                    drone.vehicle = self._connect(drone.url)
                except (LinkError, OSError):
                    self._stop.wait(RECONNECT_AFTER_S)
                    continue
            self._sample(drone, drone.vehicle)
            self._stop.wait(TRACK_EVERY_S)

    @staticmethod
    def _sample(drone: _Drone, vehicle: Vehicle) -> None:
        state = vehicle.state
        if math.isfinite(state.lat_deg) and not state.stale:
            point = (round(state.lat_deg, 7), round(state.lon_deg, 7))
            if not drone.track or drone.track[-1] != point:
                drone.track.append(point)

    def view(self, drone_id: str, *, with_track: bool = True) -> DroneView:
        """The drone now; without its track for the live stream (the page extends its own)."""
        drone = self._get(drone_id)
        vehicle = drone.vehicle
        if vehicle is None:
            return DroneView(drone.id, drone.url, False, mission=drone.mission,
                             last_outcome=drone.last_outcome)
        s = vehicle.state
        track = tuple(drone.track) if with_track else ()
        return DroneView(
            drone.id, drone.url, not s.stale, _num(s.lat_deg), _num(s.lon_deg),
            _num(s.alt_rel_m), _num(s.heading_deg), _num(s.battery_remaining_pct), s.mode,
            s.armed, round(s.link_quality, 3), round(min(s.heartbeat_age_s, 1e6), 2),
            drone.mission, drone.last_outcome, track)

    def views(self, *, with_track: bool = True) -> list[DroneView]:
        return [self.view(d, with_track=with_track) for d in self._drones]

    def _get(self, drone_id: str) -> _Drone:
        try:
            return self._drones[drone_id]
        except KeyError:
            raise FleetError(f"no drone {drone_id!r}; the console follows "
                             f"{', '.join(self._drones)}") from None

    def vehicle(self, drone_id: str) -> Vehicle:
        """The drone's open link.

        Raises
        ------
        FleetError
            Unknown drone, or not connected (yet).
        """
        drone = self._get(drone_id)
        if drone.vehicle is None or drone.vehicle.state.stale:
            raise FleetError(f"{drone_id} ({drone.url}) is not connected")
        return drone.vehicle

    def launch(self, drone_id: str, name: str, fly: Callable[[Vehicle], str]) -> None:
        """Run ``fly(vehicle)`` on a thread as the drone's one mission.

        ``fly`` returns the outcome to show; an error's message is shown instead.

        Raises
        ------
        FleetError
            Unknown or unconnected drone, or one already flying a mission.
        """
        vehicle = self.vehicle(drone_id)
        drone = self._drones[drone_id]
        with self._lock:
            if drone.mission:
                raise FleetError(f"{drone_id} is already flying {drone.mission!r}: one "
                                 "mission per drone (RTL it, or wait for it to land)")
            drone.mission = name

        def run() -> None:
            try:
                outcome = fly(vehicle)
            except Exception as exc:  # shown on the console; the mission's own code
                outcome = f"failed: {exc}"  # already brought the drone home
            with self._lock:
                drone.mission, drone.last_outcome = "", f"{name}: {outcome}"

        threading.Thread(target=run, daemon=True, name=f"mission-{drone_id}").start()

    def busy(self, drone_id: str) -> bool:
        return bool(self._get(drone_id).mission)

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5.0)
        for drone in self._drones.values():
            if drone.vehicle is not None:
                drone.vehicle.close()
                drone.vehicle = None

    def __enter__(self) -> Fleet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
