"""Flight modes: what the simulated copter steers toward, step by step.

Why separate from the vehicle: the vehicle owns state and MAVLink; this owns the
behaviour of each mode as ArduCopter flies it. GUIDED takeoff and reposition, RTL
(climb to RTL_ALT, fly home, loiter RTL_LOIT_TIME, land, disarm), LAND (WPNAV_SPEED_DN
high up, LAND_SPEED for the last 10 m, disarm on touchdown) and hold-position for the
pilot modes, since no sticks exist here. AUTO is delegated to :mod:`.auto`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pymavlink.dialects.v20 import ardupilotmega as mav

from simulators.vehicle.auto import AutoMission
from simulators.vehicle.modes import ARMABLE, CopterMode
from simulators.vehicle.physics import Setpoint

if TYPE_CHECKING:
    from simulators.vehicle.vehicle import SimVehicle

__all__ = ["FlightController", "Landing", "ReturnHome"]

_LAND_SLOW_BELOW_M = 10.0


@dataclass
class Landing:
    """Descend and touch down at one spot."""

    east_m: float
    north_m: float

    def setpoint(self, v: SimVehicle) -> Setpoint:
        agl = v.body.alt_amsl_m - v.terrain_amsl(v.body.east_m, v.body.north_m)
        high = v.params["LAND_SPEED_HIGH"] or v.params["WPNAV_SPEED_DN"]
        speed = (v.params["LAND_SPEED"] if agl < _LAND_SLOW_BELOW_M else high) / 100.0
        ground = v.terrain_amsl(self.east_m, self.north_m)
        return Setpoint(self.east_m, self.north_m, ground - 5.0, descent_mps=speed)


class ReturnHome:
    """ArduCopter's RTL: climb to RTL_ALT (or stay higher), fly home, loiter, land."""

    def __init__(self, v: SimVehicle) -> None:
        rtl_alt = v.home.alt_amsl_m + v.params["RTL_ALT"] / 100.0
        self.cruise_alt_amsl_m = max(rtl_alt, v.body.alt_amsl_m)
        self.phase = "climb"
        self.loiter_until_s = 0.0
        self.landing = Landing(v.home.east_m, v.home.north_m)

    def setpoint(self, v: SimVehicle) -> Setpoint:
        b = v.body
        if self.phase == "climb":
            if self.cruise_alt_amsl_m - b.alt_amsl_m < 0.5:
                self.phase = "return"
            return Setpoint(b.east_m, b.north_m, self.cruise_alt_amsl_m)
        if self.phase == "return":
            dist = math.hypot(v.home.east_m - b.east_m, v.home.north_m - b.north_m)
            if dist < v.params["WPNAV_RADIUS"] / 100.0:
                self.phase = "loiter"
                self.loiter_until_s = v.time_s + v.params["RTL_LOIT_TIME"] / 1000.0
            bearing = math.degrees(math.atan2(v.home.east_m - b.east_m,
                                              v.home.north_m - b.north_m))
            return Setpoint(v.home.east_m, v.home.north_m, self.cruise_alt_amsl_m,
                            yaw_deg=bearing if dist > 5.0 else None)
        if self.phase == "loiter":
            if v.time_s >= self.loiter_until_s:
                self.phase = "land"
            return Setpoint(v.home.east_m, v.home.north_m, self.cruise_alt_amsl_m)
        return self.landing.setpoint(v)

    @property
    def landing_now(self) -> bool:
        return self.phase == "land"


class FlightController:
    """The current mode and the setpoint it gives each step."""

    def __init__(self, v: SimVehicle) -> None:
        self.v = v
        self.mode = CopterMode.STABILIZE
        self.hold: Setpoint | None = None
        self.rtl: ReturnHome | None = None
        self.landing: Landing | None = None
        self.auto = AutoMission(v)

    # -- mode changes ------------------------------------------------------------------
    def set_mode(self, mode: CopterMode) -> str | None:
        """Switch mode; the reason it was refused, or None."""
        v = self.v
        if mode in (CopterMode.AUTO, CopterMode.GUIDED, CopterMode.RTL, CopterMode.LOITER,
                    CopterMode.LAND, CopterMode.BRAKE, CopterMode.POSHOLD) and not v.ekf_ready:
            return "requires position"
        if mode is CopterMode.AUTO:
            reason = self.auto.enter()
            if reason:
                return reason
        self.mode = mode
        self.hold = None
        self.rtl = ReturnHome(v) if mode is CopterMode.RTL else None
        self.landing = Landing(v.body.east_m, v.body.north_m) if mode is CopterMode.LAND else None
        if mode is not CopterMode.AUTO:
            self.auto.leave()
        return None

    def arming_refusal(self) -> str | None:
        """Why the current mode may not be armed in, or None."""
        if self.mode in ARMABLE:
            return None
        if self.mode is CopterMode.AUTO and int(self.v.params["AUTO_OPTIONS"]) & 1:
            return None
        return f"{self.mode.name} mode not armable"

    # -- GUIDED commands ---------------------------------------------------------------
    def takeoff(self, alt_above_home_m: float) -> int:
        """NAV_TAKEOFF in GUIDED: a MAV_RESULT."""
        v = self.v
        if self.mode is not CopterMode.GUIDED or not v.armed or not v.landed:
            return mav.MAV_RESULT_FAILED
        if alt_above_home_m <= 0:
            return mav.MAV_RESULT_DENIED
        self.hold = Setpoint(v.body.east_m, v.body.north_m, v.home.alt_amsl_m + alt_above_home_m)
        v.takeoff_started()
        return mav.MAV_RESULT_ACCEPTED

    def reposition(self, east_m: float, north_m: float, alt_amsl_m: float | None,
                   yaw_deg: float | None) -> None:
        """Fly to a place and hold there (GUIDED)."""
        alt = alt_amsl_m if alt_amsl_m is not None else self.v.body.alt_amsl_m
        self.hold = Setpoint(east_m, north_m, alt, yaw_deg)

    # -- each step -----------------------------------------------------------------------
    @property
    def landing_now(self) -> bool:
        """Whether touching the ground now is a landing rather than a crash."""
        if self.landing is not None:
            return True
        if self.rtl is not None:
            return self.rtl.landing_now
        return self.mode is CopterMode.AUTO and self.auto.landing_now

    def setpoint(self) -> Setpoint:
        v = self.v
        b = v.body
        if self.mode is CopterMode.AUTO:
            return self.auto.setpoint()
        if self.rtl is not None:
            return self.rtl.setpoint(v)
        if self.landing is not None:
            return self.landing.setpoint(v)
        if self.hold is None:
            self.hold = Setpoint(b.east_m, b.north_m, b.alt_amsl_m)
        return self.hold

    def touched_down(self) -> None:
        """Landed in LAND, RTL or an AUTO landing: ArduCopter disarms."""
        if self.mode is CopterMode.AUTO:
            self.auto.touched_down()
        self.v.disarm()
