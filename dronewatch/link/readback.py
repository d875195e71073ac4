"""Whether the items a vehicle reads back are the items that were uploaded.

Why a module of its own: an autopilot stores items in its own form and reports them
that way, so a byte-for-byte comparison rejects correct uploads. ArduPilot (observed
on ArduCopter 4.7 SITL, see ../shared/reference/ardupilot-copter-behaviour.md):

- frames come back in non-INT form (GLOBAL_INT as GLOBAL, RELATIVE_ALT_INT as
  RELATIVE_ALT, TERRAIN_ALT_INT as TERRAIN_ALT);
- DO_* items (and RTL, takeoff) come back in frame 0 with x = y = 0, and without z
  where nothing is stored;
- fence and rally items come back with autocontinue 0; fence altitudes are not stored;
- NAV_LOITER_TIME param3 0 comes back as 1, NAV_LAND param4 0 as 1;
- parameters travel as float32, altitudes are stored in centimetres.

Everything else must survive the round trip: the command, every parameter, a place
to the 1e-7 degree, an altitude to the centimetre, a mission item's autocontinue.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from dronewatch.missionitem import Cmd, Frame, MissionItem, MissionType

__all__ = ["differences", "same_item"]

#: Frames that are the same thing in float and int form (ArduPilot reads back non-INT).
_SAME_FRAME = {Frame.GLOBAL_INT: Frame.GLOBAL,
               Frame.GLOBAL_RELATIVE_ALT_INT: Frame.GLOBAL_RELATIVE_ALT,
               Frame.GLOBAL_TERRAIN_ALT_INT: Frame.GLOBAL_TERRAIN_ALT}
#: Commands whose x/y are a place that must survive a round trip.
_PLACED = {16, 17, 18, 19, 21, 31, 82, 195, 201, 5000, 5001, 5002, 5003, 5004, 5100}
#: (command, parameter index) that ArduPilot reports as 1 where 0 was sent.
_ZERO_READS_ONE = {(Cmd.NAV_LOITER_TIME, 2), (Cmd.NAV_LAND, 3)}
_ALT_TOL_M = 0.011  # stored in whole centimetres
_FENCE_TYPES = (MissionType.FENCE, MissionType.RALLY)


def _frame(frame: int) -> int:
    return _SAME_FRAME.get(frame, frame)


def _param_ok(command: int, index: int, sent: float, back: float) -> bool:
    if math.isnan(sent) or math.isnan(back):
        return math.isnan(sent) and math.isnan(back)
    if math.isclose(sent, back, rel_tol=1e-6, abs_tol=1e-6):
        return True
    return (command, index) in _ZERO_READS_ONE and sent == 0 and back == 1


def same_item(sent: MissionItem, back: MissionItem,
              mission_type: MissionType = MissionType.MISSION) -> bool:
    """Whether ``back`` is ``sent`` as ArduPilot (or a plainer vehicle) reads it back."""
    if sent.command != back.command:
        return False
    sent_p = (sent.param1, sent.param2, sent.param3, sent.param4)
    back_p = (back.param1, back.param2, back.param3, back.param4)
    if not all(_param_ok(sent.command, i, a, b) for i, (a, b) in enumerate(
            zip(sent_p, back_p, strict=True))):
        return False
    if mission_type not in _FENCE_TYPES and sent.autocontinue != back.autocontinue:
        return False
    mine, theirs = _frame(sent.frame), _frame(back.frame)
    if sent.command in _PLACED:
        if (sent.x, sent.y) != (back.x, back.y):
            return False
        if mission_type is MissionType.FENCE:
            return True  # polygon and circle fences have no altitude
        return mine == theirs and math.isclose(sent.z, back.z, abs_tol=_ALT_TOL_M)
    frame_ok = mine == theirs or theirs == Frame.GLOBAL
    place_ok = (back.x, back.y) in ((0, 0), (sent.x, sent.y))
    z_ok = back.z == 0 or math.isclose(sent.z, back.z, abs_tol=_ALT_TOL_M)
    return frame_ok and place_ok and z_ok


def differences(sent: Sequence[MissionItem], back: Sequence[MissionItem],
                mission_type: MissionType = MissionType.MISSION) -> list[str]:
    """What differs, one line per item (empty when the vehicle holds what was sent).

    For missions, item 0 is the home slot: the vehicle reports its own home there.
    """
    if len(sent) != len(back):
        return [f"the vehicle holds {len(back)} items, {len(sent)} were sent"]
    first = 1 if mission_type == MissionType.MISSION else 0
    return [f"item {seq}: sent {a}, read back {b}"
            for seq, (a, b) in enumerate(zip(sent, back, strict=True))
            if seq >= first and not same_item(a, b, mission_type)]
