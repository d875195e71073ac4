"""Ground-station messages other than the mission protocol: commands, modes, parameters.

Why in one place: each handler is small, and the table of MAV_CMD ids below is the
list of what the simulated ArduCopter accepts; anything else gets COMMAND_ACK
UNSUPPORTED, as a real autopilot answers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pymavlink.dialects.v20 import ardupilotmega as mav

from simulators.vehicle import px4
from simulators.vehicle.modes import CopterMode
from simulators.vehicle.telemetry import BUILDERS, message_name

if TYPE_CHECKING:
    from simulators.vehicle.vehicle import SimVehicle

__all__ = ["handle"]

_FORCE_MAGIC = 21196
_REBOOT_FORCE = 20190226  # ArduPilot's param6 to reboot even when armed


@dataclass(frozen=True, slots=True)
class _Cmd:
    """A command with its seven parameters; lat/lon in degrees whatever message carried it."""

    command: int
    p: tuple[float, float, float, float]
    lat_deg: float
    lon_deg: float
    alt_m: float
    frame: int
    raw5: float  # param5 as sent: flags for some commands, x for COMMAND_INT


def handle(v: SimVehicle, msg: mav.MAVLink_message, peer: object) -> None:
    """Dispatch a command, mode, parameter or stream request message."""
    kind = msg.get_type()
    if kind == "COMMAND_LONG":
        cmd = _Cmd(msg.command, (msg.param1, msg.param2, msg.param3, msg.param4), msg.param5,
                   msg.param6, msg.param7, mav.MAV_FRAME_GLOBAL_RELATIVE_ALT, msg.param5)
        _command(v, cmd, msg, peer)
    elif kind == "COMMAND_INT":
        cmd = _Cmd(msg.command, (msg.param1, msg.param2, msg.param3, msg.param4), msg.x / 1e7,
                   msg.y / 1e7, msg.z, msg.frame, msg.x)
        _command(v, cmd, msg, peer)
    elif kind == "SET_MODE":
        _set_mode(v, msg.custom_mode, px4.copter_mode((msg.custom_mode >> 16) & 0xFF,
                                                      (msg.custom_mode >> 24) & 0xFF))
    elif kind == "MISSION_SET_CURRENT":
        v.flight.auto.set_current(msg.seq)
    elif kind == "REQUEST_DATA_STREAM":
        v.schedule.request_stream(msg.req_stream_id, msg.req_message_rate, bool(msg.start_stop))
    elif kind.startswith("PARAM_"):
        _param(v, msg, peer)
    elif kind in ("TERRAIN_DATA", "TERRAIN_CHECK"):
        v.terrain_db.handle(msg, peer)
    elif kind == "SET_POSITION_TARGET_GLOBAL_INT" and v.flight.mode is CopterMode.GUIDED:
        east, north = v.to_local(msg.lat_int / 1e7, msg.lon_int / 1e7)
        v.flight.reposition(east, north, v.alt_amsl_from(msg.coordinate_frame, msg.alt), None)


def _ack(v: SimVehicle, msg: mav.MAVLink_message, peer: object, command: int,
         result: int) -> None:
    v.send(mav.MAVLink_command_ack_message(command, result, 0, 0, msg.get_srcSystem(),
                                           msg.get_srcComponent()), peer)


def _set_mode(v: SimVehicle, number: int, px4_mode: CopterMode | None = None) -> int:
    """An ArduCopter mode number, or on a PX4 face the mode its (main, sub) means."""
    if isinstance(number, CopterMode):  # from inside (RTL, LAND, MISSION_START ...)
        mode = number
    elif v.config.autopilot == "PX4":
        if px4_mode is None:
            return mav.MAV_RESULT_DENIED
        mode = px4_mode
    else:
        try:
            mode = CopterMode(int(number))
        except ValueError:
            return mav.MAV_RESULT_DENIED
    reason = v.flight.set_mode(mode)
    if reason:
        v.say(mav.MAV_SEVERITY_WARNING, f"Mode change to {mode.name} failed: {reason}")
        return mav.MAV_RESULT_FAILED
    return mav.MAV_RESULT_ACCEPTED


def _command(v: SimVehicle, cmd: _Cmd, msg: mav.MAVLink_message, peer: object) -> None:
    handler = _HANDLERS.get(cmd.command)
    result = mav.MAV_RESULT_UNSUPPORTED if handler is None else handler(v, cmd, msg, peer)
    _ack(v, msg, peer, cmd.command, result)


def _arm(v: SimVehicle, cmd: _Cmd, *_: object) -> int:
    force = round(cmd.p[1]) == _FORCE_MAGIC
    if cmd.p[0] == 1:
        reason = v.arm(force=force)
        if reason:
            v.say(mav.MAV_SEVERITY_CRITICAL, f"Arm: {reason}")
            return mav.MAV_RESULT_FAILED
        return mav.MAV_RESULT_ACCEPTED
    if not v.landed and not force:
        v.say(mav.MAV_SEVERITY_CRITICAL, "Disarm: vehicle is flying")
        return mav.MAV_RESULT_FAILED
    v.disarm()
    return mav.MAV_RESULT_ACCEPTED


def _do_set_mode(v: SimVehicle, cmd: _Cmd, *_: object) -> int:
    return _set_mode(v, cmd.p[1], px4.copter_mode(round(cmd.p[1]), round(cmd.p[2])))


def _takeoff(v: SimVehicle, cmd: _Cmd, *_: object) -> int:
    return v.flight.takeoff(cmd.alt_m)


def _mission_start(v: SimVehicle, cmd: _Cmd, *_: object) -> int:
    if v.flight.mode is not CopterMode.AUTO and _set_mode(v, CopterMode.AUTO) != 0:
        return mav.MAV_RESULT_FAILED
    if cmd.p[0] > 0:
        v.flight.auto.current = int(cmd.p[0])
    v.flight.auto.start()
    return mav.MAV_RESULT_ACCEPTED


def _rtl(v: SimVehicle, *_: object) -> int:
    return _set_mode(v, CopterMode.RTL)


def _land(v: SimVehicle, *_: object) -> int:
    return _set_mode(v, CopterMode.LAND)


def _reposition(v: SimVehicle, cmd: _Cmd, *_: object) -> int:
    if v.flight.mode is not CopterMode.GUIDED:
        if not int(cmd.p[1]) & mav.MAV_DO_REPOSITION_FLAGS_CHANGE_MODE:
            return mav.MAV_RESULT_DENIED
        if _set_mode(v, CopterMode.GUIDED) != mav.MAV_RESULT_ACCEPTED:
            return mav.MAV_RESULT_FAILED
    if v.landed:
        return mav.MAV_RESULT_DENIED
    east, north = v.to_local(cmd.lat_deg, cmd.lon_deg)
    if cmd.p[0] > 0:
        v.speed_mps = cmd.p[0]
    yaw = None if cmd.p[3] != cmd.p[3] else cmd.p[3]  # NaN keeps the heading
    v.flight.reposition(east, north, v.alt_amsl_from(cmd.frame, cmd.alt_m), yaw)
    return mav.MAV_RESULT_ACCEPTED


def _change_speed(v: SimVehicle, cmd: _Cmd, *_: object) -> int:
    if cmd.p[1] <= 0:
        return mav.MAV_RESULT_DENIED
    v.speed_mps = cmd.p[1]
    return mav.MAV_RESULT_ACCEPTED


def _message_interval(v: SimVehicle, cmd: _Cmd, *_: object) -> int:
    name = message_name(int(cmd.p[0]))
    if cmd.p[2] != 0 or name is None or name not in BUILDERS:
        return mav.MAV_RESULT_DENIED
    interval_us = cmd.p[1]
    if interval_us < 0:
        v.schedule.set_interval(name, None)
    else:
        v.schedule.set_interval(name, interval_us / 1e6 if interval_us > 0 else 0.25)
    return mav.MAV_RESULT_ACCEPTED


def _request_message(v: SimVehicle, cmd: _Cmd, msg: mav.MAVLink_message, peer: object) -> int:
    name = message_name(int(cmd.p[0]))
    if name is None or name not in BUILDERS:
        return mav.MAV_RESULT_DENIED
    v.send(BUILDERS[name](v), peer)
    return mav.MAV_RESULT_ACCEPTED


def _capabilities(v: SimVehicle, cmd: _Cmd, msg: mav.MAVLink_message, peer: object) -> int:
    v.send(BUILDERS["AUTOPILOT_VERSION"](v), peer)
    return mav.MAV_RESULT_ACCEPTED


def _set_home(v: SimVehicle, cmd: _Cmd, *_: object) -> int:
    v.set_home_from(cmd.p[0] == 1, cmd.lat_deg, cmd.lon_deg, cmd.alt_m)
    return mav.MAV_RESULT_ACCEPTED


def _mount_control(v: SimVehicle, cmd: _Cmd, *_: object) -> int:
    v.gimbal.point(pitch_deg=cmd.p[0], yaw_deg=cmd.p[2])
    return mav.MAV_RESULT_ACCEPTED


def _gimbal_pitch_yaw(v: SimVehicle, cmd: _Cmd, *_: object) -> int:
    yaw = cmd.p[1]
    if int(cmd.raw5) & mav.GIMBAL_MANAGER_FLAGS_YAW_LOCK:
        yaw -= v.body.yaw_deg  # an earth-frame yaw, kept relative to the body here
    v.gimbal.point(pitch_deg=cmd.p[0], yaw_deg=yaw)
    return mav.MAV_RESULT_ACCEPTED


def _roi(v: SimVehicle, cmd: _Cmd, *_: object) -> int:
    v.set_roi(cmd.lat_deg, cmd.lon_deg, cmd.alt_m, cmd.frame)
    return mav.MAV_RESULT_ACCEPTED


def _roi_none(v: SimVehicle, *_: object) -> int:
    v.gimbal.roi = None
    return mav.MAV_RESULT_ACCEPTED


def _condition_yaw(v: SimVehicle, cmd: _Cmd, *_: object) -> int:
    v.condition_yaw(cmd.p[0], cmd.p[2], relative=cmd.p[3] == 1)
    return mav.MAV_RESULT_ACCEPTED


def _fence_enable(v: SimVehicle, cmd: _Cmd, *_: object) -> int:
    if "FENCE_ENABLE" not in v.params:  # PX4: no switch, GF_ACTION decides
        return mav.MAV_RESULT_UNSUPPORTED
    v.params.set("FENCE_ENABLE", 1 if cmd.p[0] >= 1 else 0)
    return mav.MAV_RESULT_ACCEPTED


def _trigger_distance(v: SimVehicle, cmd: _Cmd, *_: object) -> int:
    v.camera.set_distance(cmd.p[0], trigger_now=cmd.p[2] == 1)
    return mav.MAV_RESULT_ACCEPTED


def _digicam_control(v: SimVehicle, cmd: _Cmd, *_: object) -> int:
    """param5 = 1 takes one picture; ACCEPTED with no camera too, as ArduCopter does."""
    if round(cmd.raw5) == 1:  # param5, the shoot command
        v.camera.shoot()
    return mav.MAV_RESULT_ACCEPTED


def _reboot(v: SimVehicle, cmd: _Cmd, *_: object) -> int:
    """param1 = 1 reboots the autopilot; refused while armed (unless forced, 20190226)."""
    if round(cmd.p[0]) != 1:
        return mav.MAV_RESULT_UNSUPPORTED
    if v.armed and round(cmd.lon_deg) != _REBOOT_FORCE:  # param6 of COMMAND_LONG
        return mav.MAV_RESULT_FAILED
    v.disarm()
    v.reboot()
    return mav.MAV_RESULT_ACCEPTED


def _image_start(v: SimVehicle, cmd: _Cmd, *_: object) -> int:
    v.camera.start_interval(cmd.p[1], int(cmd.p[2]))
    return mav.MAV_RESULT_ACCEPTED


def _image_stop(v: SimVehicle, *_: object) -> int:
    v.camera.stop()
    return mav.MAV_RESULT_ACCEPTED


def _set_mission_current(v: SimVehicle, cmd: _Cmd, *_: object) -> int:
    return mav.MAV_RESULT_ACCEPTED if v.flight.auto.set_current(int(cmd.p[0])) else \
        mav.MAV_RESULT_DENIED


_HANDLERS: dict[int, Callable[..., int]] = {
    mav.MAV_CMD_COMPONENT_ARM_DISARM: _arm,
    mav.MAV_CMD_DO_SET_MODE: _do_set_mode,
    mav.MAV_CMD_NAV_TAKEOFF: _takeoff,
    mav.MAV_CMD_MISSION_START: _mission_start,
    mav.MAV_CMD_NAV_RETURN_TO_LAUNCH: _rtl,
    mav.MAV_CMD_NAV_LAND: _land,
    mav.MAV_CMD_DO_REPOSITION: _reposition,
    mav.MAV_CMD_DO_CHANGE_SPEED: _change_speed,
    mav.MAV_CMD_SET_MESSAGE_INTERVAL: _message_interval,
    mav.MAV_CMD_REQUEST_MESSAGE: _request_message,
    mav.MAV_CMD_REQUEST_AUTOPILOT_CAPABILITIES: _capabilities,
    mav.MAV_CMD_DO_SET_HOME: _set_home,
    mav.MAV_CMD_DO_MOUNT_CONTROL: _mount_control,
    mav.MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW: _gimbal_pitch_yaw,
    mav.MAV_CMD_DO_SET_ROI_LOCATION: _roi,
    mav.MAV_CMD_DO_SET_ROI: _roi,
    mav.MAV_CMD_DO_SET_ROI_NONE: _roi_none,
    mav.MAV_CMD_CONDITION_YAW: _condition_yaw,
    mav.MAV_CMD_DO_FENCE_ENABLE: _fence_enable,
    mav.MAV_CMD_DO_SET_CAM_TRIGG_DIST: _trigger_distance,
    mav.MAV_CMD_IMAGE_START_CAPTURE: _image_start,
    mav.MAV_CMD_DO_DIGICAM_CONTROL: _digicam_control,
    mav.MAV_CMD_PREFLIGHT_REBOOT_SHUTDOWN: _reboot,
    mav.MAV_CMD_IMAGE_STOP_CAPTURE: _image_stop,
    mav.MAV_CMD_DO_SET_MISSION_CURRENT: _set_mission_current,
}


# -- parameters ---------------------------------------------------------------------------
def _param_value(v: SimVehicle, name: str) -> mav.MAVLink_message:
    integer = v.params.is_integer(name)
    kind = mav.MAV_PARAM_TYPE_INT32 if integer else mav.MAV_PARAM_TYPE_REAL32
    value = px4.encode(v.params[name], integer) if v.config.autopilot == "PX4" \
        else v.params[name]
    return mav.MAVLink_param_value_message(name.encode(), value, kind, len(v.params),
                                           v.params.index(name))


def _param(v: SimVehicle, msg: mav.MAVLink_message, peer: object) -> None:
    kind = msg.get_type()
    if kind == "PARAM_REQUEST_LIST":
        for name in v.params:
            v.send(_param_value(v, name), peer)
        return
    if kind == "PARAM_REQUEST_READ":
        name = msg.param_id.rstrip("\0") if isinstance(msg.param_id, str) else ""
        if msg.param_index >= 0:
            try:
                name = v.params.name_at(msg.param_index)
            except IndexError:
                return
        if name in v.params:
            v.send(_param_value(v, name), peer)
        return
    if kind == "PARAM_SET":
        name = msg.param_id.rstrip("\0")
        value = msg.param_value
        if v.config.autopilot == "PX4" and name in v.params:  # PX4 copies the four bytes
            value = px4.decode(value, v.params.is_integer(name))
        try:
            v.params.set(name, value)
        except KeyError:
            return  # ArduPilot ignores unknown names; the GCS times out waiting
        _apply_param(v, name)
        v.send(_param_value(v, name))  # to every GCS, as ArduPilot does


def _apply_param(v: SimVehicle, name: str) -> None:
    """Parameters that change state already built from them."""
    p = v.params
    if name == "WPNAV_SPEED":
        v.speed_mps = p["WPNAV_SPEED"] / 100.0
    elif name == "BATT_CAPACITY":
        v.battery.capacity_mah = p["BATT_CAPACITY"]
    elif name.startswith("SIM_WIND"):
        v.wind.speed_mps, v.wind.from_deg = p["SIM_WIND_SPD"], p["SIM_WIND_DIR"]
        v.wind.turbulence_mps = p["SIM_WIND_TURB"]
