"""Mission, fence and rally items as the simulated autopilot stores and reads them back.

Why a module of its own: what a vehicle accepts (commands, frames), how it reports
items back (ArduPilot returns frames in non-INT form and drops unused coordinates)
and what a fence upload must look like are facts of ArduPilot's behaviour that both
the transfer protocol and the mission executor depend on.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pymavlink.dialects.v20 import ardupilotmega as mav

__all__ = [
    "FENCE_COMMANDS",
    "LOCATION_COMMANDS",
    "MISSION_COMMANDS",
    "MissionItem",
    "check_fence",
    "check_item",
    "read_back",
]

NAV_COMMANDS = {
    mav.MAV_CMD_NAV_WAYPOINT, mav.MAV_CMD_NAV_LOITER_UNLIM, mav.MAV_CMD_NAV_LOITER_TURNS,
    mav.MAV_CMD_NAV_LOITER_TIME, mav.MAV_CMD_NAV_RETURN_TO_LAUNCH, mav.MAV_CMD_NAV_LAND,
    mav.MAV_CMD_NAV_TAKEOFF, mav.MAV_CMD_NAV_SPLINE_WAYPOINT, mav.MAV_CMD_NAV_DELAY,
    mav.MAV_CMD_NAV_LOITER_TO_ALT,
}
#: Commands whose x/y are a place; the rest are read back with x = y = 0.
LOCATION_COMMANDS = NAV_COMMANDS - {mav.MAV_CMD_NAV_RETURN_TO_LAUNCH, mav.MAV_CMD_NAV_DELAY,
                                    mav.MAV_CMD_NAV_TAKEOFF} | {
    mav.MAV_CMD_DO_SET_ROI_LOCATION, mav.MAV_CMD_DO_SET_ROI, mav.MAV_CMD_DO_SET_HOME,
}
MISSION_COMMANDS = NAV_COMMANDS | {
    mav.MAV_CMD_CONDITION_DELAY, mav.MAV_CMD_CONDITION_DISTANCE, mav.MAV_CMD_CONDITION_YAW,
    mav.MAV_CMD_DO_JUMP, mav.MAV_CMD_DO_CHANGE_SPEED, mav.MAV_CMD_DO_SET_HOME,
    mav.MAV_CMD_DO_SET_RELAY, mav.MAV_CMD_DO_REPEAT_RELAY, mav.MAV_CMD_DO_SET_SERVO,
    mav.MAV_CMD_DO_REPEAT_SERVO, mav.MAV_CMD_DO_SET_ROI_LOCATION, mav.MAV_CMD_DO_SET_ROI,
    mav.MAV_CMD_DO_SET_ROI_NONE, mav.MAV_CMD_DO_DIGICAM_CONTROL, mav.MAV_CMD_DO_MOUNT_CONTROL,
    mav.MAV_CMD_DO_SET_CAM_TRIGG_DIST, mav.MAV_CMD_DO_FENCE_ENABLE,
    mav.MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW, mav.MAV_CMD_IMAGE_START_CAPTURE,
    mav.MAV_CMD_IMAGE_STOP_CAPTURE, mav.MAV_CMD_DO_LAND_START, mav.MAV_CMD_DO_GRIPPER,
    mav.MAV_CMD_DO_PARACHUTE, mav.MAV_CMD_DO_AUX_FUNCTION,
}
FENCE_COMMANDS = {
    mav.MAV_CMD_NAV_FENCE_RETURN_POINT, mav.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION,
    mav.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION, mav.MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION,
    mav.MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION,
}
RALLY_COMMANDS = {mav.MAV_CMD_NAV_RALLY_POINT}
_GLOBAL_FRAMES = {
    mav.MAV_FRAME_GLOBAL, mav.MAV_FRAME_GLOBAL_RELATIVE_ALT, mav.MAV_FRAME_GLOBAL_INT,
    mav.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT, mav.MAV_FRAME_GLOBAL_TERRAIN_ALT,
    mav.MAV_FRAME_GLOBAL_TERRAIN_ALT_INT,
}
_NON_INT = {
    mav.MAV_FRAME_GLOBAL_INT: mav.MAV_FRAME_GLOBAL,
    mav.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT: mav.MAV_FRAME_GLOBAL_RELATIVE_ALT,
    mav.MAV_FRAME_GLOBAL_TERRAIN_ALT_INT: mav.MAV_FRAME_GLOBAL_TERRAIN_ALT,
}


@dataclass(frozen=True, slots=True)
class MissionItem:
    """One item as MISSION_ITEM_INT carries it: x/y are degrees x 1e7 for places."""

    seq: int
    frame: int
    command: int
    param1: float = 0.0
    param2: float = 0.0
    param3: float = 0.0
    param4: float = 0.0
    x: int = 0
    y: int = 0
    z: float = 0.0
    autocontinue: int = 1
    mission_type: int = mav.MAV_MISSION_TYPE_MISSION

    @property
    def lat_deg(self) -> float:
        return self.x / 1e7

    @property
    def lon_deg(self) -> float:
        return self.y / 1e7

    @classmethod
    def from_message(cls, msg: mav.MAVLink_message) -> MissionItem:
        """From MISSION_ITEM_INT, or legacy float MISSION_ITEM (degrees in x/y)."""
        if msg.get_type() == "MISSION_ITEM":
            x, y = round(msg.x * 1e7), round(msg.y * 1e7)
        else:
            x, y = msg.x, msg.y
        return cls(msg.seq, msg.frame, msg.command, msg.param1, msg.param2, msg.param3,
                   msg.param4, x, y, msg.z, msg.autocontinue,
                   getattr(msg, "mission_type", mav.MAV_MISSION_TYPE_MISSION))


def check_item(item: MissionItem) -> int:
    """MAV_MISSION_ACCEPTED, or the MAV_MISSION_RESULT error ArduPilot gives for it."""
    allowed = {
        mav.MAV_MISSION_TYPE_MISSION: MISSION_COMMANDS,
        mav.MAV_MISSION_TYPE_FENCE: FENCE_COMMANDS,
        mav.MAV_MISSION_TYPE_RALLY: RALLY_COMMANDS,
    }[item.mission_type]
    if item.command not in allowed:
        return mav.MAV_MISSION_UNSUPPORTED
    places = item.command in LOCATION_COMMANDS or item.mission_type != mav.MAV_MISSION_TYPE_MISSION
    frames = _GLOBAL_FRAMES if places else _GLOBAL_FRAMES | {mav.MAV_FRAME_MISSION}
    if item.frame not in frames:
        return mav.MAV_MISSION_UNSUPPORTED_FRAME
    if places and item.command not in (mav.MAV_CMD_DO_SET_HOME,):
        if not -90e7 <= item.x <= 90e7:
            return mav.MAV_MISSION_INVALID_PARAM5_X
        if not -180e7 <= item.y <= 180e7:
            return mav.MAV_MISSION_INVALID_PARAM6_Y
    return mav.MAV_MISSION_ACCEPTED


def check_fence(items: list[MissionItem]) -> int:
    """Polygon vertices must come in runs as long as the count each vertex states."""
    vertex = (mav.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION,
              mav.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION)
    i = 0
    while i < len(items):
        item = items[i]
        if item.command in vertex:
            count = int(item.param1)
            run = items[i:i + count]
            if count < 3 or len(run) < count or any(
                v.command != item.command or int(v.param1) != count for v in run
            ):
                return mav.MAV_MISSION_INVALID_PARAM1
            i += count
            continue
        if item.command in (mav.MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION,
                            mav.MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION) and item.param1 <= 0:
            return mav.MAV_MISSION_INVALID_PARAM1
        i += 1
    return mav.MAV_MISSION_ACCEPTED


def read_back(item: MissionItem) -> MissionItem:
    """How ArduPilot reports a stored item (observed on ArduCopter 4.7 SITL).

    Missions: non-INT frames, unused x/y zeroed, DO_* items in frame 0 (GLOBAL),
    NAV_LOITER_TIME param3 0 as 1 and NAV_LAND param4 0 as 1. Fence and rally items:
    non-INT frames and autocontinue 0; fence altitudes are not stored (z 0).
    """
    frame = _NON_INT.get(item.frame, item.frame)
    if item.mission_type == mav.MAV_MISSION_TYPE_FENCE:
        return replace(item, frame=frame, autocontinue=0, z=0.0)
    if item.mission_type != mav.MAV_MISSION_TYPE_MISSION:
        return replace(item, frame=frame, autocontinue=0)
    if item.command == mav.MAV_CMD_NAV_LOITER_TIME and item.param3 == 0:
        item = replace(item, param3=1.0)
    if item.command == mav.MAV_CMD_NAV_LAND and item.param4 == 0:
        item = replace(item, param4=1.0)
    if item.command in LOCATION_COMMANDS:
        return replace(item, frame=frame)
    if item.command == mav.MAV_CMD_NAV_TAKEOFF:
        return replace(item, frame=frame, x=0, y=0)
    return replace(item, frame=mav.MAV_FRAME_GLOBAL, x=0, y=0, z=0.0)
