"""Switching an uploaded geofence on, and proving it is on, by ArduPilot's parameters.

Why: uploading fence points does not enable the fence. On ArduCopter FENCE_ENABLE
stays 0 (the default) until set, and with it off the vehicle flies straight into an
uploaded exclusion zone (observed on ArduCopter 4.7 SITL). So after every fence upload
the station sets FENCE_TYPE (polygons and the altitude ceiling; not the 300 m home
circle, which a search beyond it would breach), FENCE_ACTION RTL and the ceiling, then
FENCE_ENABLE 1 (DO_FENCE_ENABLE when the parameter is refused), and reads every one
back: only the vehicle's own values count as proof.

PX4 has no switch: an uploaded geofence is checked whenever GF_ACTION is not 0 (None),
and its default is 2 (Hold), which would leave a drone hovering at a no-fly zone's
edge. So on PX4 the station sets GF_ACTION 3 (Return), the ceiling as
GF_MAX_VER_DIST (metres above home, 0 = none) and GF_MAX_HOR_DIST 0 (no home circle,
as on ArduPilot), with PX4's bytewise integer encoding (:mod:`.px4params`), and reads
them back (names and values from PX4's src/modules/navigator/geofence_params.c).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from dronewatch.link._mavutil import MavCmd
from dronewatch.link.errors import CommandError, LinkError, ParamError
from dronewatch.link.modes import Flavour
from dronewatch.link.px4params import (
    PARAM_TYPE_INT32,
    PARAM_TYPE_REAL32,
    px4_get_params,
    px4_set_param,
)

if TYPE_CHECKING:
    from dronewatch.link.vehicle import Vehicle

__all__ = ["FENCE_ACTION_RTL", "GF_ACTION_RETURN", "FenceError", "FenceSettings",
           "enable_fence", "read_fence"]

FENCE_TYPE_ALT_MAX = 1
FENCE_TYPE_CIRCLE = 2
FENCE_TYPE_POLYGON = 4
FENCE_TYPE_ALT_MIN = 8
FENCE_ACTION_RTL = 1
_WANTED_TYPE = FENCE_TYPE_ALT_MAX | FENCE_TYPE_POLYGON
GF_ACTION_NONE = 0  # PX4: 0 None, 1 Warning, 2 Hold, 3 Return, 4 Terminate, 5 Land
GF_ACTION_RETURN = 3
_PX4_NAMES = ("GF_ACTION", "GF_MAX_VER_DIST", "GF_MAX_HOR_DIST")


class FenceError(LinkError):
    """The fence could not be switched on as asked; the message says which setting."""


@dataclass(frozen=True, slots=True)
class FenceSettings:
    """The fence parameters as the vehicle reports them.

    On PX4 the same fields come from its parameters: ``enabled`` is GF_ACTION != 0,
    ``fence_type`` has the polygon bit (uploaded polygons are always checked), the
    ceiling bit when GF_MAX_VER_DIST > 0 and the circle bit when GF_MAX_HOR_DIST > 0,
    ``action`` is GF_ACTION and ``alt_max_m`` GF_MAX_VER_DIST.
    """

    enabled: bool
    fence_type: int  # FENCE_TYPE bits: 1 altitude max, 2 home circle, 4 polygons, 8 alt min
    action: int  # FENCE_ACTION: 1 = RTL (PX4: GF_ACTION, 3 = Return)
    alt_max_m: float  # FENCE_ALT_MAX, above home (PX4: GF_MAX_VER_DIST)
    flavour: Flavour = Flavour.ARDUPILOT

    def problems(self, *, alt_max_m: float | None = None) -> list[str]:
        """Why this fence would not stop the vehicle at a no-fly zone (empty when it would)."""
        if self.flavour is Flavour.PX4:
            return self._px4_problems(alt_max_m)
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

    def _px4_problems(self, alt_max_m: float | None) -> list[str]:
        out = []
        if not self.enabled:
            out.append("the geofence does nothing on a breach (GF_ACTION 0)")
        elif self.action != GF_ACTION_RETURN:
            out.append(f"GF_ACTION is {self.action}, not Return ({GF_ACTION_RETURN})")
        if not self.fence_type & FENCE_TYPE_ALT_MAX:
            out.append("GF_MAX_VER_DIST is 0: no ceiling")
        if alt_max_m is not None and abs(self.alt_max_m - alt_max_m) > 0.01:
            out.append(f"GF_MAX_VER_DIST is {self.alt_max_m:g} m, not {alt_max_m:g} m")
        return out


def read_fence(vehicle: Vehicle) -> FenceSettings:
    """The vehicle's fence parameters (ArduPilot's FENCE_*, PX4's GF_*).

    Raises
    ------
    ParamError
        A parameter never came (e.g. a vehicle without that autopilot's fence).
    """
    if vehicle.state.flavour is Flavour.PX4:
        return _read_px4(vehicle)
    p = vehicle.get_params("FENCE_ENABLE", "FENCE_TYPE", "FENCE_ACTION", "FENCE_ALT_MAX")
    return FenceSettings(enabled=round(p["FENCE_ENABLE"]) == 1,
                         fence_type=round(p["FENCE_TYPE"]), action=round(p["FENCE_ACTION"]),
                         alt_max_m=p["FENCE_ALT_MAX"])


def _read_px4(vehicle: Vehicle) -> FenceSettings:
    p = {name: value for name, (value, _) in px4_get_params(vehicle, *_PX4_NAMES).items()}
    action = round(p["GF_ACTION"])
    fence_type = (FENCE_TYPE_POLYGON | (FENCE_TYPE_ALT_MAX if p["GF_MAX_VER_DIST"] > 0 else 0)
                  | (FENCE_TYPE_CIRCLE if p["GF_MAX_HOR_DIST"] > 0 else 0))
    return FenceSettings(enabled=action != GF_ACTION_NONE, fence_type=fence_type,
                         action=action, alt_max_m=p["GF_MAX_VER_DIST"], flavour=Flavour.PX4)


def _enable_px4(vehicle: Vehicle, alt_max_m: float | None) -> None:
    """GF_ACTION Return, the ceiling, no home circle: each of the type PX4 reports."""
    types = {name: kind for name, (_, kind) in px4_get_params(vehicle, *_PX4_NAMES).items()}
    settings: list[tuple[str, float]] = [("GF_MAX_HOR_DIST", 0.0)]
    if alt_max_m is not None:
        settings.append(("GF_MAX_VER_DIST", alt_max_m))
    settings.append(("GF_ACTION", GF_ACTION_RETURN))  # last: the fence acts from here on
    for name, value in settings:
        default = PARAM_TYPE_INT32 if name == "GF_ACTION" else PARAM_TYPE_REAL32
        px4_set_param(vehicle, name, value, types.get(name, default))


def enable_fence(vehicle: Vehicle, *, alt_max_m: float | None = None) -> FenceSettings:
    """Switch the uploaded fence on (polygons + ceiling, RTL on a breach), then verify.

    ArduPilot: FENCE_TYPE, FENCE_ACTION, FENCE_ALT_MAX, FENCE_ENABLE; PX4: GF_ACTION 3,
    GF_MAX_VER_DIST, GF_MAX_HOR_DIST 0 (see the module's notes).

    Raises
    ------
    FenceError
        A setting was refused or did not stick; the message names it.
    """
    if vehicle.state.flavour is Flavour.PX4:
        try:
            _enable_px4(vehicle, alt_max_m)
        except ParamError as exc:
            raise FenceError(f"the PX4 geofence cannot be set up: {exc}") from exc
        return _verified(vehicle, alt_max_m)
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
    return _verified(vehicle, alt_max_m)


def _verified(vehicle: Vehicle, alt_max_m: float | None) -> FenceSettings:
    """The fence as read back; only the vehicle's own values count as proof."""
    try:
        actual = read_fence(vehicle)
    except ParamError as exc:
        raise FenceError(f"the fence settings cannot be read back: {exc}") from exc
    problems = actual.problems(alt_max_m=alt_max_m)
    if problems:
        raise FenceError("the fence is not on as asked: " + "; ".join(problems))
    return actual
