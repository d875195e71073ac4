"""ArduCopter's flight-mode numbers and which modes may be armed in.

Why a table: HEARTBEAT.custom_mode carries these numbers, and a ground station must
map them to names; the simulator and dronewatch's link share ArduCopter's numbering.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["ARMABLE", "HOLDING", "CopterMode"]


class CopterMode(IntEnum):
    """ArduCopter custom modes (there is no 8 and no 10)."""

    STABILIZE = 0
    ACRO = 1
    ALT_HOLD = 2
    AUTO = 3
    GUIDED = 4
    LOITER = 5
    RTL = 6
    CIRCLE = 7
    LAND = 9
    DRIFT = 11
    SPORT = 13
    FLIP = 14
    AUTOTUNE = 15
    POSHOLD = 16
    BRAKE = 17
    THROW = 18
    AVOID_ADSB = 19
    GUIDED_NOGPS = 20
    SMART_RTL = 21
    FLOWHOLD = 22
    FOLLOW = 23
    ZIGZAG = 24
    SYSTEMID = 25
    AUTOROTATE = 26
    AUTO_RTL = 27
    TURTLE = 28


ARMABLE = {
    CopterMode.STABILIZE, CopterMode.ACRO, CopterMode.ALT_HOLD, CopterMode.LOITER,
    CopterMode.POSHOLD, CopterMode.SPORT, CopterMode.DRIFT, CopterMode.FLOWHOLD,
    CopterMode.THROW, CopterMode.ZIGZAG, CopterMode.GUIDED,
}
#: Modes the simulator flies as "hold where you are" (no pilot sticks exist here).
HOLDING = {
    CopterMode.STABILIZE, CopterMode.ACRO, CopterMode.ALT_HOLD, CopterMode.LOITER,
    CopterMode.POSHOLD, CopterMode.SPORT, CopterMode.DRIFT, CopterMode.FLOWHOLD,
    CopterMode.BRAKE, CopterMode.CIRCLE, CopterMode.ZIGZAG, CopterMode.GUIDED_NOGPS,
    CopterMode.FOLLOW, CopterMode.AVOID_ADSB, CopterMode.SYSTEMID, CopterMode.AUTOTUNE,
    CopterMode.FLIP, CopterMode.THROW, CopterMode.TURTLE, CopterMode.AUTOROTATE,
}
