"""Patrol definitions: what an officer writes in ``missions/*.yaml``.

Why YAML and a strict reader: the patrols are edited by the station, not by us. A
typo must stop the scheduler with the file and field named, not fly the wrong zone
or never fly at all. Every field but ``name``, ``zones`` and ``schedule`` has a default.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from apscheduler.triggers.cron import CronTrigger

from dronewatch.errors import DronewatchError
from dronewatch.zones import ZoneSet

__all__ = ["PatrolFileError", "PatrolSpec", "load_patrols"]

STATION_TZ = "Asia/Urumqi"  # the district's local time (UTC+6), as the station keeps it
LOOK_FOR = ("hotspots", "persons")


class PatrolFileError(DronewatchError, ValueError):
    """A patrol file that cannot be used; names the file and field."""


@dataclass(frozen=True, slots=True)
class PatrolSpec:
    """One scheduled patrol."""

    name: str
    zones: tuple[str, ...]
    schedule: str  # cron: minute hour day month weekday, in ``timezone``
    drone: str = "udpout:127.0.0.1:14550"
    timezone: str = STATION_TZ
    launch_site: str | None = None  # default: the nearest to the zones
    altitude_agl_m: float = 80.0
    look_for: tuple[str, ...] = LOOK_FOR
    max_wind_mps: float = 12.0
    min_battery_pct: float = 60.0
    warn_peak_rise_c: float = 20.0  # a hotspot this much hotter than last patrol warns
    warn_area_growth: float = 0.5  # ... or this much larger (0.5 = +50 %)
    max_delay_s: float = 1800.0  # how long a run may wait for its drone before it is skipped
    source: str = ""

    def trigger(self) -> CronTrigger:
        return CronTrigger.from_crontab(self.schedule, timezone=ZoneInfo(self.timezone))


def _problem(path: Path, field: str, text: str) -> PatrolFileError:
    return PatrolFileError(f"{path}: {field}: {text}")


def _spec(path: Path, data: Any, zones: ZoneSet) -> PatrolSpec:
    if not isinstance(data, dict):
        raise _problem(path, "(file)", "expected a mapping of fields")
    known = {f.name for f in fields(PatrolSpec)} - {"source"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise _problem(path, unknown[0], f"unknown field; known: {', '.join(sorted(known))}")
    for required in ("name", "zones", "schedule"):
        if required not in data:
            raise _problem(path, required, "missing")
    values = dict(data)
    values["zones"] = tuple(values["zones"]) if isinstance(values["zones"], list) else None
    if not values["zones"]:
        raise _problem(path, "zones", "a non-empty list of zone ids")
    for zone_id in values["zones"]:
        try:
            zones.get(str(zone_id))
        except DronewatchError as exc:
            raise _problem(path, "zones", str(exc)) from None
    values["look_for"] = tuple(values.get("look_for", LOOK_FOR))
    bad = [x for x in values["look_for"] if x not in LOOK_FOR]
    if bad:
        raise _problem(path, "look_for", f"{bad[0]!r}; choose from {', '.join(LOOK_FOR)}")
    for name in ("altitude_agl_m", "max_wind_mps", "min_battery_pct", "warn_peak_rise_c",
                 "warn_area_growth", "max_delay_s"):
        if name in values:
            try:
                values[name] = float(values[name])
            except (TypeError, ValueError):
                raise _problem(path, name, f"{values[name]!r} is not a number") from None
            if not math.isfinite(values[name]) or values[name] < 0:
                raise _problem(path, name, "must be a finite number >= 0")
    spec = PatrolSpec(**{k: (str(v) if k in ("name", "schedule", "drone", "timezone",
                                              "launch_site") and v is not None else v)
                         for k, v in values.items()}, source=str(path))
    try:
        ZoneInfo(spec.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise _problem(path, "timezone", f"unknown time zone {spec.timezone!r}") from None
    try:
        spec.trigger()
    except ValueError as exc:
        raise _problem(path, "schedule", f"{spec.schedule!r} is not a cron line: {exc}") from None
    return spec


def load_patrols(folder: Path, zones: ZoneSet) -> list[PatrolSpec]:
    """Every ``*.yaml`` patrol in a folder, checked; names must be unique."""
    specs: list[PatrolSpec] = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise _problem(path, "(file)", f"not valid YAML: {exc}") from None
        spec = _spec(path, data, zones)
        clash = next((s for s in specs if s.name == spec.name), None)
        if clash:
            raise _problem(path, "name", f"{spec.name!r} is also the name in {clash.source}")
        specs.append(spec)
    return specs
