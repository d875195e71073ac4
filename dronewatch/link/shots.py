"""Camera shots and position fixes as public values, in degrees, metres and seconds.

Why here: CAMERA_FEEDBACK and GLOBAL_POSITION_INT carry MAVLink's units (1e-7 degrees,
millimetres, centidegrees); decoding them is the link's job, so the flight loop gets
values it can use as they are and never touches a raw message.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Self

from dronewatch.link._mavutil import MavMessage
from dronewatch.link.connection import Subscription

__all__ = ["CameraShot", "PositionFix", "ShotFeed", "camera_shot", "position_fix"]

_NO_HEADING = 65535  # GLOBAL_POSITION_INT.hdg when the heading is unknown


@dataclass(frozen=True, slots=True)
class CameraShot:
    """One shot the autopilot says its camera took (CAMERA_FEEDBACK), with the pose
    it was taken from. ``received_s`` is when it arrived (``time.monotonic()``)."""

    image_index: int
    latitude_deg: float
    longitude_deg: float
    altitude_amsl_m: float
    altitude_rel_m: float
    roll_deg: float
    pitch_deg: float
    yaw_deg: float
    time_vehicle_s: float  # the vehicle's stamp of the shot (UTC or since boot)
    received_s: float


@dataclass(frozen=True, slots=True)
class PositionFix:
    """Where the vehicle is (GLOBAL_POSITION_INT); ``heading_deg`` is None when the
    vehicle does not know it. ``received_s`` is when it arrived (``time.monotonic()``)."""

    latitude_deg: float
    longitude_deg: float
    altitude_amsl_m: float
    altitude_rel_m: float
    heading_deg: float | None
    time_boot_s: float
    received_s: float


def camera_shot(msg: MavMessage) -> CameraShot:
    """A CAMERA_FEEDBACK in degrees and metres."""
    return CameraShot(int(msg["img_idx"]), msg["lat"] / 1e7, msg["lng"] / 1e7,
                      float(msg["alt_msl"]), float(msg["alt_rel"]), float(msg["roll"]),
                      float(msg["pitch"]), float(msg["yaw"]), msg["time_usec"] / 1e6,
                      msg.received_s)


def position_fix(msg: MavMessage) -> PositionFix:
    """A GLOBAL_POSITION_INT in degrees and metres."""
    hdg = msg["hdg"]
    return PositionFix(msg["lat"] / 1e7, msg["lon"] / 1e7, msg["alt"] / 1000.0,
                       msg["relative_alt"] / 1000.0,
                       hdg / 100.0 if hdg != _NO_HEADING else None,
                       msg["time_boot_ms"] / 1000.0, msg.received_s)


class ShotFeed:
    """A vehicle's camera shots and position fixes, queued until read (use ``with``).

    Why positions with the shots: a shot whose CAMERA_FEEDBACK was lost on the link is
    posed from the telemetry at its capture time, so both streams are read in order.
    """

    def __init__(self, subscription: Subscription) -> None:
        self._sub = subscription

    @staticmethod
    def _decode(msg: MavMessage | None) -> CameraShot | PositionFix | None:
        if msg is None:
            return None
        return camera_shot(msg) if msg.type == "CAMERA_FEEDBACK" else position_fix(msg)

    def get(self, timeout_s: float) -> CameraShot | PositionFix | None:
        """The next shot or fix, or None after ``timeout_s``."""
        return self._decode(self._sub.get(timeout_s))

    def drain(self) -> list[CameraShot | PositionFix]:
        """Everything queued now, oldest first."""
        return [camera_shot(m) if m.type == "CAMERA_FEEDBACK" else position_fix(m)
                for m in self._sub.drain()]

    def close(self) -> None:
        self._sub.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
