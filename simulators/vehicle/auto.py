"""AUTO mode: running the stored mission item by item, as ArduCopter's mode_auto does.

Why it matters: dronewatch's plans are flown in AUTO, so the order of events a
ground station sees must be ArduCopter's: "Mission: N Name" when an item starts,
DO_* items run at once, MISSION_ITEM_REACHED only for NAV items (takeoff at height,
each waypoint, RTL and LAND once on the ground), MISSION_CURRENT as it moves, and at
the end of the list the copter holds position.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pymavlink.dialects.v20 import ardupilotmega as mav

from simulators.vehicle.missionitems import MissionItem
from simulators.vehicle.physics import Setpoint

if TYPE_CHECKING:
    from simulators.vehicle.flight import Landing, ReturnHome
    from simulators.vehicle.vehicle import SimVehicle

__all__ = ["AutoMission"]

NAMES = {
    16: "WP", 17: "LoitUnlim", 18: "LoitTurns", 19: "LoitTime", 20: "RTL", 21: "Land",
    22: "Takeoff", 31: "LoitAlt", 82: "SplineWP", 93: "NavDelay", 112: "CondDelay",
    115: "CondYaw", 177: "Jump", 178: "ChangeSpeed", 179: "SetHome", 195: "SetROI",
    197: "SetROINone", 201: "SetROI", 205: "MountControl", 206: "SetCamTriggDst",
    207: "FenceEnable", 1000: "GimbalPitchYaw", 2000: "ImageStartCapture",
    2001: "ImageStopCapture",
}
_WAYPOINTS = {mav.MAV_CMD_NAV_WAYPOINT, mav.MAV_CMD_NAV_SPLINE_WAYPOINT,
              mav.MAV_CMD_NAV_LOITER_TIME, mav.MAV_CMD_NAV_LOITER_UNLIM,
              mav.MAV_CMD_NAV_LOITER_TURNS, mav.MAV_CMD_NAV_LOITER_TO_ALT}
_NAV = _WAYPOINTS | {mav.MAV_CMD_NAV_TAKEOFF, mav.MAV_CMD_NAV_LAND,
                     mav.MAV_CMD_NAV_RETURN_TO_LAUNCH, mav.MAV_CMD_NAV_DELAY}


@dataclass
class _Nav:
    """The NAV item being flown."""

    item: MissionItem
    east_m: float
    north_m: float
    alt_amsl_m: float | None
    above_terrain_m: float | None = None  # terrain frames: follow the ground
    reached_at_s: float | None = None
    hold_s: float = 0.0
    follower: Landing | ReturnHome | None = None
    extra: dict[str, float] = field(default_factory=dict)


class AutoMission:
    """Mission state: the current item, jump counters, and whether the mission runs."""

    def __init__(self, v: SimVehicle) -> None:
        self.v = v
        self.current = 1
        self.running = False  # ArduCopter's "auto_armed": false until flying or MISSION_START
        self.nav: _Nav | None = None
        self.finished = False
        self._jumps: dict[int, int] = {}

    @property
    def items(self) -> list[MissionItem]:
        return self.v.mission.items(mav.MAV_MISSION_TYPE_MISSION)

    @property
    def landing_now(self) -> bool:
        follower = self.nav.follower if self.nav else None
        return follower is not None and getattr(follower, "landing_now", True)

    # -- entering, leaving, jumping ------------------------------------------------------
    def enter(self) -> str | None:
        """Checks on switching to AUTO; the refusal reason or None."""
        items = self.items
        if len(items) <= 1:
            return "Mission empty"
        v = self.v
        if v.armed and v.landed:
            first = next((i for i in items[1:] if i.command in _NAV), None)
            if first is None or first.command != mav.MAV_CMD_NAV_TAKEOFF:
                return "Missing Takeoff Cmd"
        self.running = v.armed and not v.landed
        if self.finished or self.current >= len(items):
            self.current = 1  # AP_Mission::resume(): a completed mission starts over
        self.finished = False
        self._jumps.clear()
        self.nav = None
        if self.running:
            self._start(self.current)
        return None

    def leave(self) -> None:
        self.nav = None
        self.running = False

    def start(self) -> None:
        """MISSION_START: let an armed copter on the ground begin."""
        self.running = True
        if self.finished:
            self.current = 1
        self.finished = False
        if self.nav is None:
            self._start(self.current)

    def set_current(self, seq: int) -> bool:
        if not 0 < seq < max(len(self.items), 2):
            return False
        self.current = seq
        self.finished = False
        if self.running:
            self._start(seq)
        self.v.mission_current_changed()
        return True

    def mission_changed(self) -> None:
        """A new mission arrived; in AUTO, restart the current command."""
        if not self.items or self.current >= len(self.items):
            self.current = 1
        if self.running:
            self.v.say(mav.MAV_SEVERITY_INFO, "Auto mission changed, restarted command")
            self._start(self.current)

    # -- the item sequence ---------------------------------------------------------------
    def _start(self, seq: int) -> None:
        """Run DO items from ``seq`` until a NAV item, and make that one current."""
        items = self.items
        guard = 0
        while seq < len(items) and guard < 10_000:
            guard += 1
            item = items[seq]
            self.current = seq
            name = NAMES.get(item.command, item.command)
            self.v.say(mav.MAV_SEVERITY_INFO, f"Mission: {seq} {name}")
            if item.command in _NAV:
                self.nav = self._nav_for(item)
                self.v.mission_current_changed()
                return
            seq = self._do(item, seq)
        self.nav = None
        self.finished = True
        self.v.mission_current_changed()
        if self.v.landed and self.v.armed:
            self.v.disarm()

    def _do(self, item: MissionItem, seq: int) -> int:
        """Execute a DO/CONDITION item; the next seq."""
        v = self.v
        c = item.command
        if c == mav.MAV_CMD_DO_JUMP:
            target, repeats = int(item.param1), int(item.param2)
            done = self._jumps.get(seq, 0)
            if repeats < 0 or done < repeats:
                self._jumps[seq] = done + 1
                return target
            return seq + 1
        if c == mav.MAV_CMD_DO_CHANGE_SPEED and item.param2 > 0:
            v.speed_mps = item.param2
        elif c == mav.MAV_CMD_DO_SET_CAM_TRIGG_DIST:
            v.camera.set_distance(item.param1, trigger_now=item.param3 == 1)
        elif c == mav.MAV_CMD_IMAGE_START_CAPTURE:
            v.camera.start_interval(item.param2, int(item.param3))
        elif c == mav.MAV_CMD_IMAGE_STOP_CAPTURE:
            v.camera.stop()
        elif c in (mav.MAV_CMD_DO_MOUNT_CONTROL,):
            v.gimbal.point(pitch_deg=item.param1, yaw_deg=item.param3)
        elif c == mav.MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW:
            v.gimbal.point(pitch_deg=item.param1, yaw_deg=item.param2)
        elif c in (mav.MAV_CMD_DO_SET_ROI_LOCATION, mav.MAV_CMD_DO_SET_ROI):
            v.set_roi(item.lat_deg, item.lon_deg, item.z, item.frame)
        elif c == mav.MAV_CMD_DO_SET_ROI_NONE:
            v.set_roi(0.0, 0.0, 0.0, item.frame)
        elif c == mav.MAV_CMD_CONDITION_YAW:
            v.condition_yaw(item.param1, item.param3, relative=item.param4 == 1)
        elif c == mav.MAV_CMD_DO_SET_HOME:
            v.set_home_from(item.param1 == 1, item.lat_deg, item.lon_deg, item.z)
        elif c == mav.MAV_CMD_DO_FENCE_ENABLE and "FENCE_ENABLE" in v.params:
            v.params.set("FENCE_ENABLE", 1 if item.param1 >= 1 else 0)
        return seq + 1

    def _nav_for(self, item: MissionItem) -> _Nav:
        v = self.v
        b = v.body
        if item.command == mav.MAV_CMD_NAV_RETURN_TO_LAUNCH:
            from simulators.vehicle.flight import ReturnHome

            return _Nav(item, b.east_m, b.north_m, None, follower=ReturnHome(v))
        has_place = item.command != mav.MAV_CMD_NAV_TAKEOFF and (item.x != 0 or item.y != 0)
        east, north = v.to_local(item.lat_deg, item.lon_deg) if has_place else (b.east_m,
                                                                                 b.north_m)
        nav = _Nav(item, east, north, None)
        if item.command == mav.MAV_CMD_NAV_DELAY:
            nav.hold_s = max(item.param1, 0.0)
            nav.alt_amsl_m = b.alt_amsl_m
            return nav
        terrain_frames = (mav.MAV_FRAME_GLOBAL_TERRAIN_ALT, mav.MAV_FRAME_GLOBAL_TERRAIN_ALT_INT)
        if item.frame in terrain_frames:
            nav.above_terrain_m = item.z
        elif item.command != mav.MAV_CMD_NAV_LAND and (item.z != 0 or item.command ==
                                                         mav.MAV_CMD_NAV_TAKEOFF):
            nav.alt_amsl_m = v.alt_amsl_from(item.frame, item.z)
        else:
            nav.alt_amsl_m = b.alt_amsl_m
        if item.command == mav.MAV_CMD_NAV_TAKEOFF:
            nav.east_m, nav.north_m = b.east_m, b.north_m
            if v.landed and v.armed:
                v.takeoff_started()
        if item.command in (mav.MAV_CMD_NAV_LOITER_TIME, mav.MAV_CMD_NAV_WAYPOINT,
                            mav.MAV_CMD_NAV_SPLINE_WAYPOINT):
            nav.hold_s = max(item.param1, 0.0)
        if item.command == mav.MAV_CMD_NAV_LOITER_TURNS:
            radius = abs(item.param3) or 10.0
            nav.hold_s = abs(item.param1) * 2 * math.pi * radius / max(v.speed_mps, 1.0)
        if item.command == mav.MAV_CMD_NAV_LOITER_UNLIM:
            nav.hold_s = math.inf
        return nav

    # -- each step -----------------------------------------------------------------------
    def setpoint(self) -> Setpoint:
        v = self.v
        b = v.body
        nav = self.nav
        if not self.running or nav is None:
            return Setpoint(b.east_m, b.north_m, None if v.landed else b.alt_amsl_m)
        if nav.follower is not None:
            return nav.follower.setpoint(v)
        alt = nav.alt_amsl_m
        if nav.above_terrain_m is not None:
            alt = v.terrain_db.ground_amsl(b.east_m, b.north_m) + nav.above_terrain_m
        dist = math.hypot(nav.east_m - b.east_m, nav.north_m - b.north_m)
        arrived = dist < v.params["WPNAV_RADIUS"] / 100.0 and abs((alt or 0) - b.alt_amsl_m) < 1.0
        if nav.reached_at_s is None and arrived:
            nav.reached_at_s = v.time_s
            self._reached(nav)
        if nav.reached_at_s is not None and v.time_s - nav.reached_at_s >= nav.hold_s:
            if nav.item.command == mav.MAV_CMD_NAV_LAND:
                from simulators.vehicle.flight import Landing

                nav.follower = Landing(nav.east_m, nav.north_m)
                return nav.follower.setpoint(v)
            self._start(self.current + 1)
            return self.setpoint()
        yaw = math.degrees(math.atan2(nav.east_m - b.east_m, nav.north_m - b.north_m))
        return Setpoint(nav.east_m, nav.north_m, alt, yaw_deg=yaw if dist > 5.0 else None)

    def _reached(self, nav: _Nav) -> None:
        if nav.item.command == mav.MAV_CMD_NAV_LAND:
            return  # reached once on the ground
        self.v.mission_reached(nav.item.seq, announce=nav.item.command in _WAYPOINTS)

    def touched_down(self) -> None:
        """RTL or LAND item finished on the ground."""
        if self.nav is not None:
            self.v.mission_reached(self.nav.item.seq, announce=False)
            self._start(self.current + 1)
