"""One simulated ArduCopter: state, MAVLink I/O, and one physics step at a time.

Why one class: a vehicle is a stateful thing with sockets, so it is a context
manager; its behaviours (modes, AUTO, mission protocol, commands, telemetry) live in
sibling modules and reach back through the small surface here.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from pymavlink.dialects.v20 import ardupilotmega as mav

from dronewatch.config import default_dem_path
from dronewatch.geo import LocalFrame, Terrain
from simulators.vehicle import commands, failsafes
from simulators.vehicle.battery import Battery
from simulators.vehicle.config import VehicleConfig
from simulators.vehicle.fence import Fence, fence_acts, fence_failsafe, fence_violation
from simulators.vehicle.flight import FlightController
from simulators.vehicle.link import VehicleLink
from simulators.vehicle.missionitems import MissionItem
from simulators.vehicle.missionproto import MissionServer
from simulators.vehicle.payload import Camera, Gimbal
from simulators.vehicle.physics import Body, Limits, Wind
from simulators.vehicle.px4 import params_for
from simulators.vehicle.telemetry import BUILDERS, TelemetrySchedule, camera_feedback_message
from simulators.vehicle.terrain import TerrainDatabase

__all__ = ["Home", "SimVehicle"]

_PREARM_REPEAT_S = 30.0


@dataclass
class Home:
    """Home position in WGS84 and in the vehicle's local frame."""

    lat_deg: float
    lon_deg: float
    alt_amsl_m: float
    east_m: float
    north_m: float


