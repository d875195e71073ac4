"""A vehicle's live state, kept up to date from its telemetry by the link's reader.

Why frozen snapshots: the reader thread writes, any number of callers read; handing
out an immutable :class:`VehicleState` means nobody sees half an update. Units are
in the names and are SI (MAVLink's 1e7 degrees, millimetres and centi-units are
converted here, once).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, replace

from dronewatch.link._mavutil import MavMessage
from dronewatch.link.modes import Flavour, VehicleKind, mode_name

__all__ = ["Home", "StateTracker", "VehicleState"]

_SYSTEM_STATUS = {0: "UNINIT", 1: "BOOT", 2: "CALIBRATING", 3: "STANDBY", 4: "ACTIVE",
                  5: "CRITICAL", 6: "EMERGENCY", 7: "POWEROFF", 8: "FLIGHT_TERMINATION"}
_LANDED = {0: "UNDEFINED", 1: "ON_GROUND", 2: "IN_AIR", 3: "TAKEOFF", 4: "LANDING"}
_ARMED_FLAG = 128


@dataclass(frozen=True, slots=True)
class Home:
    """The vehicle's home position."""

    lat_deg: float
    lon_deg: float
    alt_amsl_m: float


@dataclass(frozen=True, slots=True)
class VehicleState:
    """What is known of one vehicle now. NaN or None where nothing has been heard yet."""

    sysid: int
    flavour: Flavour = Flavour.UNKNOWN
    vehicle_kind: VehicleKind = VehicleKind.UNKNOWN  # whose mode numbers (HEARTBEAT.type)
    mode: str = "UNKNOWN"
    armed: bool = False
    system_status: str = "UNINIT"
    landed_state: str = "UNDEFINED"
    lat_deg: float = math.nan
    lon_deg: float = math.nan
    alt_amsl_m: float = math.nan
    alt_rel_m: float = math.nan
    alt_agl_m: float | None = None
    vn_mps: float = 0.0
    ve_mps: float = 0.0
    vd_mps: float = 0.0
    roll_deg: float = 0.0
    pitch_deg: float = 0.0
    yaw_deg: float = 0.0
    heading_deg: float = 0.0
    gimbal_pitch_deg: float | None = None
    gimbal_yaw_deg: float | None = None
    gps_fix_type: int = 0
    satellites: int = 0
    battery_voltage_v: float = math.nan
    battery_remaining_pct: float = math.nan
    battery_current_a: float = math.nan
    home: Home | None = None
    time_boot_s: float = 0.0  # the vehicle's own clock (simulated time in a simulator)
    mission_seq: int = 0
    mission_total: int = 0
    prearm_ok: bool = False
    prearm_reason: str = ""  # the last "PreArm: ..." / "Arm: ..." STATUSTEXT heard
    clock_rate: float = math.nan  # vehicle seconds per wall second (a simulator's speed-up)
    last_heartbeat_s: float = 0.0  # time.monotonic() of the last HEARTBEAT
    stale: bool = True
    messages_received: int = 0
    messages_lost: int = 0

    @property
    def heartbeat_age_s(self) -> float:
        """Seconds since the last heartbeat (at the moment this snapshot was taken)."""
        return time.monotonic() - self.last_heartbeat_s

    @property
    def link_quality(self) -> float:
        """Share of the vehicle's messages that arrived (from sequence-number gaps)."""
        total = self.messages_received + self.messages_lost
        return self.messages_received / total if total else 1.0

    @property
    def flying(self) -> bool:
        return self.armed and self.landed_state not in ("ON_GROUND", "UNDEFINED")


