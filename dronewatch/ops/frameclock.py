"""Which clock a frame's capture time is on when its file does not say.

Why: a JPEG's EXIF time is a wall-clock time with no zone (DJI writes only that on the
H20T; many payloads do). DJI aircraft set it from the controller's phone, in the
station's zone; a camera synced to GNSS writes UTC. Read in the wrong zone a frame is
hours away from its shot: without a log the station's zone is the only guess, with one
the zone that puts the frames inside the log's time is the right one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, tzinfo

from dronewatch.thermal import Frame

__all__ = ["in_zone", "read_in", "zone_of_zoneless"]


def read_in(wall_s: float, zone: tzinfo) -> float:
    """A wall-clock time stored as if it were UTC (as frames keep it), read in ``zone``."""
    return datetime.fromtimestamp(wall_s, UTC).replace(tzinfo=zone).timestamp()


def in_zone(frame: Frame, zone: tzinfo) -> Frame:
    """``frame`` with a zoneless wall-clock time read in ``zone`` (others unchanged)."""
    if frame.time_zone_known:
        return frame
    return replace(frame, time_unix_s=read_in(frame.time_unix_s, zone), time_zone_known=True)


def zone_of_zoneless(wall_times_s: Sequence[float], station: tzinfo,
                     window_s: tuple[float, float] | None, offset_s: float = 0.0,
                     ) -> tuple[tzinfo, str]:
    """(zone, why) to read zoneless wall-clock times in: UTC or the station's zone,
    whichever puts more of them (plus ``offset_s``) inside the log's ``window_s``; the
    station's without a log, or when neither does better."""
    if window_s is None:
        return station, "the station's"
    start, end = window_s

    def inside(zone: tzinfo) -> int:
        return sum(start <= read_in(t, zone) + offset_s <= end for t in wall_times_s)

    if inside(UTC) > inside(station):
        return UTC, "which puts them in the log's time"
    return station, ("the station's, which puts them in the log's time" if inside(station)
                     else "the station's")
