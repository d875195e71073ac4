"""Flight-mode names for each autopilot flavour and vehicle kind, both ways.

Why per flavour: ArduPilot puts a small mode number in HEARTBEAT.custom_mode, PX4
packs a main and a sub mode into its bytes; the same request ("RTL") means different
numbers. Why per vehicle kind: each ArduPilot firmware numbers its own modes (19 is
AVOID_ADSB on a copter, QLOITER on a VTOL plane, MANUAL on a sub), and the HEARTBEAT's
``type`` says which firmware is talking. dronewatch speaks in names; these tables turn
them into numbers and back. The ArduPilot tables follow ``ArduCopter/mode.h``,
``ArduPlane/mode.h``, ``Rover/mode.h`` and ``ArduSub/defines.h``; PX4's follows
``px4_custom_mode.h``.
"""

from __future__ import annotations

from enum import StrEnum

from dronewatch.link.errors import LinkError

__all__ = ["Flavour", "VehicleKind", "mode_name", "mode_params", "mode_table"]


class Flavour(StrEnum):
    """Which autopilot firmware a vehicle runs."""

    ARDUPILOT = "ArduPilot"
    PX4 = "PX4"
    UNKNOWN = "unknown"

    @classmethod
    def from_autopilot(cls, autopilot: int) -> Flavour:
        return {3: cls.ARDUPILOT, 12: cls.PX4}.get(autopilot, cls.UNKNOWN)


class VehicleKind(StrEnum):
    """Which ArduPilot firmware's mode numbers a vehicle uses, from HEARTBEAT.type."""

    COPTER = "copter"
    PLANE = "plane"  # fixed wing and QuadPlane VTOLs
    ROVER = "rover"  # ground rovers and boats
    SUB = "sub"
    OTHER = "other"  # a type with no table here (tracker, blimp, gimbal...)
    UNKNOWN = "unknown"  # no HEARTBEAT yet

    @classmethod
    def from_mav_type(cls, mav_type: int) -> VehicleKind:
        return _KIND_BY_MAV_TYPE.get(mav_type, cls.OTHER)


_KIND_BY_MAV_TYPE = {
    0: VehicleKind.UNKNOWN,  # MAV_TYPE_GENERIC
    1: VehicleKind.PLANE,  # FIXED_WING
    **dict.fromkeys((2, 3, 4, 13, 14, 15, 29, 35), VehicleKind.COPTER),  # multi, heli
    10: VehicleKind.ROVER, 11: VehicleKind.ROVER,  # GROUND_ROVER, SURFACE_BOAT
    12: VehicleKind.SUB,  # SUBMARINE
    **dict.fromkeys(range(19, 26), VehicleKind.PLANE),  # VTOL_* (QuadPlane reports these)
}

ARDUCOPTER_MODES: dict[str, int] = {
    "STABILIZE": 0, "ACRO": 1, "ALT_HOLD": 2, "AUTO": 3, "GUIDED": 4, "LOITER": 5, "RTL": 6,
    "CIRCLE": 7, "LAND": 9, "DRIFT": 11, "SPORT": 13, "FLIP": 14, "AUTOTUNE": 15,
    "POSHOLD": 16, "BRAKE": 17, "THROW": 18, "AVOID_ADSB": 19, "GUIDED_NOGPS": 20,
    "SMART_RTL": 21, "FLOWHOLD": 22, "FOLLOW": 23, "ZIGZAG": 24, "SYSTEMID": 25,
    "AUTOROTATE": 26, "AUTO_RTL": 27, "TURTLE": 28,
}
#: PX4 (main, sub) modes, named by what they do in ArduPilot's words where one exists.
PX4_MODES: dict[str, tuple[int, int]] = {
    "MANUAL": (1, 0), "ALT_HOLD": (2, 0), "POSHOLD": (3, 0), "ACRO": (5, 0),
    "OFFBOARD": (6, 0), "STABILIZE": (7, 0), "TAKEOFF": (4, 2), "LOITER": (4, 3),
    "GUIDED": (4, 3), "AUTO": (4, 4), "RTL": (4, 5), "LAND": (4, 6), "FOLLOW": (4, 8),
    "PRECLAND": (4, 9),
}
ARDUPLANE_MODES: dict[str, int] = {
    "MANUAL": 0, "CIRCLE": 1, "STABILIZE": 2, "TRAINING": 3, "ACRO": 4, "FBWA": 5,
    "FBWB": 6, "CRUISE": 7, "AUTOTUNE": 8, "AUTO": 10, "RTL": 11, "LOITER": 12,
    "TAKEOFF": 13, "AVOID_ADSB": 14, "GUIDED": 15, "INITIALISING": 16, "QSTABILIZE": 17,
    "QHOVER": 18, "QLOITER": 19, "QLAND": 20, "QRTL": 21, "QAUTOTUNE": 22, "QACRO": 23,
    "THERMAL": 24, "LOITER_ALT_QLAND": 25, "AUTOLAND": 26,
}
ROVER_MODES: dict[str, int] = {
    "MANUAL": 0, "ACRO": 1, "STEERING": 3, "HOLD": 4, "LOITER": 5, "FOLLOW": 6, "SIMPLE": 7,
    "DOCK": 8, "CIRCLE": 9, "AUTO": 10, "RTL": 11, "SMART_RTL": 12, "GUIDED": 15,
    "INITIALISING": 16,
}
ARDUSUB_MODES: dict[str, int] = {
    "STABILIZE": 0, "ACRO": 1, "ALT_HOLD": 2, "AUTO": 3, "GUIDED": 4, "CIRCLE": 7,
    "SURFACE": 9, "POSHOLD": 16, "MANUAL": 19, "MOTOR_DETECT": 20, "SURFTRAK": 21,
}
# PX4's own names are accepted too; the names above are the ones read back.
PX4_MODES.update({"POSCTL": (3, 0), "ALTCTL": (2, 0), "STABILIZED": (7, 0), "MISSION": (4, 4)})
#: Modes a PX4 vehicle may report but dronewatch never asks for.
_PX4_REPORTED_ONLY = {
    (4, 1): "READY", (4, 10): "VTOL_TAKEOFF", (3, 1): "ORBIT", (3, 2): "POSCTL_SLOW",
    (8, 0): "RATTITUDE", (10, 0): "TERMINATION",
}
_PX4_NAMES = {**_PX4_REPORTED_ONLY,
              **{value: name for name, value in reversed(PX4_MODES.items())}}