def euler_deg(q: Sequence[float]) -> tuple[float, float, float]:
    """Roll, pitch, yaw (degrees, ZYX) of a (w, x, y, z) quaternion; NaN for one that is
    no rotation (NaN or all zeros: gimbals and PX4's logs report "unknown" so)."""
    w, x, y, z = (float(v) for v in q)
    if not 0.5 < w * w + x * x + y * y + z * z < 2.0:  # False for NaN too
        return math.nan, math.nan, math.nan
    roll = math.atan2(2 * (w * x + y * z), 1 - 2 * (x * x + y * y))
    pitch = math.asin(max(-1.0, min(1.0, 2 * (w * y - z * x))))
    yaw = math.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z))
    return math.degrees(roll), math.degrees(pitch), math.degrees(yaw)


def _gimbal_angles(q: Sequence[float]) -> tuple[float, float]:
    """Pitch and yaw (degrees) from a gimbal quaternion (w, x, y, z); NaN when unknown."""
    _, pitch, yaw = euler_deg(q)
    return pitch, yaw


class StateTracker:
    """Folds one vehicle's messages into its state; thread-safe."""

    def __init__(self, sysid: int, stale_after_s: float) -> None:
        self._state = VehicleState(sysid)
        self._lock = threading.Lock()
        self._last_seq: dict[int, int] = {}
        self._clock: deque[tuple[float, float]] = deque()  # (wall s, vehicle s)
        self.stale_after_s = stale_after_s

    def snapshot(self) -> VehicleState:
        with self._lock:
            state = self._state
        stale = time.monotonic() - state.last_heartbeat_s > self.stale_after_s
        return replace(state, stale=stale) if stale != state.stale else state

    def update(self, msg: MavMessage) -> None:
        """Apply a message from this vehicle."""
        with self._lock:
            lost = self._count_loss(msg)
            changes = _CHANGES.get(msg.type, _nothing)(self._state, msg)
            if "time_boot_s" in changes:
                changes["clock_rate"] = self._clock_rate(msg.received_s, changes["time_boot_s"])
            self._state = replace(self._state, messages_received=self._state.messages_received
                                  + 1, messages_lost=self._state.messages_lost + lost, **changes)

    def _clock_rate(self, wall_s: float, vehicle_s: float) -> float:
        """How fast the vehicle's clock runs, over the last few wall seconds.

        Why measured: a simulator's speed-up (or a SITL lagging behind it on a busy
        machine) decides how soon the vehicle times out, e.g. DISARM_DELAY.
        """
        clock = self._clock
        if clock and vehicle_s < clock[-1][1]:
            clock.clear()  # the vehicle rebooted
        clock.append((wall_s, vehicle_s))
        while len(clock) > 2 and wall_s - clock[1][0] > 3.0:
            clock.popleft()
        span_s = wall_s - clock[0][0]
        if span_s < 0.1 or len(clock) < 3:
            return self._state.clock_rate
        return (vehicle_s - clock[0][1]) / span_s

    def _count_loss(self, msg: MavMessage) -> int:
        last = self._last_seq.get(msg.compid)
        self._last_seq[msg.compid] = msg.seq
        if last is None:
            return 0
        gap = (msg.seq - last - 1) % 256
        return gap if gap < 128 else 0  # a big "gap" is a late or repeated packet


_AUTOPILOT_INVALID = 8  # MAV_AUTOPILOT_INVALID: the sender is no flight controller


def _nothing(state: VehicleState, msg: MavMessage) -> dict:
    return {}


def _heartbeat(state: VehicleState, msg: MavMessage) -> dict:
    if msg["autopilot"] == _AUTOPILOT_INVALID:
        return {}  # a camera or gimbal of this system: its type and mode are not the vehicle's
    flavour = Flavour.from_autopilot(msg["autopilot"])
    kind = VehicleKind.from_mav_type(msg["type"])
    return {
        "flavour": flavour, "vehicle_kind": kind,
        "mode": mode_name(flavour, msg["custom_mode"], kind),
        "armed": bool(msg["base_mode"] & _ARMED_FLAG),
        "system_status": _SYSTEM_STATUS.get(msg["system_status"], str(msg["system_status"])),
        "last_heartbeat_s": msg.received_s, "stale": False,
    }


