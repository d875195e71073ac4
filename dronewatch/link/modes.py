"""Flight-mode names for each autopilot flavour, both ways.

Why per flavour: ArduPilot puts a small mode number in HEARTBEAT.custom_mode, PX4
packs a main and a sub mode into its bytes; the same request ("RTL") means different
numbers. dronewatch speaks in names; this table turns them into numbers and back.
"""

from __future__ import annotations

from enum import StrEnum

from dronewatch.link.errors import LinkError

__all__ = ["Flavour", "mode_name", "mode_params"]


class Flavour(StrEnum):
    """Which autopilot firmware a vehicle runs."""

    ARDUPILOT = "ArduPilot"
    PX4 = "PX4"
    UNKNOWN = "unknown"

    @classmethod
    def from_autopilot(cls, autopilot: int) -> Flavour:
        return {3: cls.ARDUPILOT, 12: cls.PX4}.get(autopilot, cls.UNKNOWN)


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
_PX4_NAMES = {value: name for name, value in reversed(PX4_MODES.items())}
_ARDU_NAMES = {value: name for name, value in ARDUCOPTER_MODES.items()}
_CUSTOM_MODE_ENABLED = 1


def mode_name(flavour: Flavour, custom_mode: int) -> str:
    """The name of a HEARTBEAT custom_mode; ``MODE_<n>`` when unknown."""
    if flavour is Flavour.PX4:
        main, sub = (custom_mode >> 16) & 0xFF, (custom_mode >> 24) & 0xFF
        return _PX4_NAMES.get((main, sub), _PX4_NAMES.get((main, 0), f"MODE_{custom_mode}"))
    return _ARDU_NAMES.get(custom_mode, f"MODE_{custom_mode}")


def mode_params(flavour: Flavour, name: str) -> tuple[float, float, float]:
    """DO_SET_MODE parameters 1-3 for a mode name.

    Raises
    ------
    LinkError
        The flavour has no such mode; the message lists the ones it has.
    """
    key = name.upper()
    if flavour is Flavour.PX4:
        if key not in PX4_MODES:
            raise LinkError(f"PX4 has no mode {name!r}; known: {', '.join(PX4_MODES)}")
        main, sub = PX4_MODES[key]
        return float(_CUSTOM_MODE_ENABLED), float(main), float(sub)
    if key not in ARDUCOPTER_MODES:
        raise LinkError(f"ArduCopter has no mode {name!r}; known: {', '.join(ARDUCOPTER_MODES)}")
    return float(_CUSTOM_MODE_ENABLED), float(ARDUCOPTER_MODES[key]), 0.0
