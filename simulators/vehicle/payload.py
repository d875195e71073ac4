"""The gimbal and the triggered camera the simulated copter carries.

Why here: the simulated thermal camera renders frames from the poses this payload
reports (CAMERA_FEEDBACK for each picture, GIMBAL_DEVICE_ATTITUDE_STATUS for where it
points), exactly as it would from a real ArduPilot vehicle's telemetry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Camera", "Gimbal"]


@dataclass
class Gimbal:
    """A stabilised two-axis gimbal: pitch in the earth frame, yaw relative to the body."""

    pitch_deg: float = -90.0
    yaw_deg: float = 0.0
    roi: tuple[float, float, float] | None = None  # east, north, alt AMSL

    def point(self, *, pitch_deg: float, yaw_deg: float) -> None:
        """Point at fixed angles (clears any region of interest)."""
        self.roi = None
        self.pitch_deg = max(-90.0, min(30.0, pitch_deg))
        self.yaw_deg = yaw_deg

    def track(self, east_m: float, north_m: float, alt_amsl_m: float,
              vehicle_yaw_deg: float) -> None:
        """Aim at the region of interest, if one is set, from the given position."""
        if self.roi is None:
            return
        de, dn, du = self.roi[0] - east_m, self.roi[1] - north_m, self.roi[2] - alt_amsl_m
        horizontal = math.hypot(de, dn)
        self.pitch_deg = max(-90.0, min(30.0, math.degrees(math.atan2(du, horizontal))))
        bearing = math.degrees(math.atan2(de, dn))
        self.yaw_deg = (bearing - vehicle_yaw_deg + 180.0) % 360.0 - 180.0


@dataclass
class Camera:
    """Triggers by distance travelled (DO_SET_CAM_TRIGG_DIST) or by time (IMAGE_START_CAPTURE)."""

    distance_m: float = 0.0
    interval_s: float = 0.0
    remaining: int = 0  # pictures left in a time series, -1 = unlimited
    image_count: int = 0
    _since_m: float = 0.0
    _last_s: float = 0.0
    _pending_now: bool = False

    def set_distance(self, distance_m: float, *, trigger_now: bool = False) -> None:
        self.distance_m = max(distance_m, 0.0)
        self._since_m = 0.0
        self._pending_now = trigger_now

    def shoot(self) -> None:
        """One picture now (MAV_CMD_DO_DIGICAM_CONTROL shoot=1)."""
        self._pending_now = True

    def start_interval(self, interval_s: float, count: int) -> None:
        self.interval_s = max(interval_s, 0.0)
        self.remaining = count if count > 0 else -1
        self._last_s = -math.inf
        if self.interval_s == 0:
            self._pending_now = True
            self.remaining = 0

    def stop(self) -> None:
        self.interval_s = 0.0
        self.distance_m = 0.0
        self.remaining = 0

    def due(self, moved_m: float, now_s: float, *, airborne: bool = True) -> bool:
        """Whether a picture is taken this step; counts it when so.

        A single shot asked for fires wherever the vehicle is; distance and interval
        series only while ``airborne``.
        """
        fire = self._pending_now
        self._pending_now = False
        if not airborne:
            if fire:
                self.image_count += 1
            return fire
        if self.distance_m > 0:
            self._since_m += moved_m
            if self._since_m >= self.distance_m:
                self._since_m -= self.distance_m
                fire = True
        if self.interval_s > 0 and self.remaining != 0 and now_s - self._last_s >= self.interval_s:
            self._last_s = now_s
            self.remaining = self.remaining - 1 if self.remaining > 0 else -1
            fire = True
        if fire:
            self.image_count += 1
        return fire
