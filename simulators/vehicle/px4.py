"""The simulated copter wearing PX4's face: its HEARTBEAT, mode numbers, parameters and fence.

Why: dronewatch talks to PX4 vehicles too, and PX4 differs from ArduPilot exactly where
a mistake is dangerous. Its geofence has no enable switch (an uploaded fence acts
whenever GF_ACTION is not 0, default 2 = Hold), its integer parameters travel as the
bytes of an int32 inside PARAM_VALUE/PARAM_SET's float, and its modes pack a main and
a sub mode into HEARTBEAT.custom_mode. With ``--autopilot px4`` the same flight model
answers in those terms, so the station's PX4 path is tested against a real MAVLink
peer. Names and values are PX4's (src/modules/navigator/geofence_params.c,
src/modules/commander/px4_custom_mode.h); flying still follows the simulator's copter.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from simulators.vehicle.modes import CopterMode
from simulators.vehicle.params import Params, ParamSpec

if TYPE_CHECKING:
    from simulators.vehicle.config import VehicleConfig

__all__ = ["ARDUPILOT_ONLY", "PX4_PARAMS", "breach_mode", "copter_mode", "custom_mode",
           "decode", "encode", "params_for"]

#: PX4's geofence parameters (defaults as in PX4).
PX4_PARAMS: dict[str, ParamSpec] = {
    "GF_ACTION": ParamSpec(2, True),  # 0 none, 1 warning, 2 hold, 3 return, 4 terminate, 5 land
    "GF_ALTMODE": ParamSpec(0, True),
    "GF_SOURCE": ParamSpec(0, True),
    "GF_COUNT": ParamSpec(-1, True),
    "GF_MAX_HOR_DIST": ParamSpec(0),  # m from home, 0 = no limit
    "GF_MAX_VER_DIST": ParamSpec(0),  # m above home, 0 = no limit
    "GF_PREDICT": ParamSpec(0, True),
}
#: ArduPilot names a PX4 vehicle does not have (a GCS setting them gets no echo).
ARDUPILOT_ONLY = frozenset({"FENCE_ENABLE", "FENCE_TYPE", "FENCE_ACTION", "FENCE_ALT_MAX",
                            "FENCE_ALT_MIN", "FENCE_RADIUS", "FENCE_MARGIN"})

_MAIN_MANUAL, _MAIN_ALTCTL, _MAIN_POSCTL, _MAIN_AUTO, _MAIN_ACRO, _MAIN_STAB = 1, 2, 3, 4, 5, 7
_SUB_TAKEOFF, _SUB_LOITER, _SUB_MISSION, _SUB_RTL, _SUB_LAND = 2, 3, 4, 5, 6
_TO_PX4: dict[CopterMode, tuple[int, int]] = {
    CopterMode.STABILIZE: (_MAIN_STAB, 0), CopterMode.ACRO: (_MAIN_ACRO, 0),
    CopterMode.ALT_HOLD: (_MAIN_ALTCTL, 0), CopterMode.POSHOLD: (_MAIN_POSCTL, 0),
    CopterMode.AUTO: (_MAIN_AUTO, _SUB_MISSION), CopterMode.RTL: (_MAIN_AUTO, _SUB_RTL),
    CopterMode.LAND: (_MAIN_AUTO, _SUB_LAND), CopterMode.LOITER: (_MAIN_AUTO, _SUB_LOITER),
    # PX4's Hold takes repositions and take-offs, as ArduCopter's GUIDED does
    CopterMode.GUIDED: (_MAIN_AUTO, _SUB_LOITER),
}
_FROM_PX4: dict[tuple[int, int], CopterMode] = {
    (_MAIN_MANUAL, 0): CopterMode.STABILIZE, (_MAIN_STAB, 0): CopterMode.STABILIZE,
    (_MAIN_ACRO, 0): CopterMode.ACRO, (_MAIN_ALTCTL, 0): CopterMode.ALT_HOLD,
    (_MAIN_POSCTL, 0): CopterMode.POSHOLD, (_MAIN_AUTO, _SUB_MISSION): CopterMode.AUTO,
    (_MAIN_AUTO, _SUB_RTL): CopterMode.RTL, (_MAIN_AUTO, _SUB_LAND): CopterMode.LAND,
    (_MAIN_AUTO, _SUB_LOITER): CopterMode.GUIDED, (_MAIN_AUTO, _SUB_TAKEOFF): CopterMode.GUIDED,
}
_INT32 = struct.Struct("<i")
_FLOAT = struct.Struct("<f")


def custom_mode(mode: CopterMode) -> int:
    """HEARTBEAT.custom_mode for a mode: PX4's main mode in byte 2, sub mode in byte 3."""
    main, sub = _TO_PX4.get(mode, (_MAIN_AUTO, _SUB_LOITER))  # others hold, as Hold does
    return (main << 16) | (sub << 24)


def copter_mode(main: int, sub: int) -> CopterMode | None:
    """The flight mode a PX4 (main, sub) mode request means here; None if unknown."""
    return _FROM_PX4.get((int(main), int(sub)), _FROM_PX4.get((int(main), 0)))


def encode(value: float, integer: bool) -> float:
    """PARAM_VALUE's float for a value: an integer's int32 bytes (PX4's bytewise rule)."""
    if not integer:
        return float(value)
    return float(_FLOAT.unpack(_INT32.pack(round(value)))[0])


def decode(param_value: float, integer: bool) -> float:
    """The value a PARAM_SET carries for a parameter of this kind (PX4 copies the bytes)."""
    if not integer:
        return float(param_value)
    return float(_INT32.unpack(_FLOAT.pack(param_value))[0])


def breach_mode(gf_action: int) -> CopterMode | None:
    """What PX4 does at a geofence breach: 2 Hold, 3 Return, 4 Terminate, 5 Land.

    Termination cuts the motors on a real vehicle; here it lands, so a test that asks for
    it sees a vehicle that stopped flying the mission without dropping out of the sky.
    """
    return {2: CopterMode.GUIDED, 3: CopterMode.RTL, 4: CopterMode.LAND,
            5: CopterMode.LAND}.get(int(gf_action))


def params_for(config: VehicleConfig) -> Params:
    """The parameter set of the autopilot the vehicle presents itself as."""
    overrides = {"SYSID_THISMAV": config.sysid, **dict(config.params)}
    if config.autopilot == "PX4":
        return Params(overrides, extra=PX4_PARAMS, hidden=ARDUPILOT_ONLY)
    return Params(overrides)