class SimVehicle:
    """A copter that flies and talks MAVLink 2 like ArduCopter SITL."""

    def __init__(self, config: VehicleConfig) -> None:
        self.config = config
        self.sysid = config.sysid
        self.params = params_for(config)
        spec = config.home
        self.frame = LocalFrame(spec.lat_deg, spec.lon_deg)
        dem = config.dem_path or default_dem_path()
        self.terrain = Terrain(dem) if dem.exists() else None
        ground = self._ground_at_wgs84(spec.lat_deg, spec.lon_deg)
        alt = spec.alt_amsl_m if spec.alt_amsl_m is not None else ground
        if math.isnan(alt):
            raise ValueError("home altitude unknown: give ALT_AMSL or a home inside the DEM")
        self.home = Home(spec.lat_deg, spec.lon_deg, alt, 0.0, 0.0)
        self.body = Body(0.0, 0.0, max(alt, ground if not math.isnan(ground) else alt),
                         spec.heading_deg % 360.0)
        self.battery = Battery(self.params["BATT_CAPACITY"], self.params["SIM_BATT_VOLTAGE"])
        self.wind = Wind(self.params["SIM_WIND_SPD"], self.params["SIM_WIND_DIR"],
                         self.params["SIM_WIND_TURB"], config.seed)
        self.gimbal, self.camera, self.fence = Gimbal(), Camera(), Fence()
        self.link = VehicleLink(config, self.handle)
        self.mission = MissionServer(self.send, self.say, self._home_item, self._on_stored)
        self.flight = FlightController(self)
        self.terrain_db = TerrainDatabase(self)  # what ground stations served (TERRAIN_DATA)
        self.schedule = TelemetrySchedule()
        self.time_s = 0.0
        self.boot_s = 0.0  # vehicle time of the last (re)boot: the uptime counts from here
        self.start_unix_s = time.time()
        # CAM1_TYPE as it was at boot: ArduPilot sets its camera up once, at boot, so a
        # changed CAM1_TYPE takes effect only after MAV_CMD_PREFLIGHT_REBOOT_SHUTDOWN.
        self.camera_type = int(self.params["CAM1_TYPE"])
        self.armed = False
        self.landed = True
        self.crashed = False
        self.speed_mps = self.params["WPNAV_SPEED"] / 100.0
        self.yaw_override_deg: float | None = None
        self.home_set = False
        self.failsafe: set[str] = set()
        self.last_gcs_heartbeat_s: float | None = None
        self._armed_on_ground_s = 0.0
        self._low_since_s: dict[str, float] = {}
        self._next_prearm_s = 0.0
        self._ekf_announced = False

    # -- resources ---------------------------------------------------------------------
    def close(self) -> None:
        self.link.close()
        if self.terrain is not None:
            self.terrain.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- derived state -------------------------------------------------------------------
    @property
    def uptime_s(self) -> float:
        """Vehicle seconds since the last (re)boot."""
        return self.time_s - self.boot_s

    @property
    def gps_fix_type(self) -> int:
        return 3 if self.uptime_s >= 0.25 * self.config.boot_time_s else 0

    @property
    def ekf_ready(self) -> bool:
        return self.uptime_s >= self.config.boot_time_s

    @property
    def time_boot_ms(self) -> int:
        return int(self.uptime_s * 1000)

    @property
    def time_usec(self) -> int:
        return int((self.start_unix_s + self.time_s) * 1e6)

    @property
    def link_errors(self) -> int:
        return self.link.errors

    @property
    def system_status(self) -> int:
        if self.crashed:
            return mav.MAV_STATE_EMERGENCY
        if self.failsafe:
            return mav.MAV_STATE_CRITICAL
        return mav.MAV_STATE_STANDBY if self.landed else mav.MAV_STATE_ACTIVE

    @property
    def landed_state(self) -> int:
        if self.landed:
            return mav.MAV_LANDED_STATE_ON_GROUND
        if self.flight.landing_now:
            return mav.MAV_LANDED_STATE_LANDING
        return mav.MAV_LANDED_STATE_IN_AIR

    def position_wgs84(self) -> tuple[float, float]:
        lat, lon = self.frame.to_wgs84(self.body.east_m, self.body.north_m)
        return float(lat), float(lon)

    def to_local(self, lat_deg: float, lon_deg: float) -> tuple[float, float]:
        east, north = self.frame.to_local(lat_deg, lon_deg)
        return float(east), float(north)

    def _ground_at_wgs84(self, lat_deg: float, lon_deg: float) -> float:
        if self.terrain is None:
            return math.nan
        return self.terrain.elevation_at(lat_deg, lon_deg)

    def terrain_amsl(self, east_m: float, north_m: float) -> float:
        """Ground height below a local point; flat at home height off the DEM."""
        lat, lon = self.frame.to_wgs84(east_m, north_m)
        ground = self._ground_at_wgs84(float(lat), float(lon))
        return self.home.alt_amsl_m if math.isnan(ground) else ground

    def alt_amsl_from(self, frame: int, z: float) -> float:
        """An item's altitude in its frame, as metres AMSL here and now."""
        if frame in (mav.MAV_FRAME_GLOBAL, mav.MAV_FRAME_GLOBAL_INT):
            return z
        if frame in (mav.MAV_FRAME_GLOBAL_TERRAIN_ALT, mav.MAV_FRAME_GLOBAL_TERRAIN_ALT_INT):
            return self.terrain_amsl(self.body.east_m, self.body.north_m) + z
        return self.home.alt_amsl_m + z

    # -- talking ---------------------------------------------------------------------------
    def send(self, msg: mav.MAVLink_message, peer: object = None) -> None:
        self.link.send(msg, peer, self.time_s)

    def say(self, severity: int, text: str) -> None:
        self.send(mav.MAVLink_statustext_message(severity, text.encode()[:50], 0, 0))

    def handle(self, msg: mav.MAVLink_message, peer: object) -> None:
        """Dispatch one message from a ground station."""
        target = getattr(msg, "target_system", 0)
        if target not in (0, self.sysid) and msg.get_type() != "HEARTBEAT":
            return
        if msg.get_type() == "HEARTBEAT":
            if msg.get_srcSystem() == int(self.params["MAV_GCS_SYSID"]):
                self.last_gcs_heartbeat_s = self.time_s
            return
        if self.mission.handle(msg, peer, self.time_s):
            return
        commands.handle(self, msg, peer)

    # -- events from modes and commands ---------------------------------------------------
    def arm(self, force: bool = False) -> str | None:
        """Arm, or the reason not (ArduCopter's "Arm: ..." text without the prefix)."""
        if self.armed:
            return None
        reason = None if force else self.prearm_failure()
        reason = reason or self.flight.arming_refusal()
        if reason:
            return reason
        self.armed = True
        self._armed_on_ground_s = self.time_s
        return None

    def prearm_failure(self) -> str | None:
        if not int(self.params["ARMING_CHECK"]):
            return None
        boot = self.config.boot_time_s
        if self.uptime_s < 0.1 * boot:
            return "System not initialised"
        if self.gps_fix_type < 3:
            return "Need Position Estimate"
        if not self.home_set:
            return "AHRS: waiting for home"
        if not self.ekf_ready:
            return "Need Position Estimate"
        if fence_acts(self) and fence_violation(self) != mav.FENCE_BREACH_NONE:
            return "Fence: vehicle outside fence"
        return self.terrain_db.prearm_failure()

    def disarm(self) -> None:
        if self.armed:
            self.armed = False
            self.say(mav.MAV_SEVERITY_INFO, "Disarming motors")

    def takeoff_started(self) -> None:
        self.landed = False

    def set_home_from(self, use_current: bool, lat_deg: float, lon_deg: float,
                      alt_amsl_m: float) -> None:
        if use_current:
            lat_deg, lon_deg = self.position_wgs84()
            alt_amsl_m = self.body.alt_amsl_m
        east, north = self.to_local(lat_deg, lon_deg)
        self.home = Home(lat_deg, lon_deg, alt_amsl_m, east, north)
        self.send(BUILDERS["HOME_POSITION"](self))

    def set_roi(self, lat_deg: float, lon_deg: float, z: float, frame: int) -> None:
        if lat_deg == 0 and lon_deg == 0:
            self.gimbal.roi = None
            return
        east, north = self.to_local(lat_deg, lon_deg)
        if frame in (mav.MAV_FRAME_GLOBAL_TERRAIN_ALT, mav.MAV_FRAME_GLOBAL_TERRAIN_ALT_INT):
            alt = self.terrain_amsl(east, north) + z
        else:
            alt = self.alt_amsl_from(frame, z)
        self.gimbal.roi = (east, north, alt)

    def condition_yaw(self, angle_deg: float, direction: float, *, relative: bool) -> None:
        if relative:
            sign = -1.0 if direction < 0 else 1.0
            angle_deg = self.body.yaw_deg + sign * angle_deg
        self.yaw_override_deg = angle_deg % 360.0

    def mission_reached(self, seq: int, *, announce: bool) -> None:
        self.send(mav.MAVLink_mission_item_reached_message(seq))
        if announce:
            self.say(mav.MAV_SEVERITY_INFO, f"Reached command #{seq}")

    def mission_current_changed(self) -> None:
        self.yaw_override_deg = None
        self.send(BUILDERS["MISSION_CURRENT"](self))

    def _home_item(self) -> MissionItem:
        h = self.home
        return MissionItem(0, mav.MAV_FRAME_GLOBAL, mav.MAV_CMD_NAV_WAYPOINT,
                           x=round(h.lat_deg * 1e7), y=round(h.lon_deg * 1e7), z=h.alt_amsl_m)

    def _on_stored(self, mission_type: int) -> None:
        if mission_type == mav.MAV_MISSION_TYPE_MISSION:
            self.flight.auto.mission_changed()
        elif mission_type == mav.MAV_MISSION_TYPE_FENCE:
            self.fence.load(self.mission.items(mav.MAV_MISSION_TYPE_FENCE), self.to_local)

    # -- one step ---------------------------------------------------------------------------
    def step(self, dt_s: float) -> None:
        """Advance simulated time by ``dt_s``: boot, fly, failsafes, payload, telemetry."""
        self.time_s += dt_s
        self.link.poll(self.time_s)
        self._boot_milestones()
        if not self.crashed:
            self._fly(dt_s)
            self._failsafes()
        self.mission.tick(self.time_s)
        for name in self.schedule.due(self.time_s):
            self.send(BUILDERS[name](self))

    def reboot(self) -> None:
        """MAV_CMD_PREFLIGHT_REBOOT_SHUTDOWN on the ground, as ArduCopter SITL does it.

        Parameters, mission, fence and rally points survive (they are in EEPROM); the
        boot sequence starts again, the camera is set up from CAM1_TYPE as it is now,
        the battery is full again (SITL's is), message intervals are forgotten (a GCS
        must ask again) and any camera triggering is off.
        """
        self.boot_s = self.time_s
        self.camera_type = int(self.params["CAM1_TYPE"])
        self.camera = Camera()
        self.gimbal = Gimbal()
        self.battery = Battery(self.params["BATT_CAPACITY"], self.params["SIM_BATT_VOLTAGE"])
        self.schedule = TelemetrySchedule()
        self.home_set = False
        self._ekf_announced = False
        self._next_prearm_s = self.time_s
        self._low_since_s.clear()
        self.failsafe.clear()
        self.yaw_override_deg = None

    def _boot_milestones(self) -> None:
        if not self.home_set and self.uptime_s >= 0.5 * self.config.boot_time_s:
            self.home_set = True
            self.say(mav.MAV_SEVERITY_INFO, "EKF3 IMU0 origin set")
            self.send(BUILDERS["GPS_GLOBAL_ORIGIN"](self))
            self.send(BUILDERS["HOME_POSITION"](self))
        if self.ekf_ready and not self._ekf_announced:
            self._ekf_announced = True
            self.say(mav.MAV_SEVERITY_INFO, "EKF3 IMU0 is using GPS")
        # ArduCopter repeats a failing pre-arm check every 30 s while disarmed.
        if not self.armed and self.time_s >= self._next_prearm_s:
            reason = self.prearm_failure()
            if reason:
                self._next_prearm_s = self.time_s + _PREARM_REPEAT_S
                self.say(mav.MAV_SEVERITY_CRITICAL, f"PreArm: {reason}")

    def _limits(self) -> Limits:
        p = self.params
        return Limits(self.speed_mps, p["WPNAV_SPEED_UP"] / 100.0, p["WPNAV_SPEED_DN"] / 100.0,
                      p["WPNAV_ACCEL"] / 100.0, p["ATC_RATE_Y_MAX"])

    def _fly(self, dt_s: float) -> None:
        b = self.body
        wind = self.wind.step(dt_s)
        east0, north0 = b.east_m, b.north_m
        if self.armed and not self.landed:
            target = self.flight.setpoint()
            if self.yaw_override_deg is not None and target.yaw_deg is None:
                target = type(target)(target.east_m, target.north_m, target.alt_amsl_m,
                                      self.yaw_override_deg, target.descent_mps)
            b.step(dt_s, target, self._limits(), wind)
            ground = self.terrain_amsl(b.east_m, b.north_m)
            if b.alt_amsl_m <= ground:
                self._touch_ground(ground)
        elif self.landed:
            b.alt_amsl_m = self.terrain_amsl(b.east_m, b.north_m)
            b.stop()
            delay_s = self.params["DISARM_DELAY"]  # 0: never, as in ArduCopter
            if self.armed and delay_s > 0 and self.time_s - self._armed_on_ground_s > delay_s:
                self.disarm()
        if not self.armed:
            self._armed_on_ground_s = self.time_s
        moved = math.hypot(b.east_m - east0, b.north_m - north0)
        self.battery.draw(dt_s, armed=self.armed, flying=not self.landed,
                          airspeed_mps=b.airspeed_mps, climb_mps=-b.vd_mps,
                          hover_amps=self.params["SIM_HOVER_AMPS"])
        self.gimbal.track(b.east_m, b.north_m, b.alt_amsl_m, b.yaw_deg)
        # single shots (DIGICAM_CONTROL, trigger-now) fire on the ground too, as
        # ArduPilot's; distance and interval series only in the air
        if self.camera.due(moved, self.time_s, airborne=not self.landed) and self.camera_type:
            self.send(camera_feedback_message(self))

    def _touch_ground(self, ground: float) -> None:
        b = self.body
        gentle = -b.vd_mps > -3.0 and b.groundspeed_mps < 1.0
        b.alt_amsl_m = ground
        b.stop()
        self.landed = True
        self._armed_on_ground_s = self.time_s
        if self.flight.landing_now and gentle:
            self.flight.touched_down()
            return
        self.crashed = True
        self.say(mav.MAV_SEVERITY_EMERGENCY, "Crash: Disarming")
        self.disarm()

    def _failsafes(self) -> None:
        flying = self.armed and not self.landed
        failsafes.battery_failsafe(self, flying)
        failsafes.gcs_failsafe(self, flying)
        fence_failsafe(self, flying)
