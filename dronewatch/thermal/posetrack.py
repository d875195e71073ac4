"""Poses between telemetry samples: where the camera was when a frame was taken.

Why interpolate: a live feed's frames carry a timestamp but no pose, and telemetry
arrives at a few hertz on its own clock. Linear interpolation of position and of the
angles (yaw the short way round) is what a frame at 30 Hz between 10 Hz attitude
samples needs; a frame outside the telemetry (a gap longer than ``max_gap_s``) gets no
pose rather than a guessed one.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from dronewatch.geo.attitude import Attitude, GimbalAttitude
from dronewatch.geo.projection import CameraPose

__all__ = ["PoseSample", "PoseTrack"]


@dataclass(frozen=True, slots=True)
class PoseSample:
    time_unix_s: float
    pose: CameraPose


def _lerp(a: float, b: float, f: float) -> float:
    return a + (b - a) * f


def _lerp_deg(a: float, b: float, f: float) -> float:
    """Angles the short way round (359° to 1° passes 0°, not 180°)."""
    delta = (b - a + 180.0) % 360.0 - 180.0
    return (a + delta * f + 180.0) % 360.0 - 180.0


def _blend(p: CameraPose, q: CameraPose, f: float) -> CameraPose:
    att = Attitude(_lerp_deg(p.attitude.roll_deg, q.attitude.roll_deg, f),
                   _lerp_deg(p.attitude.pitch_deg, q.attitude.pitch_deg, f),
                   _lerp_deg(p.attitude.yaw_deg, q.attitude.yaw_deg, f))
    gimbal = GimbalAttitude(_lerp(p.gimbal.pitch_deg, q.gimbal.pitch_deg, f),
                            _lerp_deg(p.gimbal.roll_deg, q.gimbal.roll_deg, f),
                            _lerp_deg(p.gimbal.yaw_deg, q.gimbal.yaw_deg, f),
                            q.gimbal.stabilised)
    return CameraPose(_lerp(p.lat_deg, q.lat_deg, f), _lerp(p.lon_deg, q.lon_deg, f),
                      _lerp(p.alt_amsl_m, q.alt_amsl_m, f), att, gimbal)


class PoseTrack:
    """Time-ordered camera poses; ``at(t)`` interpolates, None outside the track.

    Samples may be appended as telemetry arrives (in time order).
    """

    def __init__(self, samples: Sequence[PoseSample] = (), *, max_gap_s: float = 2.0) -> None:
        self.max_gap_s = max_gap_s
        self._times: list[float] = []
        self._poses: list[CameraPose] = []
        for sample in samples:
            self.append(sample)

    def __len__(self) -> int:
        return len(self._times)

    def append(self, sample: PoseSample) -> None:
        if self._times and sample.time_unix_s < self._times[-1]:
            raise ValueError(f"pose sample at {sample.time_unix_s} is older than the last one "
                             f"({self._times[-1]}); samples must come in time order")
        self._times.append(sample.time_unix_s)
        self._poses.append(sample.pose)

    def at(self, time_unix_s: float) -> CameraPose | None:
        """The pose at a time, or None when no telemetry brackets it closely enough."""
        times = self._times
        i = bisect.bisect_left(times, time_unix_s)
        if i < len(times) and times[i] == time_unix_s:
            return self._poses[i]
        if i == 0 or i == len(times):
            edge = 0 if i == 0 else len(times) - 1
            if times and abs(times[edge] - time_unix_s) <= self.max_gap_s / 2:
                return self._poses[edge]  # just past the ends: hold the nearest sample
            return None
        t0, t1 = times[i - 1], times[i]
        if t1 - t0 > self.max_gap_s:
            return None
        return _blend(self._poses[i - 1], self._poses[i], (time_unix_s - t0) / (t1 - t0))
