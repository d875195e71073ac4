"""Switching an uploaded geofence on, and proving it is on, by ArduPilot's parameters.

Why: uploading fence points does not enable the fence. On ArduCopter FENCE_ENABLE
stays 0 (the default) until set, and with it off the vehicle flies straight into an
uploaded exclusion zone (observed on ArduCopter 4.7 SITL). So after every fence upload
the station sets FENCE_TYPE (polygons and the altitude ceiling; not the 300 m home
circle, which a search beyond it would breach), FENCE_ACTION RTL and the ceiling, then
FENCE_ENABLE 1 (DO_FENCE_ENABLE when the parameter is refused), and reads every one
back: only the vehicle's own values count as proof.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from dronewatch.link._mavutil import MavCmd
from dronewatch.link.errors import CommandError, LinkError, ParamError

if TYPE_CHECKING:
    from dronewatch.link.vehicle import Vehicle

__all__ = ["FENCE_ACTION_RTL", "FenceError", "FenceSettings", "enable_fence", "read_fence"]

FENCE_TYPE_ALT_MAX = 1
FENCE_TYPE_CIRCLE = 2
FENCE_TYPE_POLYGON = 4
FENCE_TYPE_ALT_MIN = 8
FENCE_ACTION_RTL = 1
_WANTED_TYPE = FENCE_TYPE_ALT_MAX | FENCE_TYPE_POLYGON


class FenceError(LinkError):
    """The fence could not be switched on as asked; the message says which setting."""


@dataclass(frozen=True, slots=True)
class FenceSettings:
    """The fence parameters as the vehicle reports them."""

    enabled: bool
    fence_type: int  # FENCE_TYPE bits: 1 altitude max, 2 home circle, 4 polygons, 8 alt min
    action: int  # FENCE_ACTION: 1 = RTL
    alt_max_m: float  # FENCE_ALT_MAX, above home

    def problems(self, *, alt_max_m: float | None = None) -> list[str]:
        """Why this fence would not stop the vehicle at a no-fly zone (empty when it would)."""
        out = []
        if not self.enabled:
            out.append("the geofence is not enabled (FENCE_ENABLE 0)")
        if not self.fence_type & FENCE_TYPE_POLYGON:
            out.append(f"FENCE_TYPE {self.fence_type} leaves out the polygons (bit 4)")
        if not self.fence_type & FENCE_TYPE_ALT_MAX:
            out.append(f"FENCE_TYPE {self.fence_type} leaves out the ceiling (bit 1)")
        if self.action != FENCE_ACTION_RTL:
            out.append(f"FENCE_ACTION is {self.action}, not RTL ({FENCE_ACTION_RTL})")
        if alt_max_m is not None and abs(self.alt_max_m - alt_max_m) > 0.01:
            out.append(f"FENCE_ALT_MAX is {self.alt_max_m:g} m, not {alt_max_m:g} m")
        return out


def read_fence(vehicle: Vehicle) -> FenceSettings:
    """The vehicle's fence parameters, read one by one.

    Raises
    ------
    ParamError
        A parameter never came (e.g. a vehicle without ArduPilot's fence).
    """
    p = vehicle.get_params("FENCE_ENABLE", "FENCE_TYPE", "FENCE_ACTION", "FENCE_ALT_MAX")
    return FenceSettings(enabled=round(p["FENCE_ENABLE"]) == 1,
                         fence_type=round(p["FENCE_TYPE"]), action=round(p["FENCE_ACTION"]),
                         alt_max_m=p["FENCE_ALT_MAX"])


def enable_fence(vehicle: Vehicle, *, alt_max_m: float | None = None) -> FenceSettings:
    """Switch the uploaded fence on (polygons + ceiling, RTL on a breach), then verify.

    Raises
    ------
    FenceError
        A setting was refused or did not stick; the message names it.
    """
    settings: list[tuple[str, float]] = [("FENCE_TYPE", _WANTED_TYPE),
                                         ("FENCE_ACTION", FENCE_ACTION_RTL)]
    if alt_max_m is not None:
        settings.append(("FENCE_ALT_MAX", alt_max_m))
    try:
        for name, value in settings:
            vehicle.set_param(name, value)
    except ParamError as exc:
        raise FenceError(f"the fence cannot be set up: {exc}") from exc
    try:
        vehicle.set_param("FENCE_ENABLE", 1)
    except ParamError:
        try:  # a vehicle that refuses the parameter may still take the command
            vehicle.command(MavCmd.DO_FENCE_ENABLE, 1)
        except CommandError as exc:
            raise FenceError(f"the fence cannot be enabled: {exc}") from exc
    try:
        actual = read_fence(vehicle)
    except ParamError as exc:
        raise FenceError(f"the fence settings cannot be read back: {exc}") from exc
    problems = actual.problems(alt_max_m=alt_max_m)
    if problems:
        raise FenceError("the fence is not on as asked: " + "; ".join(problems))
    return actual
