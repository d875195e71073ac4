"""A multicopter as a point mass with the limits of ArduCopter's position controller.

Why a point mass: what dronewatch needs from a vehicle is where it is, how fast it
gets there and how it is tilted (for georeferencing); rotor dynamics add nothing to
that. Speeds, accelerations, climb and descent rates and the yaw rate are limited
the way WPNAV_* and ATC_* limit a real copter, and the attitude is the tilt that
the acceleration (plus wind drag) needs.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

__all__ = ["Body", "Limits", "Setpoint", "Wind"]

GRAVITY_MPS2 = 9.80665
_DRAG_PER_MPS = 0.06  # horizontal drag acceleration per m/s of airspeed, 1/s


@dataclass(frozen=True, slots=True)
class Limits:
    """What the airframe and its controller allow, in SI units."""

    speed_mps: float = 10.0
    climb_mps: float = 2.5
    descent_mps: float = 1.5
    accel_mps2: float = 2.5
    yaw_rate_dps: float = 90.0


@dataclass(frozen=True, slots=True)
class Setpoint:
    """Where the controller steers: a position (east, north, alt AMSL) and a heading.

    ``hold_alt`` (None) keeps the current altitude; ``yaw_deg`` None keeps the heading.
    """

    east_m: float
    north_m: float
    alt_amsl_m: float | None = None
    yaw_deg: float | None = None
    descent_mps: float | None = None  # overrides the limit (landing)


class Wind:
    """A steady wind with seeded gusts (an Ornstein-Uhlenbeck process per axis)."""

    def __init__(self, speed_mps: float, from_deg: float, turbulence_mps: float, seed: int):
        self.speed_mps = speed_mps
        self.from_deg = from_deg
        self.turbulence_mps = turbulence_mps
        self._rng = random.Random(seed)
        self._gust = [0.0, 0.0]

    def step(self, dt_s: float) -> tuple[float, float]:
        """Wind velocity (north, east) in m/s after ``dt_s``: where the air moves to."""
        toward = math.radians(self.from_deg + 180.0)
        tau = 3.0
        for i in range(2):
            noise = self._rng.gauss(0.0, 1.0) * self.turbulence_mps * math.sqrt(2 * dt_s / tau)
            self._gust[i] += -self._gust[i] * dt_s / tau + noise
        return (
            self.speed_mps * math.cos(toward) + self._gust[0],
            self.speed_mps * math.sin(toward) + self._gust[1],
        )


@dataclass
class Body:
    """Mutable flight state in a local frame: metres east/north of the origin, AMSL altitude."""

    east_m: float
    north_m: float
    alt_amsl_m: float
    yaw_deg: float
    vn_mps: float = 0.0
    ve_mps: float = 0.0
    vd_mps: float = 0.0
    roll_deg: float = 0.0
    pitch_deg: float = 0.0
    yaw_rate_dps: float = 0.0
    airspeed_mps: float = 0.0

    @property
    def groundspeed_mps(self) -> float:
        return math.hypot(self.vn_mps, self.ve_mps)

    def stop(self) -> None:
        """Zero every rate: landed or crashed."""
        self.vn_mps = self.ve_mps = self.vd_mps = 0.0
        self.roll_deg = self.pitch_deg = self.yaw_rate_dps = 0.0

    def step(
        self, dt_s: float, target: Setpoint, limits: Limits, wind_ne: tuple[float, float]
    ) -> None:
        """Advance ``dt_s`` seconds steering toward ``target``."""
        # Horizontal: the speed that still lets us stop at the target, then the accel limit.
        dn, de = target.north_m - self.north_m, target.east_m - self.east_m
        dist = math.hypot(dn, de)
        want = min(limits.speed_mps, math.sqrt(2.0 * limits.accel_mps2 * dist), dist / dt_s)
        want_n, want_e = (dn / dist * want, de / dist * want) if dist > 1e-6 else (0.0, 0.0)
        an, ae = (want_n - self.vn_mps) / dt_s, (want_e - self.ve_mps) / dt_s
        accel = math.hypot(an, ae)
        if accel > limits.accel_mps2:
            an, ae = an / accel * limits.accel_mps2, ae / accel * limits.accel_mps2
        self.vn_mps += an * dt_s
        self.ve_mps += ae * dt_s
        # Vertical.
        if target.alt_amsl_m is not None:
            dz = target.alt_amsl_m - self.alt_amsl_m  # positive = climb
            down_limit = target.descent_mps or limits.descent_mps
            cap = limits.climb_mps if dz > 0 else down_limit
            want_up = math.copysign(min(cap, math.sqrt(2.0 * limits.accel_mps2 * abs(dz)),
                                        abs(dz) / dt_s), dz)
        else:
            want_up = 0.0
        up = -self.vd_mps
        up += max(-limits.accel_mps2 * dt_s, min(limits.accel_mps2 * dt_s, want_up - up))
        self.vd_mps = -up
        self.north_m += self.vn_mps * dt_s
        self.east_m += self.ve_mps * dt_s
        self.alt_amsl_m += up * dt_s
        # Heading, at the yaw-rate limit.
        if target.yaw_deg is not None:
            error = (target.yaw_deg - self.yaw_deg + 180.0) % 360.0 - 180.0
            turn = max(-limits.yaw_rate_dps * dt_s, min(limits.yaw_rate_dps * dt_s, error))
            self.yaw_rate_dps = turn / dt_s
            self.yaw_deg = (self.yaw_deg + turn) % 360.0
        else:
            self.yaw_rate_dps = 0.0
        # Attitude: tilt to give the acceleration and to hold against the wind's drag.
        air_n, air_e = self.vn_mps - wind_ne[0], self.ve_mps - wind_ne[1]
        self.airspeed_mps = math.hypot(air_n, air_e)
        fn = an + _DRAG_PER_MPS * air_n
        fe = ae + _DRAG_PER_MPS * air_e
        yaw = math.radians(self.yaw_deg)
        forward = fn * math.cos(yaw) + fe * math.sin(yaw)
        right = -fn * math.sin(yaw) + fe * math.cos(yaw)
        self.pitch_deg = -math.degrees(math.atan2(forward, GRAVITY_MPS2))
        self.roll_deg = math.degrees(math.atan2(right, GRAVITY_MPS2))
