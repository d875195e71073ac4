"""DJI subtitles written the way an enterprise aircraft writes them, for tests and benchmarks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from dronewatch.geo import CameraPose

__all__ = ["write_subtitles"]


def _clock(s: float) -> str:
    ms = round(s * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"


def _block(i: int, fps: float, wall_s: float, pose: CameraPose, zoom: float) -> str:
    stamp = datetime.fromtimestamp(wall_s + i / fps, UTC)
    g, yaw = pose.gimbal, pose.attitude.yaw_deg + pose.gimbal.yaw_deg
    return (f"{i + 1}\n{_clock(i / fps)} --> {_clock((i + 1) / fps)}\n<font size=\"28\">"
            f"FrameCnt: {i + 1}, DiffTime: {round(1000 / fps)}ms\n"
            f"{stamp:%Y-%m-%d %H:%M:%S}.{stamp.microsecond // 1000:03d}\n"
            f"[iso: 100] [focal_len: 40.00] [dzoom_ratio: {zoom:.2f}], "
            f"[latitude: {pose.lat_deg:.7f}] [longitude: {pose.lon_deg:.7f}] "
            f"[rel_alt: 60.000 abs_alt: {pose.alt_amsl_m:.3f}] "
            f"[gb_yaw: {yaw:.1f} gb_pitch: {g.pitch_deg:.1f} gb_roll: {g.roll_deg:.1f}] </font>")


def write_subtitles(path: Path, poses: Sequence[CameraPose], fps: float, wall_s: float,
                    zoom: float = 1.0) -> Path:
    """One block a video frame: frame i at ``i / fps`` into the video, at ``wall_s + i /
    fps`` on the aircraft's clock (written in UTC, no zone, as DJI writes it)."""
    path.write_text("\n\n".join(_block(i, fps, wall_s, pose, zoom)
                                for i, pose in enumerate(poses)) + "\n")
    return path
