"""The vehicle's own failsafes, set to the station's policy before every flight.

Why part of the pre-flight check: when the ground station dies (a crash, kill -9, a
flat laptop) only the autopilot is left to bring the drone home. ArduCopter's
defaults do nothing on a lost ground station (FS_GCS_ENABLE 0) nor on a low battery
(BATT_FS_LOW_ACT 0 with no threshold): a drone holding over a person in GUIDED would
hover there until the pack is empty. So the station sets them, reads them back (only
the vehicle's own values count) and refuses to fly when they do not stick; and the
link-loss message says what the vehicle will actually do, from those values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from dronewatch.errors import DronewatchError
from dronewatch.link import LinkError, Vehicle

__all__ = ["FailsafeError", "FailsafePolicy", "VehicleFailsafes", "ensure_failsafes"]

# ArduCopter FS_GCS_ENABLE / BATT_FS_*_ACT values, and PX4 NAV_DLL_ACT / COM_LOW_BAT_ACT
_AP_GCS = {0: "nothing", 1: "RTL", 2: "continue an AUTO mission, else RTL",
           3: "SmartRTL or RTL", 4: "SmartRTL or land", 5: "land",
           6: "DO_LAND_START or RTL"}
_AP_BATT = {0: "nothing", 1: "land", 2: "RTL", 3: "SmartRTL or RTL", 4: "SmartRTL or land",
            5: "terminate (motors off)", 6: "DO_LAND_START or RTL", 7: "brake or land"}
_PX4_DLL = {0: "nothing", 1: "hold", 2: "return", 3: "land", 5: "terminate", 6: "lockdown"}
_PX4_BAT = {0: "warn only", 2: "land", 3: "return at critical, land at emergency"}


class FailsafeError(DronewatchError):
    """The vehicle's failsafes could not be set to the station's policy."""


@dataclass(frozen=True, slots=True)
class FailsafePolicy:
    """What the station wants the autopilot to do on its own."""

    gcs_action_ap: int = 1  # FS_GCS_ENABLE 1: RTL when the ground station goes silent
    battery_low_action_ap: int = 2  # BATT_FS_LOW_ACT 2: RTL
    battery_critical_action_ap: int = 1  # BATT_FS_CRT_ACT 1: land
    low_reserve_share: float = 0.25  # BATT_LOW_MAH as a share of BATT_CAPACITY, if unset
    critical_reserve_share: float = 0.10
    min_gcs_timeout_s: float = 5.0  # FS_GCS_TIMEOUT at least this, in vehicle seconds
    heartbeats_per_timeout: float = 10.0  # and this many of our heartbeats long (a busy
    # station must not trip it; a real drone at 1 Hz gets 10 s)
    gcs_action_px4: int = 2  # NAV_DLL_ACT 2: return
    battery_action_px4: int = 3  # COM_LOW_BAT_ACT 3: return, land at emergency


@dataclass(frozen=True, slots=True)
class VehicleFailsafes:
    """The failsafe settings as the vehicle reports them, in words."""

    on_link_loss: str  # e.g. "RTL after 5 s without the ground station (FS_GCS_ENABLE 1)"
    on_low_battery: str

    def link_loss_message(self) -> str:
        return f"the vehicle will {self.on_link_loss}"


def ensure_failsafes(vehicle: Vehicle, policy: FailsafePolicy | None = None
                     ) -> VehicleFailsafes:
    """Set the GCS-loss and battery failsafes to the policy, verify, describe.

    Raises
    ------
    FailsafeError
        A setting was refused, did not stick, or cannot be read; the message names it.
    """
    policy = policy or FailsafePolicy()
    try:
        if vehicle.state.flavour.value == "PX4":
            return _px4(vehicle, policy)
        return _ardupilot(vehicle, policy)
    except LinkError as exc:
        raise FailsafeError(f"the vehicle's failsafes cannot be set: {exc}") from exc


def _set(vehicle: Vehicle, values: dict[str, float]) -> dict[str, float]:
    current = vehicle.get_params(*values)
    for name, value in values.items():
        if abs(current[name] - value) > 1e-6:
            vehicle.set_param(name, value)
    actual = vehicle.get_params(*values)
    wrong = [f"{n} is {actual[n]:g}, not {v:g}" for n, v in values.items()
             if abs(actual[n] - v) > 1e-6]
    if wrong:
        raise FailsafeError("the vehicle's failsafes are not as set: " + "; ".join(wrong))
    return actual


def _ardupilot(vehicle: Vehicle, policy: FailsafePolicy) -> VehicleFailsafes:
    p = vehicle.get_params("BATT_CAPACITY", "BATT_LOW_MAH", "BATT_LOW_VOLT", "BATT_CRT_MAH",
                           "BATT_CRT_VOLT", "FS_GCS_TIMEOUT")
    wanted: dict[str, float] = {"FS_GCS_ENABLE": policy.gcs_action_ap,
                                "BATT_FS_LOW_ACT": policy.battery_low_action_ap,
                                "BATT_FS_CRT_ACT": policy.battery_critical_action_ap}
    # our heartbeats must come several times per timeout, on the vehicle's clock: a
    # simulator at 40x with 8 Hz heartbeats sees one every 5 s, and would fail over
    beat_s = _speedup(vehicle) / max(vehicle.link.heartbeat_hz, 1e-3)
    timeout_s = math.ceil(max(policy.min_gcs_timeout_s, policy.heartbeats_per_timeout * beat_s))
    if p["FS_GCS_TIMEOUT"] < timeout_s:
        wanted["FS_GCS_TIMEOUT"] = timeout_s
    if p["BATT_LOW_MAH"] <= 0 and p["BATT_LOW_VOLT"] <= 0:  # no threshold: never fires
        wanted["BATT_LOW_MAH"] = round(p["BATT_CAPACITY"] * policy.low_reserve_share)
    if p["BATT_CRT_MAH"] <= 0 and p["BATT_CRT_VOLT"] <= 0:
        wanted["BATT_CRT_MAH"] = round(p["BATT_CAPACITY"] * policy.critical_reserve_share)
    actual = _set(vehicle, wanted)
    gcs = round(actual["FS_GCS_ENABLE"])
    low_mah = actual.get("BATT_LOW_MAH", p["BATT_LOW_MAH"])
    threshold = (f"{low_mah:.0f} mAh left" if low_mah > 0
                 else f"{p['BATT_LOW_VOLT']:.1f} V")
    return VehicleFailsafes(
        f"{_AP_GCS.get(gcs, f'act {gcs}')} after "
        f"{actual.get('FS_GCS_TIMEOUT', p['FS_GCS_TIMEOUT']):g} s without the "
        f"ground station (FS_GCS_ENABLE {gcs})",
        f"{_AP_BATT.get(round(actual['BATT_FS_LOW_ACT']), '?')} below {threshold} "
        f"(BATT_FS_LOW_ACT {actual['BATT_FS_LOW_ACT']:g})")


def _speedup(vehicle: Vehicle) -> float:
    """The vehicle clock's speed-up: a SITL's SIM_SPEEDUP when it has one (a measured
    rate is noisy early on), else as the link paces it (1 for a real drone)."""
    try:
        sim = vehicle.get_param("SIM_SPEEDUP", retries=0)
    except LinkError:
        sim = 1.0
    return max(sim, vehicle.speedup, 1.0)


def _px4(vehicle: Vehicle, policy: FailsafePolicy) -> VehicleFailsafes:
    actual = _set(vehicle, {"NAV_DLL_ACT": policy.gcs_action_px4,
                            "COM_LOW_BAT_ACT": policy.battery_action_px4})
    timeout = vehicle.get_param("COM_DL_LOSS_T")
    dll, bat = round(actual["NAV_DLL_ACT"]), round(actual["COM_LOW_BAT_ACT"])
    return VehicleFailsafes(
        f"{_PX4_DLL.get(dll, f'act {dll}')} after {timeout:g} s without the ground station "
        f"(NAV_DLL_ACT {dll})", f"{_PX4_BAT.get(bat, '?')} (COM_LOW_BAT_ACT {bat})")
