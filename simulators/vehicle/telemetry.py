"""Telemetry the simulated vehicle sends, and when.

Why a schedule per message: ArduCopter stays silent but for HEARTBEAT until a ground
station asks (REQUEST_DATA_STREAM for whole streams, SET_MESSAGE_INTERVAL per
message, REQUEST_MESSAGE for one-shots); dronewatch must be proven to ask properly.
Rates are in simulated time, so they scale with the speed-up like everything else.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from pymavlink.dialects.v20 import ardupilotmega as mav

from simulators.vehicle.px4 import custom_mode

if TYPE_CHECKING:
    from simulators.vehicle.vehicle import SimVehicle

__all__ = [
    "BUILDERS",
    "STREAMS",
    "TelemetrySchedule",
    "camera_feedback_message",
    "message_name",
]

STREAMS: dict[int, tuple[str, ...]] = {
    mav.MAV_DATA_STREAM_EXTENDED_STATUS: ("SYS_STATUS", "MISSION_CURRENT", "GPS_RAW_INT",
                                          "FENCE_STATUS"),
    mav.MAV_DATA_STREAM_POSITION: ("GLOBAL_POSITION_INT", "LOCAL_POSITION_NED"),
    mav.MAV_DATA_STREAM_EXTRA1: ("ATTITUDE", "GIMBAL_DEVICE_ATTITUDE_STATUS"),
    mav.MAV_DATA_STREAM_EXTRA2: ("VFR_HUD",),
    mav.MAV_DATA_STREAM_EXTRA3: ("SYSTEM_TIME", "TERRAIN_REPORT", "BATTERY_STATUS"),
}
#: Rate used when SET_MESSAGE_INTERVAL asks for a message's default (interval 0).
DEFAULT_INTERVAL_S = 0.25


def message_name(msgid: int) -> str | None:
    """MAVLink message name for an id, None when unknown."""
    cls = mav.mavlink_map.get(msgid)
    return cls.msgname if cls is not None else None


class TelemetrySchedule:
    """Which messages are due; HEARTBEAT always at 1 Hz."""

    def __init__(self) -> None:
        self.intervals_s: dict[str, float] = {"HEARTBEAT": 1.0}
        self._next_s: dict[str, float] = {}

    def set_interval(self, name: str, interval_s: float | None) -> None:
        """Send ``name`` every ``interval_s``; None stops it."""
        if interval_s is None:
            self.intervals_s.pop(name, None)
            self._next_s.pop(name, None)
        else:
            self.intervals_s[name] = max(interval_s, 0.001)

    def request_stream(self, stream_id: int, rate_hz: int, start: bool) -> None:
        """REQUEST_DATA_STREAM: set (or stop) a whole stream's messages."""
        streams = STREAMS if stream_id == mav.MAV_DATA_STREAM_ALL else {
            stream_id: STREAMS.get(stream_id, ())}
        for names in streams.values():
            for name in names:
                self.set_interval(name, 1.0 / rate_hz if start and rate_hz > 0 else None)

    def due(self, now_s: float) -> list[str]:
        out = []
        for name, interval in self.intervals_s.items():
            if now_s >= self._next_s.get(name, 0.0):
                # Keep the phase, but never fall behind by more than one interval.
                self._next_s[name] = max(self._next_s.get(name, 0.0) + interval, now_s)
                out.append(name)
        return out


def _lat_lon_e7(v: SimVehicle) -> tuple[int, int]:
    lat, lon = v.position_wgs84()
    return round(lat * 1e7), round(lon * 1e7)


def _heartbeat(v: SimVehicle) -> mav.MAVLink_message:
    base = mav.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED | mav.MAV_MODE_FLAG_STABILIZE_ENABLED
    if v.flight.mode.name in ("AUTO", "GUIDED", "RTL", "LAND", "LOITER", "BRAKE"):
        base |= mav.MAV_MODE_FLAG_GUIDED_ENABLED
    if v.armed:
        base |= mav.MAV_MODE_FLAG_SAFETY_ARMED
    if v.config.autopilot == "PX4":
        return mav.MAVLink_heartbeat_message(mav.MAV_TYPE_QUADROTOR, mav.MAV_AUTOPILOT_PX4,
                                             base, custom_mode(v.flight.mode), v.system_status, 3)
    return mav.MAVLink_heartbeat_message(
        mav.MAV_TYPE_QUADROTOR, mav.MAV_AUTOPILOT_ARDUPILOTMEGA, base, int(v.flight.mode),
        v.system_status, 3)