_ARDU_TABLES: dict[VehicleKind, tuple[str, dict[str, int]]] = {
    VehicleKind.COPTER: ("ArduCopter", ARDUCOPTER_MODES),
    VehicleKind.UNKNOWN: ("ArduCopter", ARDUCOPTER_MODES),  # what SITL and most fleets fly
    VehicleKind.PLANE: ("ArduPlane", ARDUPLANE_MODES),
    VehicleKind.ROVER: ("Rover", ROVER_MODES),
    VehicleKind.SUB: ("ArduSub", ARDUSUB_MODES),
}
_ARDU_NAMES = {kind: {number: name for name, number in table.items()}
               for kind, (_, table) in _ARDU_TABLES.items()}
_CUSTOM_MODE_ENABLED = 1


def mode_table(flavour: Flavour, kind: VehicleKind) -> tuple[str, dict[str, int]]:
    """(firmware name, name -> custom_mode) for an ArduPilot vehicle; empty if none."""
    if flavour is Flavour.PX4:
        return "PX4", {}
    return _ARDU_TABLES.get(kind, (f"a {kind.value} vehicle", {}))


def mode_name(flavour: Flavour, custom_mode: int,
              kind: VehicleKind = VehicleKind.UNKNOWN) -> str:
    """The name of a HEARTBEAT custom_mode; ``MODE(<n>)`` when unknown, never an error.

    PX4 modes are the same on every vehicle; ArduPilot's depend on ``kind``.
    """
    if flavour is Flavour.PX4:
        main, sub = (custom_mode >> 16) & 0xFF, (custom_mode >> 24) & 0xFF
        return _PX4_NAMES.get((main, sub), _PX4_NAMES.get((main, 0),
                                                          f"MODE(main {main}, sub {sub})"))
    return _ARDU_NAMES.get(kind, {}).get(custom_mode, f"MODE({custom_mode})")


def mode_params(flavour: Flavour, name: str,
                kind: VehicleKind = VehicleKind.UNKNOWN) -> tuple[float, float, float]:
    """DO_SET_MODE parameters 1-3 for a mode name, in the vehicle's own numbering.

    Raises
    ------
    LinkError
        The vehicle has no such mode; the message lists the ones it has.
    """
    key = name.upper()
    if flavour is Flavour.PX4:
        if key not in PX4_MODES:
            raise LinkError(f"PX4 has no mode {name!r}; known: {', '.join(PX4_MODES)}")
        main, sub = PX4_MODES[key]
        return float(_CUSTOM_MODE_ENABLED), float(main), float(sub)
    firmware, table = mode_table(flavour, kind)
    if key not in table:
        known = ", ".join(table) or "none (no mode table for this vehicle type)"
        raise LinkError(f"{firmware} has no mode {name!r}; known: {known}")
    return float(_CUSTOM_MODE_ENABLED), float(table[key]), 0.0