def _global_position(state: VehicleState, msg: MavMessage) -> dict:
    hdg = msg["hdg"]
    return {
        "lat_deg": msg["lat"] / 1e7, "lon_deg": msg["lon"] / 1e7,
        "alt_amsl_m": msg["alt"] / 1000.0, "alt_rel_m": msg["relative_alt"] / 1000.0,
        "vn_mps": msg["vx"] / 100.0, "ve_mps": msg["vy"] / 100.0, "vd_mps": msg["vz"] / 100.0,
        "heading_deg": hdg / 100.0 if hdg != 65535 else state.heading_deg,
        "time_boot_s": msg["time_boot_ms"] / 1000.0,
    }


def _attitude(state: VehicleState, msg: MavMessage) -> dict:
    return {"roll_deg": math.degrees(msg["roll"]), "pitch_deg": math.degrees(msg["pitch"]),
            "yaw_deg": math.degrees(msg["yaw"]) % 360.0}


def _sys_status(state: VehicleState, msg: MavMessage) -> dict:
    out = {"prearm_ok": bool(msg["onboard_control_sensors_health"] & 0x10000000)}
    if msg["voltage_battery"] != 65535:
        out["battery_voltage_v"] = msg["voltage_battery"] / 1000.0
    if msg["current_battery"] != -1:
        out["battery_current_a"] = msg["current_battery"] / 100.0
    if msg["battery_remaining"] != -1:
        out["battery_remaining_pct"] = float(msg["battery_remaining"])
    return out


def _statustext(state: VehicleState, msg: MavMessage) -> dict:
    text = msg["text"]
    if text.startswith(("PreArm:", "Arm:")):
        return {"prearm_reason": text}
    return {}


def _gps(state: VehicleState, msg: MavMessage) -> dict:
    return {"gps_fix_type": msg["fix_type"], "satellites": msg["satellites_visible"]}


def _battery(state: VehicleState, msg: MavMessage) -> dict:
    out = {}
    if msg["battery_remaining"] != -1:
        out["battery_remaining_pct"] = float(msg["battery_remaining"])
    if msg["current_battery"] != -1:
        out["battery_current_a"] = msg["current_battery"] / 100.0
    return out


def _home(state: VehicleState, msg: MavMessage) -> dict:
    return {"home": Home(msg["latitude"] / 1e7, msg["longitude"] / 1e7, msg["altitude"] / 1e3)}


def _mission_current(state: VehicleState, msg: MavMessage) -> dict:
    return {"mission_seq": msg["seq"], "mission_total": msg.get("total", 0)}


def _extended(state: VehicleState, msg: MavMessage) -> dict:
    return {"landed_state": _LANDED.get(msg["landed_state"], "UNDEFINED")}


def _gimbal(state: VehicleState, msg: MavMessage) -> dict:
    pitch, yaw = _gimbal_angles(list(msg["q"]))
    if not (math.isfinite(pitch) and math.isfinite(yaw)):  # the gimbal does not know
        return {"gimbal_pitch_deg": None, "gimbal_yaw_deg": None}
    return {"gimbal_pitch_deg": pitch, "gimbal_yaw_deg": yaw}


def _terrain(state: VehicleState, msg: MavMessage) -> dict:
    # spacing 0: the vehicle has no terrain under it (ArduPilot then reports height 0)
    return {"alt_agl_m": msg["current_height"] if msg["spacing"] else None}


_CHANGES = {
    "HEARTBEAT": _heartbeat,
    "GLOBAL_POSITION_INT": _global_position,
    "ATTITUDE": _attitude,
    "SYS_STATUS": _sys_status,
    "GPS_RAW_INT": _gps,
    "BATTERY_STATUS": _battery,
    "HOME_POSITION": _home,
    "MISSION_CURRENT": _mission_current,
    "EXTENDED_SYS_STATE": _extended,
    "GIMBAL_DEVICE_ATTITUDE_STATUS": _gimbal,
    "TERRAIN_REPORT": _terrain,
    "STATUSTEXT": _statustext,
}