def _sys_status(v: SimVehicle) -> mav.MAVLink_message:
    sensors = (mav.MAV_SYS_STATUS_SENSOR_3D_GYRO | mav.MAV_SYS_STATUS_SENSOR_3D_ACCEL
               | mav.MAV_SYS_STATUS_SENSOR_ABSOLUTE_PRESSURE | mav.MAV_SYS_STATUS_SENSOR_GPS
               | mav.MAV_SYS_STATUS_AHRS | mav.MAV_SYS_STATUS_SENSOR_BATTERY
               | mav.MAV_SYS_STATUS_TERRAIN)
    ready = v.ekf_ready and v.prearm_failure() is None  # e.g. outside an enabled fence
    health = sensors | (mav.MAV_SYS_STATUS_PREARM_CHECK if ready else 0)
    if v.gps_fix_type < 3:
        health &= ~mav.MAV_SYS_STATUS_SENSOR_GPS
    b = v.battery
    return mav.MAVLink_sys_status_message(
        sensors | mav.MAV_SYS_STATUS_PREARM_CHECK, sensors, health, 200,
        round(b.voltage_v * 1000), round(b.current_a * 100), round(b.remaining_fraction * 100),
        0, v.link_errors, 0, 0, 0, 0)


def _gps_raw_int(v: SimVehicle) -> mav.MAVLink_message:
    lat, lon = _lat_lon_e7(v)
    body = v.body
    cog = round((math.degrees(math.atan2(body.ve_mps, body.vn_mps)) % 360) * 100)
    fix = v.gps_fix_type
    return mav.MAVLink_gps_raw_int_message(
        v.time_usec, fix, lat if fix else 0, lon if fix else 0,
        round(body.alt_amsl_m * 1000), 70 if fix >= 3 else 9999, 120 if fix >= 3 else 9999,
        round(body.groundspeed_mps * 100), cog, 14 if fix >= 3 else 4)


def _global_position_int(v: SimVehicle) -> mav.MAVLink_message:
    lat, lon = _lat_lon_e7(v)
    b = v.body
    return mav.MAVLink_global_position_int_message(
        v.time_boot_ms, lat, lon, round(b.alt_amsl_m * 1000),
        round((b.alt_amsl_m - v.home.alt_amsl_m) * 1000), round(b.vn_mps * 100),
        round(b.ve_mps * 100), round(b.vd_mps * 100), round(b.yaw_deg * 100) % 36000)


def _local_position_ned(v: SimVehicle) -> mav.MAVLink_message:
    b = v.body
    return mav.MAVLink_local_position_ned_message(
        v.time_boot_ms, b.north_m - v.home.north_m, b.east_m - v.home.east_m,
        v.home.alt_amsl_m - b.alt_amsl_m, b.vn_mps, b.ve_mps, b.vd_mps)


def _attitude(v: SimVehicle) -> mav.MAVLink_message:
    b = v.body
    yaw = math.radians((b.yaw_deg + 180.0) % 360.0 - 180.0)
    return mav.MAVLink_attitude_message(
        v.time_boot_ms, math.radians(b.roll_deg), math.radians(b.pitch_deg), yaw, 0.0, 0.0,
        math.radians(b.yaw_rate_dps))


def _vfr_hud(v: SimVehicle) -> mav.MAVLink_message:
    b = v.body
    throttle = 0 if not v.armed else round(min(100.0, 40.0 * v.battery.current_a
                                               / max(v.params["SIM_HOVER_AMPS"], 1.0)))
    return mav.MAVLink_vfr_hud_message(
        b.airspeed_mps, b.groundspeed_mps, round(b.yaw_deg) % 360, throttle, b.alt_amsl_m,
        -b.vd_mps)


def _battery_status(v: SimVehicle) -> mav.MAVLink_message:
    b = v.battery
    voltages = [round(b.voltage_v * 1000)] + [65535] * 9
    return mav.MAVLink_battery_status_message(
        0, mav.MAV_BATTERY_FUNCTION_ALL, mav.MAV_BATTERY_TYPE_LIPO, 32767, voltages,
        round(b.current_a * 100), round(b.consumed_mah), round(b.energy_j / 100),
        round(b.remaining_fraction * 100), 0, mav.MAV_BATTERY_CHARGE_STATE_OK, [0, 0, 0, 0],
        0, 0)


def _home_position(v: SimVehicle) -> mav.MAVLink_message:
    h = v.home
    return mav.MAVLink_home_position_message(
        round(h.lat_deg * 1e7), round(h.lon_deg * 1e7), round(h.alt_amsl_m * 1000),
        0.0, 0.0, 0.0, [1.0, 0.0, 0.0, 0.0], 0.0, 0.0, 0.0, v.time_usec)


def _gps_global_origin(v: SimVehicle) -> mav.MAVLink_message:
    h = v.home
    return mav.MAVLink_gps_global_origin_message(
        round(h.lat_deg * 1e7), round(h.lon_deg * 1e7), round(h.alt_amsl_m * 1000), v.time_usec)


def _extended_sys_state(v: SimVehicle) -> mav.MAVLink_message:
    return mav.MAVLink_extended_sys_state_message(mav.MAV_VTOL_STATE_UNDEFINED, v.landed_state)


