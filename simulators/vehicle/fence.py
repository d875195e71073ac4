"""The geofence: uploaded polygons and circles, the altitude ceiling and the home circle.

Why: a fence breach is the last line of safety if a plan or a link goes wrong, and
dronewatch uploads the operating area as an inclusion fence and every no-fly zone as
an exclusion. Semantics follow ArduPilot's AC_Fence: FENCE_TYPE bits choose the
checks, the vehicle must stay inside every inclusion zone and outside every exclusion
zone, and a new breach triggers FENCE_ACTION once.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import shapely
from pymavlink.dialects.v20 import ardupilotmega as mav

from simulators.vehicle.missionitems import MissionItem
from simulators.vehicle.modes import CopterMode
from simulators.vehicle.px4 import breach_mode

if TYPE_CHECKING:
    from simulators.vehicle.vehicle import SimVehicle

__all__ = ["Fence", "fence_acts", "fence_failsafe", "fence_violation"]

ToLocal = Callable[[float, float], tuple[float, float]]


@dataclass
class Fence:
    """Fence geometry in the vehicle's local frame, and the breach state FENCE_STATUS reports."""

    inclusions: list[shapely.Geometry] = field(default_factory=list)
    exclusions: list[shapely.Geometry] = field(default_factory=list)
    breached: bool = False
    breach_count: int = 0
    breach_type: int = mav.FENCE_BREACH_NONE
    breach_time_ms: int = 0

    def load(self, items: list[MissionItem], to_local: ToLocal) -> None:
        """Rebuild polygons and circles from the stored fence items."""
        self.inclusions, self.exclusions = [], []
        i = 0
        while i < len(items):
            item = items[i]
            if item.command in (mav.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION,
                                mav.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION):
                count = int(item.param1)
                ring = [to_local(v.lat_deg, v.lon_deg) for v in items[i:i + count]]
                polygon = shapely.Polygon(ring).buffer(0)
                shapely.prepare(polygon)
                inclusion = item.command == mav.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION
                (self.inclusions if inclusion else self.exclusions).append(polygon)
                i += count
                continue
            if item.command in (mav.MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION,
                                mav.MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION):
                circle = shapely.Point(to_local(item.lat_deg, item.lon_deg)).buffer(
                    item.param1, quad_segs=32)
                shapely.prepare(circle)
                inclusion = item.command == mav.MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION
                (self.inclusions if inclusion else self.exclusions).append(circle)
            i += 1

    def violation(self, *, fence_type: int, east_m: float, north_m: float, alt_above_home_m: float,
                  home_distance_m: float, alt_max_m: float, alt_min_m: float,
                  radius_m: float) -> int:
        """The FENCE_BREACH type the position violates now (FENCE_BREACH_NONE if none)."""
        if fence_type & 1 and alt_above_home_m > alt_max_m:
            return mav.FENCE_BREACH_MAXALT
        if fence_type & 8 and alt_above_home_m < alt_min_m:
            return mav.FENCE_BREACH_MINALT
        if fence_type & 2 and home_distance_m > radius_m:
            return mav.FENCE_BREACH_BOUNDARY
        if fence_type & 4:
            point = shapely.Point(east_m, north_m)
            if any(not zone.covers(point) for zone in self.inclusions):
                return mav.FENCE_BREACH_BOUNDARY
            if any(zone.contains(point) for zone in self.exclusions):
                return mav.FENCE_BREACH_BOUNDARY
        return mav.FENCE_BREACH_NONE

    def update(self, violation: int, now_ms: int) -> bool:
        """Record the current violation; True on a new breach (the moment to act)."""
        if violation == mav.FENCE_BREACH_NONE:
            self.breached = False
            return False
        new = not self.breached
        self.breached = True
        self.breach_type = violation
        if new:
            self.breach_count += 1
            self.breach_time_ms = now_ms
        return new

    @staticmethod
    def home_distance(east_m: float, north_m: float, home_e: float, home_n: float) -> float:
        return math.hypot(east_m - home_e, north_m - home_n)


def fence_acts(v: SimVehicle) -> bool:
    """Whether an uploaded fence is enforced: ArduPilot with FENCE_ENABLE 1; PX4 (no
    switch) whenever GF_ACTION is not 0 (None)."""
    if v.config.autopilot == "PX4":
        return int(v.params["GF_ACTION"]) != 0
    return bool(int(v.params["FENCE_ENABLE"]))


def fence_violation(v: SimVehicle) -> int:
    """The breach the vehicle is in now, by its autopilot's fence parameters.

    PX4: uploaded polygons always count; GF_MAX_VER_DIST (above home) and
    GF_MAX_HOR_DIST (from home) only when above 0.
    """
    p, b, h = v.params, v.body, v.home
    if v.config.autopilot == "PX4":
        ceiling_m, radius_m = p["GF_MAX_VER_DIST"], p["GF_MAX_HOR_DIST"]
        fence_type = 4 | (1 if ceiling_m > 0 else 0) | (2 if radius_m > 0 else 0)
        limits = (ceiling_m, -math.inf, radius_m)
    else:
        fence_type = int(p["FENCE_TYPE"])
        limits = (p["FENCE_ALT_MAX"], p["FENCE_ALT_MIN"], p["FENCE_RADIUS"])
    return v.fence.violation(
        fence_type=fence_type, east_m=b.east_m, north_m=b.north_m,
        alt_above_home_m=b.alt_amsl_m - h.alt_amsl_m,
        home_distance_m=Fence.home_distance(b.east_m, b.north_m, h.east_m, h.north_m),
        alt_max_m=limits[0], alt_min_m=limits[1], radius_m=limits[2])


def fence_failsafe(v: SimVehicle, flying: bool) -> None:
    """Act once at a new breach: ArduPilot's FENCE_ACTION (1 RTL, 2 land), PX4's
    GF_ACTION (2 hold, 3 return, 5 land; 1 only warns)."""
    if not flying:
        v.fence.update(mav.FENCE_BREACH_NONE, v.time_boot_ms)
        return
    if not fence_acts(v) or not v.fence.update(fence_violation(v), v.time_boot_ms):
        return
    if v.config.autopilot == "PX4":
        v.say(mav.MAV_SEVERITY_CRITICAL, "Geofence violation")
        mode = breach_mode(int(v.params["GF_ACTION"]))
    else:
        v.say(mav.MAV_SEVERITY_CRITICAL, "Fence Breached")
        action = int(v.params["FENCE_ACTION"])
        mode = None if not action else CopterMode.LAND if action == 2 else CopterMode.RTL
    if mode is not None and v.flight.mode not in (CopterMode.RTL, CopterMode.LAND):
        v.flight.set_mode(mode)
