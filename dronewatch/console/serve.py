"""Starting the console: the station's store, drones, planner and flight, on uvicorn.

Why the flight is built here and handed to the app: it is the same ``run_search`` with
the same options as ``dronewatch search`` (settings' camera, airframe, battery and link
limits), so a drone launched from the browser flies what the command line would. Each
mission opens its own terrain (rasterio datasets are not shared between threads); the
planner shares one behind a lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from dronewatch.config import Settings, default_dem_path, default_zones_path
from dronewatch.console.app import Station, create_app
from dronewatch.console.camera import LatestFrames
from dronewatch.console.fleet import Fleet
from dronewatch.console.patrols import PatrolFlights
from dronewatch.geo import Terrain
from dronewatch.link import Vehicle
from dronewatch.map.assets import assets_dir, missing
from dronewatch.ops import FlightOptions, SearchRequest, plan_for_alarm, run_search
from dronewatch.ops.feed import FrameSource
from dronewatch.ops.patrol import plan_patrol, run_patrol
from dronewatch.ops.patrolspec import PatrolSpec, load_patrols
from dronewatch.ops.station import connect_station, station_equipment
from dronewatch.planning import Plan
from dronewatch.store import Store
from dronewatch.zones import load_zones

__all__ = ["ConsoleOptions", "serve"]


@dataclass(frozen=True, slots=True)
class ConsoleOptions:
    """Where the console listens and what it follows."""

    drones: tuple[str, ...]
    store: str
    out_dir: Path
    host: str = "127.0.0.1"
    port: int = 8470
    speedup: float | None = None
    signing_key: bytes | None = None


@dataclass(frozen=True, slots=True)
class _Planners:
    """The alarm and patrol planners, sharing one terrain behind a lock; ``close`` ends it."""

    alarm: Callable[[SearchRequest], Plan]
    patrol: Callable[[PatrolSpec], Plan]
    close: Callable[[], None]


def _planners(zones_path: Path, settings: Settings) -> _Planners:
    zones = load_zones(zones_path)
    terrain = Terrain(default_dem_path())
    lock = threading.Lock()

    def alarm(request: SearchRequest) -> Plan:
        with lock:
            return plan_for_alarm(zones, terrain, replace(
                request, camera=settings.camera, airframe=settings.airframe))

    def patrol(spec: PatrolSpec) -> Plan:  # with the patrol's own camera, as run_patrol
        equipment = station_equipment(settings, camera=spec.camera, airframe=spec.airframe)
        with lock:
            return plan_patrol(spec, zones, terrain, equipment)

    return _Planners(alarm, patrol, terrain.close)


def _flight(store: Store, settings: Settings, out_dir: Path,
            camera_for: Callable[[Terrain], FrameSource], frames: LatestFrames
            ) -> Callable[[Vehicle, SearchRequest, Plan, str], str]:
    zones = load_zones(default_zones_path())

    def fly(vehicle: Vehicle, request: SearchRequest, plan: Plan, drone_id: str) -> str:
        options = FlightOptions(min_battery_pct=settings.min_battery_pct,
                                link_lost_after_s=settings.link_lost_after_s,
                                time_zone=settings.zone)
        with Terrain(default_dem_path()) as terrain:
            camera = frames.watch(drone_id, camera_for(terrain))  # the live camera panel
            report = run_search(request, vehicle, zones, terrain, camera, store,
                                out_dir / f"mission-map-{drone_id}.html", plan=plan,
                                options=options, vehicle_name=drone_id)
        return f"{report.outcome} (mission {report.mission_id})"

    return fly


def _patrol_flight(store: Store, settings: Settings, out_dir: Path,
                   camera_for: Callable[[Terrain], FrameSource], frames: LatestFrames
                   ) -> Callable[[Vehicle, PatrolSpec, Plan, str, str], str]:
    zones = load_zones(default_zones_path())

    def fly(vehicle: Vehicle, spec: PatrolSpec, plan: Plan, drone_id: str,
            operator: str) -> str:
        with Terrain(default_dem_path()) as terrain:
            camera = frames.watch(drone_id, camera_for(terrain))  # the live camera panel
            result = run_patrol(spec, time.time(), vehicle, zones, terrain, camera, store,
                                out_dir, settings=settings, plan=plan, launched_by=operator)
        return f"{result.status} ({result.detail})"

    return fly


def serve(options: ConsoleOptions, settings: Settings,
          camera_for: Callable[[Terrain], FrameSource],
          say: Callable[[str], None] = print) -> None:
    """Run the console until Ctrl-C; ``say`` gets the address to open.

    Raises
    ------
    StoreError, ZoneError
        The store or the zones cannot be opened.
    """
    import uvicorn

    if missing():
        say("the map scripts are not on this PC yet: run 'dronewatch assets' once "
            "(the console shows no map without them)")
    options.out_dir.mkdir(parents=True, exist_ok=True)
    store = Store(options.store)
    tlogs = iter(range(1, 10_000))

    def connect(url: str) -> Vehicle:
        tlog = options.out_dir / f"console-{next(tlogs)}.tlog"
        return connect_station(url, options.speedup, options.signing_key, tlog)

    planners = _planners(default_zones_path(), settings)
    fleet = Fleet(options.drones, connect)
    try:
        zones, frames = load_zones(default_zones_path()), LatestFrames()
        station = Station(store, fleet, zones, default_zones_path(), planners.alarm,
                          _flight(store, settings, options.out_dir, camera_for, frames),
                          assets_dir(), frames=frames,
                          patrols=lambda: load_patrols(Path(settings.missions), zones,
                                                       min_battery_pct=settings.min_battery_pct),
                          patrol_flights=PatrolFlights(planners.patrol, _patrol_flight(
                              store, settings, options.out_dir, camera_for, frames)))
        # proxy_headers off: the console is reached directly, and a client's own
        # X-Forwarded-For must not choose the address the log-in throttle counts by
        server = uvicorn.Server(uvicorn.Config(
            create_app(station), host=options.host, port=options.port, log_level="warning",
            timeout_graceful_shutdown=2, proxy_headers=False))
        following = ", ".join(f"{i} {u}" for i, u in zip(fleet.ids, options.drones,
                                                           strict=True))
        say(f"dronewatch console: open http://{options.host}:{options.port}/  "
            f"(following {following}; Ctrl-C stops it)")
        server.run()
    finally:
        fleet.close()
        planners.close()
        store.close()


def drone_urls(given: Sequence[str] | None, settings: Settings) -> tuple[str, ...]:
    """The drones to follow: those given, else the settings' drone."""
    return tuple(given) if given else (settings.drone,)
