"""Flight time and battery energy of a path, from legs, speed, climbs and turns.

Why this model: it is the simulator's own current model (hover current raised by
drag at speed and by climbing), so predicted and simulated battery use agree, and
its parameters are the ones an operator can read off a real airframe's log.
An autopilot flying a 3D line slows down where the climb or descent rate would be
exceeded, and stops at each corner; both are counted.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from dronewatch.errors import preset
from dronewatch.planning.altitude import HeightPoint

__all__ = ["AIRFRAME_PRESETS", "Airframe", "LegCost", "airframe_preset", "cumulative_energy_wh",
           "path_cost"]


@dataclass(frozen=True, slots=True)
class Airframe:
    """What the drone can do and carry (defaults: a mid-size quad, 6S pack)."""

    cruise_speed_mps: float = 10.0
    climb_mps: float = 2.5
    descent_mps: float = 1.5
    accel_mps2: float = 2.5
    hover_current_a: float = 18.0
    pack_voltage_v: float = 23.0
    battery_mah: float = 24_000.0  # ~55 min hover: a large inspection quad (M300 class)
    reserve_fraction: float = 0.25

    @property
    def battery_wh(self) -> float:
        return self.battery_mah / 1000.0 * self.pack_voltage_v

    @property
    def usable_wh(self) -> float:
        """What may be spent on a sortie, keeping the reserve."""
        return self.battery_wh * (1.0 - self.reserve_fraction)

    @property
    def turn_s(self) -> float:
        """Time lost stopping at a corner and accelerating again."""
        return self.cruise_speed_mps / self.accel_mps2

    def power_w(self, airspeed_mps: float, climb_mps: float) -> float:
        current = self.hover_current_a * (1.0 + 0.004 * airspeed_mps**2
                                          + 0.12 * max(climb_mps, 0.0))
        return current * self.pack_voltage_v


#: Airframes a station names in its settings or a patrol (``airframe = "dji-m30t"``).
#: Hover current is the pack's energy over the maker's hover time, at the pack voltage;
#: the reserve is the station's, not the maker's.
AIRFRAME_PRESETS: dict[str, Airframe] = {
    "large-quad": Airframe(),
    # DJI Matrice 30T: two TB30 packs, 5,880 mAh 26.1 V each, ~36 min hover
    "dji-m30t": Airframe(cruise_speed_mps=10.0, climb_mps=3.0, descent_mps=2.0,
                         hover_current_a=19.5, pack_voltage_v=26.1, battery_mah=11_760.0),
    # DJI Mavic 3 Thermal: 5,000 mAh 15.4 V, ~38 min hover
    "dji-m3t": Airframe(cruise_speed_mps=8.0, climb_mps=3.0, descent_mps=2.0,
                        hover_current_a=7.9, pack_voltage_v=15.4, battery_mah=5_000.0),
    # DJI Matrice 350 RTK: two TB65 packs, 5,935 mAh 44.76 V each, ~50 min hover (H20T)
    "dji-m350": Airframe(cruise_speed_mps=10.0, climb_mps=3.0, descent_mps=2.0,
                         hover_current_a=14.2, pack_voltage_v=44.76, battery_mah=11_870.0),
}


def airframe_preset(name: str) -> Airframe:
    """An airframe by name.

    Raises
    ------
    UnknownPresetError
        No preset has that name; the message lists the known ones.
    """
    return preset(AIRFRAME_PRESETS, name, "airframe")


@dataclass(frozen=True, slots=True)
class LegCost:
    distance_m: float
    time_s: float
    energy_wh: float


def path_cost(points: Sequence[HeightPoint], airframe: Airframe) -> LegCost:
    """Distance, time and energy to fly ``points`` in order."""
    spent = _legs(points, airframe)
    return LegCost(sum(leg.distance_m for leg in spent), sum(leg.time_s for leg in spent),
                   sum(leg.energy_wh for leg in spent))


def cumulative_energy_wh(points: Sequence[HeightPoint], airframe: Airframe) -> list[float]:
    """Energy spent on arrival at each point, starting from 0 at the first."""
    out = [0.0]
    for leg in _legs(points, airframe):
        out.append(out[-1] + leg.energy_wh)
    return out


def _legs(points: Sequence[HeightPoint], airframe: Airframe) -> list[LegCost]:
    """Each leg's cost; a corner costs the stop-and-go time in proportion to its turn
    (nothing on a straight line, all of it on a U-turn)."""
    out = []
    for i, (a, b) in enumerate(itertools.pairwise(points)):
        turn = 1.0
        if i + 2 < len(points):
            c = points[i + 2]
            u = (b.east_m - a.east_m, b.north_m - a.north_m)
            v = (c.east_m - b.east_m, c.north_m - b.north_m)
            nu, nv = math.hypot(*u), math.hypot(*v)
            if nu > 0 and nv > 0:
                turn = (1.0 - (u[0] * v[0] + u[1] * v[1]) / (nu * nv)) / 2.0
        out.append(_leg(a, b, airframe, turn))
    return out


def _leg(a: HeightPoint, b: HeightPoint, airframe: Airframe, turn: float) -> LegCost:
    """One straight leg, slowed to the climb or descent rate where needed."""
    horizontal = math.hypot(b.east_m - a.east_m, b.north_m - a.north_m)
    rise = b.alt_amsl_m - a.alt_amsl_m
    rate = airframe.climb_mps if rise > 0 else airframe.descent_mps
    moving_s = max(horizontal / airframe.cruise_speed_mps, abs(rise) / rate)
    if moving_s <= 0:
        return LegCost(0.0, 0.0, 0.0)
    leg_s = moving_s + airframe.turn_s * turn
    power = airframe.power_w(horizontal / leg_s, rise / leg_s)
    return LegCost(math.hypot(horizontal, rise), leg_s, power * leg_s / 3600.0)
