"""The link decodes camera shots and position fixes into degrees, metres and seconds."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from dronewatch.link import CameraShot, PositionFix
from dronewatch.link._mavutil import MavMessage
from dronewatch.link.shots import camera_shot, position_fix


def _msg(kind: str, **fields: Any) -> MavMessage:
    return MavMessage(kind, MappingProxyType(fields), 1, 1, 0, 12.5)


def test_a_camera_feedback_becomes_a_shot_in_degrees_and_metres():
    msg = _msg("CAMERA_FEEDBACK", img_idx=7, lat=431234567, lng=1051234567, alt_msl=1234.5,
               alt_rel=40.0, roll=1.5, pitch=-2.0, yaw=-10.0, time_usec=3_000_000)
    assert camera_shot(msg) == CameraShot(7, 43.1234567, 105.1234567, 1234.5, 40.0, 1.5,
                                          -2.0, -10.0, 3.0, 12.5)


def test_a_position_fix_in_degrees_and_metres_and_an_unknown_heading_is_none():
    msg = _msg("GLOBAL_POSITION_INT", lat=431234567, lon=1051234567, alt=1234500,
               relative_alt=40000, hdg=9000, time_boot_ms=2500)
    assert position_fix(msg) == PositionFix(43.1234567, 105.1234567, 1234.5, 40.0, 90.0,
                                            2.5, 12.5)
    unknown = _msg("GLOBAL_POSITION_INT", lat=0, lon=0, alt=0, relative_alt=0, hdg=65535,
                   time_boot_ms=0)
    assert position_fix(unknown).heading_deg is None
