"""Rotations between the vehicle body, the gimbal, the camera and the local NED frame.

Why: georeferencing is only as good as the chain of rotations from a pixel to the
world. Conventions follow MAVLink and ArduPilot so telemetry can be used as it comes:
NED world axes, body x forward / y right / z down, Euler angles applied yaw then pitch
then roll (ZYX), gimbal pitch 0 = level forward and -90 = straight down.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["OPTICAL_TO_GIMBAL", "Attitude", "GimbalAttitude", "euler_to_matrix"]

#: Camera optical axes (x right, y down, z forward: OpenCV's) expressed in the gimbal
#: frame (x forward along the boresight, y right, z down). Columns are the optical axes.
OPTICAL_TO_GIMBAL: NDArray[np.float64] = np.array(
    [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
)


def euler_to_matrix(roll_deg: float, pitch_deg: float, yaw_deg: float) -> NDArray[np.float64]:
    """ZYX Euler angles to the rotation matrix taking body vectors into NED."""
    r, p, y = np.radians([roll_deg, pitch_deg, yaw_deg])
    cr, sr, cp, sp, cy, sy = np.cos(r), np.sin(r), np.cos(p), np.sin(p), np.cos(y), np.sin(y)
    return np.array(
        [
            [cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr],
            [sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr],
            [-sp, cp * sr, cp * cr],
        ]
    )


@dataclass(frozen=True, slots=True)
class Attitude:
    """Vehicle attitude: roll and pitch in degrees, yaw (heading) from true north, clockwise."""

    roll_deg: float = 0.0
    pitch_deg: float = 0.0
    yaw_deg: float = 0.0

    def __post_init__(self) -> None:
        for name in ("roll_deg", "pitch_deg", "yaw_deg"):
            if not np.isfinite(getattr(self, name)):
                raise ValueError(f"Attitude.{name} must be finite")
        if abs(self.pitch_deg) > 90.0:
            raise ValueError(f"Attitude.pitch_deg {self.pitch_deg} outside [-90, 90]")

    def matrix(self) -> NDArray[np.float64]:
        """Rotation taking body vectors into NED."""
        return euler_to_matrix(self.roll_deg, self.pitch_deg, self.yaw_deg)


@dataclass(frozen=True, slots=True)
class GimbalAttitude:
    """Where the camera points relative to the vehicle.

    ``stabilised=True`` (the usual two- or three-axis gimbal) means pitch and roll are
    held in the earth frame and only yaw follows the vehicle heading, so vehicle roll
    and pitch do not move the image. ``stabilised=False`` is a hard mount: the gimbal
    angles are relative to the body and the whole vehicle attitude applies.
    """

    pitch_deg: float = -90.0
    roll_deg: float = 0.0
    yaw_deg: float = 0.0
    stabilised: bool = True

    def __post_init__(self) -> None:
        for name in ("pitch_deg", "roll_deg", "yaw_deg"):
            if not np.isfinite(getattr(self, name)):
                raise ValueError(f"GimbalAttitude.{name} must be finite")
        if not -120.0 <= self.pitch_deg <= 45.0:
            raise ValueError(f"GimbalAttitude.pitch_deg {self.pitch_deg} outside [-120, 45]")

    def camera_to_ned(self, vehicle: Attitude) -> NDArray[np.float64]:
        """Rotation taking optical-frame vectors (x right, y down, z forward) into NED."""
        if self.stabilised:
            gimbal = euler_to_matrix(self.roll_deg, self.pitch_deg, vehicle.yaw_deg + self.yaw_deg)
        else:
            gimbal = vehicle.matrix() @ euler_to_matrix(self.roll_deg, self.pitch_deg, self.yaw_deg)
        return gimbal @ OPTICAL_TO_GIMBAL
