"""How the station reaches its drone and what it flies with: one place for both.

Why here and not in the CLI: the console, the patrol scheduler and the command line all
connect the same way (paced for a simulator, signed when a key is set, every message
logged to a .tlog) and plan with the same camera and airframe. When each of them chose
its own, ``plan search`` planned lanes for one camera while ``search`` flew another.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from dronewatch.config import Settings
from dronewatch.geo import CameraModel, camera_preset
from dronewatch.link import LinkError, Vehicle, connect, connect_paced
from dronewatch.planning import Airframe, airframe_preset

__all__ = ["Equipment", "connect_ready", "connect_station", "station_equipment", "tlog_beside",
           "vehicle_speedup"]

#: Wall seconds to wait for SIM_SPEEDUP: a real autopilot never answers for a name it
#: does not have, and the connection should not wait long for that silence.
SPEEDUP_ANSWER_WITHIN_S = 1.0


@dataclass(frozen=True, slots=True)
class Equipment:
    """The camera and airframe a station plans and flies with."""

    camera: CameraModel
    airframe: Airframe


def station_equipment(settings: Settings, *, camera: str | None = None,
                      airframe: str | None = None) -> Equipment:
    """The settings' camera and airframe, or the ones named instead (a patrol's own).

    Raises
    ------
    UnknownPresetError
        A name is not a known preset; the message lists the known ones.
    """
    return Equipment(camera_preset(camera or settings.camera),
                     airframe_preset(airframe or settings.airframe))


def tlog_beside(store: str, out_dir: Path) -> Path:
    """The default .tlog of a flight: beside a SQLite store, else in the output folder.

    Why by default: a flight's full MAVLink record is what anyone asks for after an
    incident, and Mission Planner or MAVProxy replay it as it was flown.
    """
    text = store.removeprefix("sqlite://")
    folder = out_dir if "://" in text else Path(text).parent
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    path = folder / f"flight-{stamp}.tlog"
    n = 1
    while path.exists():  # two flights in the same second
        n += 1
        path = folder / f"flight-{stamp}-{n}.tlog"
    return path


def vehicle_speedup(vehicle: Vehicle) -> float:
    """The vehicle's SIM_SPEEDUP, or 1 when it has none (a real autopilot)."""
    try:
        value = vehicle.get_param("SIM_SPEEDUP", timeout_s=SPEEDUP_ANSWER_WITHIN_S, retries=1)
    except LinkError:
        return 1.0
    return value if value >= 1.0 else 1.0


def connect_station(drone: str, speedup: float | None, key: bytes | None,
                    tlog: Path | None = None) -> Vehicle:
    """Connect as the station does: paced for a simulator, signed when a key is set,
    every message in and out logged to ``tlog``.

    ``speedup`` None reads it from the vehicle (SIM_SPEEDUP; 1 for a real drone), so an
    operator never types the simulator's speed-up twice; a number overrides it.
    """
    if tlog is not None:
        tlog.parent.mkdir(parents=True, exist_ok=True)
    if speedup is None:
        with connect(drone, signing_key=key) as probe:
            speedup = vehicle_speedup(probe)
    return connect_paced(drone, speedup, signing_key=key, tlog_path=tlog)


def connect_ready(drone: str, speedup: float | None, key: bytes | None,
                  tlog: Path | None = None, *, ready_within_s: float = 120.0) -> Vehicle:
    """Connect as :func:`connect_station` does, then wait (wall seconds) until the drone
    passes its pre-arm checks; the connection is closed when it does not.

    Why before a patrol run: a drone still getting its GPS fix would otherwise fail the
    run at arming, after its plan and mission were made and recorded.

    Raises
    ------
    LinkError
        The drone cannot be reached, or is not ready within ``ready_within_s``.
    """
    vehicle = connect_station(drone, speedup, key, tlog)
    try:
        vehicle.wait_for(lambda s: s.prearm_ok, ready_within_s, "the drone ready")
    except BaseException:
        vehicle.close()
        raise
    return vehicle
