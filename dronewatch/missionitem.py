"""Mission items as plain data: what planning produces and the link uploads.

Why a neutral module: planning and link must not import each other (see
ARCHITECTURE.md), yet both speak in MAVLink mission items. This module has no
dependencies; numbers are MAVLink's (MAV_CMD, MAV_FRAME, MAV_MISSION_TYPE) so files
and vehicles agree on them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum

__all__ = ["Cmd", "Frame", "MissionItem", "MissionType"]


class MissionType(IntEnum):
    """Which list an item belongs to (MAV_MISSION_TYPE)."""

    MISSION = 0
    FENCE = 1
    RALLY = 2


class Frame(IntEnum):
    """The MAV_FRAMEs mission items use."""

    GLOBAL = 0  # altitude AMSL
    MISSION = 2  # no position (DO_* items)
    GLOBAL_RELATIVE_ALT = 3  # altitude above home
    GLOBAL_INT = 5
    GLOBAL_RELATIVE_ALT_INT = 6
    GLOBAL_TERRAIN_ALT = 10  # altitude above terrain
    GLOBAL_TERRAIN_ALT_INT = 11


class Cmd(IntEnum):
    """The MAV_CMDs dronewatch plans with."""

    NAV_WAYPOINT = 16
    NAV_LOITER_UNLIM = 17
    NAV_LOITER_TIME = 19
    NAV_RETURN_TO_LAUNCH = 20
    NAV_LAND = 21
    NAV_TAKEOFF = 22
    CONDITION_YAW = 115
    DO_JUMP = 177
    DO_CHANGE_SPEED = 178
    DO_SET_ROI_LOCATION = 195
    DO_SET_ROI_NONE = 197
    DO_MOUNT_CONTROL = 205
    DO_SET_CAM_TRIGG_DIST = 206
    DO_FENCE_ENABLE = 207
    DO_GIMBAL_MANAGER_PITCHYAW = 1000
    NAV_FENCE_RETURN_POINT = 5000
    NAV_FENCE_POLYGON_VERTEX_INCLUSION = 5001
    NAV_FENCE_POLYGON_VERTEX_EXCLUSION = 5002
    NAV_FENCE_CIRCLE_INCLUSION = 5003
    NAV_FENCE_CIRCLE_EXCLUSION = 5004
    NAV_RALLY_POINT = 5100


#: Frames that are the same thing in float and int form (ArduPilot reads back non-INT).
_SAME_FRAME = {5: 0, 6: 3, 11: 10}


@dataclass(frozen=True, slots=True)
class MissionItem:
    """One MISSION_ITEM_INT: places are degrees x 1e7 in ``x``/``y``, ``z`` in the frame's metres.

    The sequence number is its position in the list it is uploaded with.
    """

    command: int
    frame: int = Frame.GLOBAL_RELATIVE_ALT_INT
    param1: float = 0.0
    param2: float = 0.0
    param3: float = 0.0
    param4: float = 0.0
    x: int = 0
    y: int = 0
    z: float = 0.0
    autocontinue: bool = True

    def __post_init__(self) -> None:
        for name in ("param1", "param2", "param3", "param4", "z"):
            value = getattr(self, name)
            if not isinstance(value, int | float):
                raise TypeError(f"MissionItem.{name} must be a number")
        if abs(self.x) > 900_000_000 or abs(self.y) > 1_800_000_000:
            raise ValueError(f"MissionItem position x={self.x} y={self.y} is not lat/lon x 1e7")

    @classmethod
    def at(cls, command: int, lat_deg: float, lon_deg: float, z: float,
           frame: int = Frame.GLOBAL_RELATIVE_ALT_INT, *params: float) -> MissionItem:
        """An item at a place, e.g. ``MissionItem.at(Cmd.NAV_WAYPOINT, 44.7, 88.6, 60)``."""
        p = [*params, 0.0, 0.0, 0.0, 0.0][:4]
        return cls(int(command), int(frame), *p, x=round(lat_deg * 1e7), y=round(lon_deg * 1e7),
                   z=float(z))

    @property
    def lat_deg(self) -> float:
        return self.x / 1e7

    @property
    def lon_deg(self) -> float:
        return self.y / 1e7

    def matches(self, other: MissionItem) -> bool:
        """Whether ``other`` is this item as a vehicle reads it back.

        ArduPilot returns frames in non-INT form, and for items without a place (DO_*,
        RTL, takeoff) it returns frame 0 and zeros where nothing is stored; those are
        tolerated. Items at a place must come back at exactly that place. Parameters
        are compared as float32, as MAVLink carries them.
        """
        if self.command != other.command:
            return False
        for a, b in zip((self.param1, self.param2, self.param3, self.param4),
                        (other.param1, other.param2, other.param3, other.param4), strict=True):
            if not (math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6)
                    or (math.isnan(a) and math.isnan(b))):
                return False
        mine = _SAME_FRAME.get(self.frame, self.frame)
        theirs = _SAME_FRAME.get(other.frame, other.frame)
        if self.command in _PLACED:
            return (mine == theirs and (self.x, self.y) == (other.x, other.y)
                    and math.isclose(self.z, other.z, abs_tol=1e-3))
        frame_ok = mine == theirs or theirs == Frame.GLOBAL
        place_ok = (other.x, other.y) in ((0, 0), (self.x, self.y))
        z_ok = other.z == 0 or math.isclose(self.z, other.z, abs_tol=1e-3)
        return frame_ok and place_ok and z_ok


#: Commands whose x/y are a place that must survive a round trip.
_PLACED = {16, 17, 18, 19, 21, 31, 82, 195, 201, 5000, 5001, 5002, 5003, 5004, 5100}
