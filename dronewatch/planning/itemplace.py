"""Where a mission item goes: the place a file gives it, checked before it is flown.

Why one check for both file formats: a place a vehicle flies to that is null or NaN
must be refused, never read as 0 (sea level, Null Island: PX4 flies there, ArduPilot
takes 0,0 as "here"); QGroundControl leaves a terrain-following altitude null until it
has terrain data the file lacks. Items without a place (DO_*, RTL) keep 0 there.
"""

from __future__ import annotations

import math

from dronewatch.planning.errors import PlanningError

__all__ = ["item_place"]

#: NAV_WAYPOINT, _LOITER_UNLIM, _TURNS, _TIME, _LAND, _LOITER_TO_ALT, _ARC_WAYPOINT,
#: _SPLINE_WAYPOINT, _VTOL_LAND: flown to their x/y/z; NAV_TAKEOFF, _VTOL_TAKEOFF: to z
_FLOWN_TO, _TAKEOFFS = {16, 17, 18, 19, 21, 31, 36, 82, 85}, {22, 84}


def item_place(command: int, values: list[float], where: str,
               fields: tuple[str, ...]) -> tuple[int, int]:
    """x and y (degrees x 1e7) of an item from its lat, lon, alt ``values``; ``fields``
    name them in an error, which also names ``where`` (file and item or line)."""
    needed = (command in _FLOWN_TO,) * 2 + (command in _FLOWN_TO | _TAKEOFFS,)
    for value, field, need in zip(values, fields, needed, strict=True):
        if math.isinf(value):
            raise PlanningError(f"{where}, field {field}: {value} is not a coordinate")
        if need and math.isnan(value):
            raise PlanningError(f"{where}, field {field}: null or NaN, but command {command} "
                                "flies there; it cannot be guessed")
    lat, lon = (0.0 if math.isnan(v) else v for v in values[:2])
    for value, field, limit in ((lat, fields[0], 90), (lon, fields[1], 180)):
        if abs(value) > limit:
            raise PlanningError(f"{where}, field {field}: {value} is beyond +-{limit} degrees")
    return round(lat * 1e7), round(lon * 1e7)