def _gimbal(v: SimVehicle) -> mav.MAVLink_message:
    g = v.gimbal
    yaw = math.radians(g.yaw_deg)
    pitch = math.radians(g.pitch_deg)
    cy, sy, cp, sp = math.cos(yaw / 2), math.sin(yaw / 2), math.cos(pitch / 2), math.sin(pitch / 2)
    q = [cy * cp, -sy * sp, cy * sp, sy * cp]  # yaw (body frame) then pitch, no roll
    return mav.MAVLink_gimbal_device_attitude_status_message(
        0, 0, v.time_boot_ms, mav.GIMBAL_DEVICE_FLAGS_ROLL_LOCK
        | mav.GIMBAL_DEVICE_FLAGS_PITCH_LOCK | mav.GIMBAL_DEVICE_FLAGS_YAW_IN_VEHICLE_FRAME,
        q, 0.0, 0.0, 0.0, 0, float("nan"), float("nan"), 1)


def _fence_status(v: SimVehicle) -> mav.MAVLink_message:
    f = v.fence
    return mav.MAVLink_fence_status_message(
        1 if f.breached else 0, f.breach_count, f.breach_type, f.breach_time_ms, 0)


def _terrain_report(v: SimVehicle) -> mav.MAVLink_message:
    # ArduPilot's MSG_TERRAIN slot sends the report and any TERRAIN_REQUEST together
    return v.terrain_db.report_and_request()


def _mission_current(v: SimVehicle) -> mav.MAVLink_message:
    auto = v.flight.auto
    total = max(len(auto.items) - 1, 0)
    if not total:
        state = mav.MISSION_STATE_NO_MISSION
    elif auto.finished:
        state = mav.MISSION_STATE_COMPLETE
    elif v.flight.mode.name == "AUTO" and auto.running:
        state = mav.MISSION_STATE_ACTIVE
    else:
        state = mav.MISSION_STATE_NOT_STARTED
    return mav.MAVLink_mission_current_message(auto.current, total, state, 0)


def _system_time(v: SimVehicle) -> mav.MAVLink_message:
    return mav.MAVLink_system_time_message(v.time_usec, v.time_boot_ms)


def _autopilot_version(v: SimVehicle) -> mav.MAVLink_message:
    caps = (mav.MAV_PROTOCOL_CAPABILITY_MISSION_FLOAT | mav.MAV_PROTOCOL_CAPABILITY_PARAM_FLOAT
            | mav.MAV_PROTOCOL_CAPABILITY_MISSION_INT | mav.MAV_PROTOCOL_CAPABILITY_COMMAND_INT
            | mav.MAV_PROTOCOL_CAPABILITY_SET_POSITION_TARGET_GLOBAL_INT
            | mav.MAV_PROTOCOL_CAPABILITY_MAVLINK2 | mav.MAV_PROTOCOL_CAPABILITY_MISSION_FENCE
            | mav.MAV_PROTOCOL_CAPABILITY_MISSION_RALLY | mav.MAV_PROTOCOL_CAPABILITY_TERRAIN)
    if v.config.autopilot == "PX4":  # integers travel as their bytes (PX4's rule)
        caps |= mav.MAV_PROTOCOL_CAPABILITY_PARAM_ENCODE_BYTEWISE
    version = (4 << 24) | (7 << 16) | (0 << 8) | 0  # 4.7.0-dev, as the observed SITL
    return mav.MAVLink_autopilot_version_message(
        caps, version, 0, 0, 0, [0] * 8, [0] * 8, [0] * 8, 0x1209, 0x5741, v.sysid,
        list(b"dronewatch-sim\0\0\0\0"))


def camera_feedback_message(v: SimVehicle) -> mav.MAVLink_message:
    """CAMERA_FEEDBACK for the picture just taken, with the pose it was taken from."""
    lat, lon = _lat_lon_e7(v)
    b = v.body
    return mav.MAVLink_camera_feedback_message(
        v.time_usec, 0, 0, v.camera.image_count, lat, lon, b.alt_amsl_m,
        b.alt_amsl_m - v.home.alt_amsl_m, b.roll_deg, b.pitch_deg, b.yaw_deg, 0.0,
        mav.CAMERA_FEEDBACK_PHOTO, v.camera.image_count)


BUILDERS = {
    "HEARTBEAT": _heartbeat,
    "SYS_STATUS": _sys_status,
    "GPS_RAW_INT": _gps_raw_int,
    "GLOBAL_POSITION_INT": _global_position_int,
    "LOCAL_POSITION_NED": _local_position_ned,
    "ATTITUDE": _attitude,
    "VFR_HUD": _vfr_hud,
    "BATTERY_STATUS": _battery_status,
    "HOME_POSITION": _home_position,
    "GPS_GLOBAL_ORIGIN": _gps_global_origin,
    "EXTENDED_SYS_STATE": _extended_sys_state,
    "GIMBAL_DEVICE_ATTITUDE_STATUS": _gimbal,
    "FENCE_STATUS": _fence_status,
    "TERRAIN_REPORT": _terrain_report,
    "MISSION_CURRENT": _mission_current,
    "SYSTEM_TIME": _system_time,
    "AUTOPILOT_VERSION": _autopilot_version,
}
