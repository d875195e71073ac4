"""The simulated autopilot's parameters, by ArduCopter's names and units.

Why ArduCopter's names: code (and people) that tune a real vehicle should tune the
simulator the same way. Defaults are ArduCopter 4.7's, except where a comment says
the simulator differs and why.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

__all__ = ["DEFAULT_PARAMS", "ParamSpec", "Params"]


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """A parameter's default and whether MAVLink should call it an integer."""

    default: float
    integer: bool = False


DEFAULT_PARAMS: dict[str, ParamSpec] = {
    "SYSID_THISMAV": ParamSpec(1, True),
    "MAV_GCS_SYSID": ParamSpec(255, True),
    "WPNAV_SPEED": ParamSpec(1000),  # cm/s
    "WPNAV_SPEED_UP": ParamSpec(250),
    "WPNAV_SPEED_DN": ParamSpec(150),
    "WPNAV_ACCEL": ParamSpec(250),  # cm/s/s
    "WPNAV_RADIUS": ParamSpec(200),  # cm
    "ATC_RATE_Y_MAX": ParamSpec(90),  # deg/s, yaw rate limit of the simulated airframe
    "RTL_ALT": ParamSpec(1500),  # cm
    "RTL_LOIT_TIME": ParamSpec(5000),  # ms
    "LAND_SPEED": ParamSpec(50),  # cm/s below 10 m
    "LAND_SPEED_HIGH": ParamSpec(0),  # cm/s above 10 m, 0 = WPNAV_SPEED_DN
    "DISARM_DELAY": ParamSpec(10, True),  # s armed on the ground before auto-disarm; 0 never
    "ARMING_CHECK": ParamSpec(1, True),
    "AUTO_OPTIONS": ParamSpec(0, True),
    "FS_GCS_ENABLE": ParamSpec(0, True),  # 1 = RTL
    "FS_GCS_TIMEOUT": ParamSpec(5),  # s
    "BATT_CAPACITY": ParamSpec(3300, True),  # mAh
    "BATT_LOW_VOLT": ParamSpec(0),
    "BATT_LOW_MAH": ParamSpec(0, True),
    "BATT_CRT_VOLT": ParamSpec(0),
    "BATT_CRT_MAH": ParamSpec(0, True),
    "BATT_FS_LOW_ACT": ParamSpec(0, True),  # 0 none, 1 land, 2 RTL
    "BATT_FS_CRT_ACT": ParamSpec(0, True),
    "BATT_LOW_TIMER": ParamSpec(10, True),  # s below the threshold before acting
    "FENCE_ENABLE": ParamSpec(0, True),  # an uploaded fence is enforced only when 1
    "FENCE_TYPE": ParamSpec(7, True),  # 1 alt max, 2 circle, 4 polygons, 8 alt min
    "FENCE_ACTION": ParamSpec(1, True),  # 1 = RTL (or land), 2 = land
    "FENCE_ALT_MAX": ParamSpec(100),  # m above home
    "FENCE_ALT_MIN": ParamSpec(-10),
    "FENCE_RADIUS": ParamSpec(300),  # m around home
    "FENCE_MARGIN": ParamSpec(2),
    "TERRAIN_ENABLE": ParamSpec(1, True),
    "TERRAIN_SPACING": ParamSpec(100, True),  # m between the posts asked of ground stations
    # The station's drones carry a triggered thermal camera; ArduCopter's default is
    # 0 (no camera, so DO_SET_CAM_TRIGG_DIST does nothing). Set 0 to get that back.
    # As on ArduCopter, a change takes effect only after a reboot (see SimVehicle.reboot).
    "CAM1_TYPE": ParamSpec(1, True),
    "SIM_SPEEDUP": ParamSpec(1),
    "SIM_WIND_SPD": ParamSpec(0),  # m/s
    "SIM_WIND_DIR": ParamSpec(180),  # deg, where the wind comes from
    "SIM_WIND_TURB": ParamSpec(0),  # m/s gust standard deviation
    "SIM_BATT_VOLTAGE": ParamSpec(25.2),  # full 6S pack
    "SIM_HOVER_AMPS": ParamSpec(18),  # current in a hover
}


class Params(Mapping[str, float]):
    """Name -> value, in a fixed order (MAVLink addresses parameters by index too).

    ``extra`` adds another autopilot's parameters and ``hidden`` takes names off the
    MAVLink list (a PX4 face has GF_* and no FENCE_*): a ground station can neither read
    nor set them, and inside the simulator they keep their defaults.
    """

    def __init__(self, overrides: Mapping[str, float] | None = None, *,
                 extra: Mapping[str, ParamSpec] | None = None,
                 hidden: frozenset[str] = frozenset()) -> None:
        self._specs = {**DEFAULT_PARAMS, **(extra or {})}
        self._hidden = hidden
        self._values = {name: float(spec.default) for name, spec in self._specs.items()}
        self._names = [name for name in self._values if name not in hidden]
        for name, value in (overrides or {}).items():
            self.set(name, value)

    def __getitem__(self, name: str) -> float:
        return self._values[name]

    def __contains__(self, name: object) -> bool:
        return name in self._values and name not in self._hidden

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def set(self, name: str, value: float) -> None:
        """Change a parameter; unknown names raise KeyError, as a vehicle ignores them."""
        if name not in self:
            raise KeyError(name)
        spec = self._specs[name]
        self._values[name] = float(round(value)) if spec.integer else float(value)

    def index(self, name: str) -> int:
        """Position of a parameter in the list."""
        return self._names.index(name)

    def name_at(self, index: int) -> str:
        """The parameter at a position; IndexError when out of range."""
        return self._names[index]

    def is_integer(self, name: str) -> bool:
        """Whether MAVLink should type it as an integer."""
        return self._specs[name].integer
