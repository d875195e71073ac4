"""From findings to decisions: cases followed until verified, high-incidence areas,
warnings and the weekly report. Numbers come from the store only."""

from zoneinfo import ZoneInfo

from dronewatch.config import DEFAULT_TIMEZONE

__all__ = ["STATION_TZ"]

STATION_TZ = ZoneInfo(DEFAULT_TIMEZONE)  # the patrols' default zone: the station's calendar
