"""Battery and ground-station failsafes, by ArduCopter's parameters.

Why: "RTL on link or battery failsafe" is a safety promise of the whole system, so
the simulator must trigger it exactly when ArduCopter would: BATT_LOW_* / BATT_CRT_*
below threshold for BATT_LOW_TIMER seconds act per BATT_FS_LOW_ACT / BATT_FS_CRT_ACT
(1 land, 2 RTL); FS_GCS_ENABLE acts when no heartbeat from MAV_GCS_SYSID came for
FS_GCS_TIMEOUT seconds (only after one was ever heard), and an armed vehicle still on
the ground simply disarms.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pymavlink.dialects.v20 import ardupilotmega as mav

from simulators.vehicle.modes import CopterMode

if TYPE_CHECKING:
    from simulators.vehicle.vehicle import SimVehicle

__all__ = ["battery_failsafe", "gcs_failsafe"]

# BATT_FS_*_ACT: 1 land, 2 RTL, 3 SmartRTL or RTL, 4 SmartRTL or land, 6 DO_LAND_START
# or RTL, 7 brake or land (no SmartRTL path or landing sequence here: RTL / land)
_ACTIONS = {1: CopterMode.LAND, 2: CopterMode.RTL, 3: CopterMode.RTL, 4: CopterMode.RTL,
            6: CopterMode.RTL, 7: CopterMode.LAND}


def _act(v: SimVehicle, action: int) -> None:
    mode = _ACTIONS.get(action)
    if mode is None or v.flight.mode is mode or v.flight.mode is CopterMode.LAND:
        return
    if v.flight.set_mode(mode) and mode is CopterMode.RTL:
        v.flight.set_mode(CopterMode.LAND)  # RTL refused: land where we are


def _below(v: SimVehicle, level: str) -> bool:
    p, b = v.params, v.battery
    volt, mah = p[f"BATT_{level}_VOLT"], p[f"BATT_{level}_MAH"]
    remaining_mah = b.capacity_mah - b.consumed_mah
    return (volt > 0 and b.voltage_v < volt) or (mah > 0 and remaining_mah < mah)


def battery_failsafe(v: SimVehicle, flying: bool) -> None:
    """Low, then critical: each acts once, after BATT_LOW_TIMER seconds below threshold."""
    for level, action_param, label in (("CRT", "BATT_FS_CRT_ACT", "critical"),
                                       ("LOW", "BATT_FS_LOW_ACT", "low")):
        key = f"battery_{label}"
        if key in v.failsafe:
            continue
        if not _below(v, level):
            v._low_since_s.pop(key, None)
            continue
        since = v._low_since_s.setdefault(key, v.time_s)
        if v.time_s - since < v.params["BATT_LOW_TIMER"]:
            continue
        v.failsafe.add(key)
        b = v.battery
        v.say(mav.MAV_SEVERITY_CRITICAL,
              f"Battery 1 is {label} {b.voltage_v:.2f}V used {b.consumed_mah:.0f} mAh")
        if flying:
            _act(v, int(v.params[action_param]))
        break  # critical overrides low in the same step


def gcs_failsafe(v: SimVehicle, flying: bool) -> None:
    """Lost ground station: RTL (FS_GCS_ENABLE 1), continue AUTO (2), land (5)."""
    enabled = int(v.params["FS_GCS_ENABLE"])
    if not enabled or v.last_gcs_heartbeat_s is None:
        return
    silent = v.time_s - v.last_gcs_heartbeat_s > v.params["FS_GCS_TIMEOUT"]
    if not silent:
        if "gcs" in v.failsafe:
            v.failsafe.discard("gcs")
            v.say(mav.MAV_SEVERITY_INFO, "GCS Failsafe Cleared")
        return
    if "gcs" in v.failsafe or not v.armed:
        return
    v.failsafe.add("gcs")
    v.say(mav.MAV_SEVERITY_CRITICAL, "GCS Failsafe")
    if not flying:  # armed on the ground: ArduCopter disarms (should_disarm_on_failsafe)
        v.disarm()
        return
    if enabled == 2 and v.flight.mode is CopterMode.AUTO:
        return
    _act(v, 1 if enabled == 5 else 2)
