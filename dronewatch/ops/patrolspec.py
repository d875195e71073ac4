"""Patrol definitions: what an officer writes in ``missions/*.yaml``.

Why YAML and a strict reader: the patrols are edited by the station, not by us. A
typo must stop the scheduler with the file, line and field named, not fly the wrong
zone or never fly at all, and a mistake is found when the file is saved (``dronewatch
check``), not at 01:00. Every field but ``name``, ``zones`` (or ``areas``) and
``schedule`` has a default and every number a range.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import shapely
import yaml
from apscheduler.triggers.cron import CronTrigger

from dronewatch.config import check_drone_url
from dronewatch.errors import DronewatchError
from dronewatch.geo import LocalFrame, camera_preset
from dronewatch.planning import airframe_preset
from dronewatch.zones import ZoneKind, ZoneSet

__all__ = ["PatrolArea", "PatrolFileError", "PatrolSpec", "check_patrols", "load_patrols",
           "patrol_files"]

AREA_FIELDS = ("lat", "lon", "radius_m")
AREA_RADIUS_M = (10.0, 5000.0)
STATION_TZ = "Asia/Urumqi"  # the district's local time (UTC+6), as the station keeps it
LOOK_FOR = ("hotspots", "persons")


class PatrolFileError(DronewatchError, ValueError):
    """A patrol file that cannot be used; names the file and field."""


@dataclass(frozen=True, slots=True)
class PatrolArea:
    """A place to cover that is no zone of the map: the square around a circle.

    Why: the risk plan's targets (an open hazard case, a high-incidence area) are places,
    not zones; a patrol regenerated from it names them by centre and radius.
    """

    lat_deg: float
    lon_deg: float
    radius_m: float

    def polygon_wgs84(self) -> shapely.Polygon:
        r = self.radius_m
        return LocalFrame(self.lat_deg, self.lon_deg).geometry_to_wgs84(
            shapely.box(-r, -r, r, r))


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
    camera: str | None = None  # preset names; default: the station's settings
    airframe: str | None = None
    areas: tuple[PatrolArea, ...] = ()  # places to cover besides the zones
    source: str = ""

    def covers(self) -> list[str]:
        """What it covers, as an officer reads it: zone ids, then each area."""
        return [*self.zones, *(f"{a.radius_m:.0f} m around {a.lat_deg:.5f}, {a.lon_deg:.5f}"
                               for a in self.areas)]

    def region_wgs84(self, zones: ZoneSet) -> shapely.Geometry:
        """What the patrol covers: its zones and its areas, as one shape."""
        return shapely.union_all([zones.get(z).geometry for z in self.zones]
                                 + [a.polygon_wgs84() for a in self.areas])

    def trigger(self) -> CronTrigger:
        return CronTrigger.from_crontab(self.schedule, timezone=ZoneInfo(self.timezone))


# Each number's allowed range: wide enough for any real patrol, narrow enough for typos.
RANGES: dict[str, tuple[float, float]] = {
    "altitude_agl_m": (10.0, 500.0),
    "max_wind_mps": (0.0, 25.0),
    "min_battery_pct": (10.0, 100.0),
    "warn_peak_rise_c": (0.0, 500.0),
    "warn_area_growth": (0.0, 100.0),
    "max_delay_s": (0.0, 86_400.0),
}
_NOT_PATROLLED = {ZoneKind.NO_FLY: "a no-fly zone cannot be patrolled",
                  ZoneKind.LAUNCH_SITE: "a launch site is a point, not an area to patrol"}
_TEXT_FIELDS = ("name", "schedule", "drone", "timezone", "launch_site", "camera", "airframe")
_PRESETS: dict[str, Callable[[str], object]] = {"camera": camera_preset,
                                                 "airframe": airframe_preset}


class _File:
    """One patrol file's problems, each with the line of the field when the YAML has it."""

    def __init__(self, path: Path, lines: dict[str, int]) -> None:
        self.path, self.lines, self.problems = path, lines, []

    def bad(self, field: str, text: str) -> None:
        line = self.lines.get(field)
        where = f"{self.path}, line {line}" if line else str(self.path)
        self.problems.append(f"{where}: {field}: {text}")


def _field_lines(text: str) -> dict[str, int]:
    """Top-level key -> 1-based line, from the YAML's node marks (empty if not a mapping)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(key.value): key.start_mark.line + 1 for key, _ in node.value}


def _check_zones(values: dict[str, Any], zones: ZoneSet, out: _File) -> None:
    if "zones" not in values:  # fine beside areas; else already reported as missing
        values["zones"] = ()
        return
    raw = values["zones"]
    if not isinstance(raw, list) or not (raw or values.get("areas")) \
            or not all(isinstance(z, str) for z in raw):
        out.bad("zones", "a non-empty list of zone ids (or give areas)")
        values["zones"] = ()
        return
    values["zones"] = tuple(raw)
    for zone_id in raw:
        try:
            zone = zones.get(zone_id)
        except DronewatchError as exc:
            out.bad("zones", str(exc))
            continue
        if zone.kind in _NOT_PATROLLED:
            out.bad("zones", f"{zone_id!r} is a {zone.kind.value}: {_NOT_PATROLLED[zone.kind]}")


def _check_areas(values: dict[str, Any], zones: ZoneSet, out: _File) -> None:
    """``areas``: a list of {lat, lon, radius_m}, each centred in the operating area."""
    raw = values.pop("areas", [])
    if not isinstance(raw, list):
        out.bad("areas", f"{raw!r}: a list of {{lat: .., lon: .., radius_m: ..}}")
        return
    areas = []
    for n, item in enumerate(raw, 1):
        if not (isinstance(item, dict) and set(item) == set(AREA_FIELDS) and all(
                isinstance(item[k], int | float) and not isinstance(item[k], bool)
                and math.isfinite(item[k]) for k in AREA_FIELDS)):
            out.bad("areas", f"area {n}: {item!r}: expected lat, lon and radius_m, as numbers")
            continue
        lat, lon, radius = (float(item[k]) for k in AREA_FIELDS)
        if not AREA_RADIUS_M[0] <= radius <= AREA_RADIUS_M[1]:
            out.bad("areas", f"area {n}: radius_m {radius:g} is out of range "
                    f"[{AREA_RADIUS_M[0]:g}, {AREA_RADIUS_M[1]:g}]")
        elif not zones.in_operating_area(lat, lon):
            out.bad("areas", f"area {n}: {lat:.6f}, {lon:.6f} is outside the operating area "
                    f"{zones.operating_area.id!r}")
        else:
            areas.append(PatrolArea(lat, lon, radius))
    values["areas"] = tuple(areas)


def _check_numbers(values: dict[str, Any], out: _File) -> None:
    for name, (low, high) in RANGES.items():
        if name not in values:
            continue
        value = values[name]
        if isinstance(value, bool) or not isinstance(value, int | float):
            out.bad(name, f"{value!r} is not a number")
            values.pop(name)
            continue
        if not math.isfinite(value) or not low <= value <= high:
            out.bad(name, f"{value!r} is out of range [{low:g}, {high:g}]")
            values.pop(name)
            continue
        values[name] = float(value)


def _check_against_area(spec: PatrolSpec, zones: ZoneSet, min_battery_pct: float,
                        out: _File) -> None:
    """The altitude within every zone's limits, a known launch site, the station's battery."""
    limits = [(zones.operating_area.id, None, zones.operating_area.properties["max_alt_agl_m"])]
    for zone_id in spec.zones:
        try:
            props = zones.get(zone_id).properties
        except DronewatchError:
            continue
        limits.append((zone_id, props.get("min_alt_agl_m"), props.get("max_alt_agl_m")))
    for zone_id, low, high in limits:
        if high is not None and spec.altitude_agl_m > high:
            out.bad("altitude_agl_m", f"{spec.altitude_agl_m:g} m is above the limit of "
                    f"{high:g} m of zone {zone_id!r}")
        if low is not None and spec.altitude_agl_m < low:
            out.bad("altitude_agl_m", f"{spec.altitude_agl_m:g} m is below the minimum of "
                    f"{low:g} m of zone {zone_id!r}")
    sites = [s.id for s in zones.launch_sites]
    if spec.launch_site is not None and spec.launch_site not in sites:
        out.bad("launch_site", f"no launch site {spec.launch_site!r}; known: {', '.join(sites)}")
    if spec.min_battery_pct < min_battery_pct:
        out.bad("min_battery_pct", f"{spec.min_battery_pct:g} % is below the station's "
                f"min_battery_pct of {min_battery_pct:g} %")


def _spec(path: Path, text: str, zones: ZoneSet, min_battery_pct: float) -> tuple[
        PatrolSpec | None, list[str]]:
    """The patrol in one file, and every problem found in it."""
    out = _File(path, _field_lines(text))
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        out.bad("(file)", f"not valid YAML: {exc}".replace("\n", " "))
        return None, out.problems
    if not isinstance(data, dict):
        out.bad("(file)", "expected a mapping of fields")
        return None, out.problems
    known = {f.name for f in fields(PatrolSpec)} - {"source"}
    for name in sorted(set(data) - known, key=str):
        out.bad(str(name), f"unknown field; known: {', '.join(sorted(known))}")
    for required in ("name", "schedule"):
        if required not in data:
            out.bad(required, "missing")
    if "zones" not in data and "areas" not in data:
        out.bad("zones", "missing (give zones, areas or both)")
    values = {k: v for k, v in data.items() if k in known}
    _check_zones(values, zones, out)
    _check_areas(values, zones, out)
    look_for = values.get("look_for", list(LOOK_FOR))
    if not isinstance(look_for, list) or not look_for or any(x not in LOOK_FOR
                                                            for x in look_for):
        out.bad("look_for", f"{look_for!r}; a list from {', '.join(LOOK_FOR)}")
        look_for = list(LOOK_FOR)
    values["look_for"] = tuple(look_for)
    _check_numbers(values, out)
    for name in _TEXT_FIELDS:
        if name in values and not (isinstance(values[name], str) and values[name].strip()):
            out.bad(name, f"{values[name]!r}: expected text")
            values.pop(name)
    if "drone" in values and (problem := check_drone_url(values["drone"])):
        out.bad("drone", problem)
    for name, lookup in _PRESETS.items():
        if name in values:
            try:
                lookup(values[name])
            except DronewatchError as exc:
                out.bad(name, str(exc))
    if out.problems:
        return None, out.problems
    spec = PatrolSpec(**values, source=str(path))
    try:
        ZoneInfo(spec.timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "Asia" is a folder of zones
        out.bad("timezone", f"unknown time zone {spec.timezone!r}")
        return None, out.problems
    try:
        spec.trigger()
    except ValueError as exc:
        out.bad("schedule", f"{spec.schedule!r} is not a cron line: {exc}")
    _check_against_area(spec, zones, min_battery_pct, out)
    return (None if out.problems else spec), out.problems


def patrol_files(folder: Path) -> list[Path]:
    """The patrol files of a folder (``*.yaml`` and ``*.yml``), in name order.

    Raises
    ------
    PatrolFileError
        The folder is missing: a mistyped missions path must not mean "no patrols".
    """
    if not folder.is_dir():
        raise PatrolFileError(f"{folder}: the missions folder does not exist")
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def check_patrols(folder: Path, zones: ZoneSet, *, min_battery_pct: float = 0.0
                  ) -> tuple[list[PatrolSpec], list[str]]:
    """Every patrol file of a folder, checked: the good specs and every problem found.

    Why all at once: ``dronewatch check`` shows the officer everything to fix in one go.
    A patrol is checked against the zones (known, patrollable), the launch sites, the
    zones' altitude limits and the station's battery floor.

    Raises
    ------
    PatrolFileError
        The folder is missing.
    """
    specs: list[PatrolSpec] = []
    problems: list[str] = []
    for path in patrol_files(folder):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"{path}: (file): cannot read: {exc}")
            continue
        spec, found = _spec(path, text, zones, min_battery_pct)
        problems.extend(found)
        if spec is None:
            continue
        clash = next((s for s in specs if s.name == spec.name), None)
        if clash:
            problems.append(f"{path}: name: {spec.name!r} is also the name in {clash.source}")
            continue
        specs.append(spec)
    return specs, problems


def load_patrols(folder: Path, zones: ZoneSet, *, min_battery_pct: float = 0.0
                 ) -> list[PatrolSpec]:
    """Every patrol of a folder, checked (see :func:`check_patrols`); names must be unique.

    Raises
    ------
    PatrolFileError
        The folder is missing or any file has a problem; the message lists them all,
        each with its file, line and field.
    """
    specs, problems = check_patrols(folder, zones, min_battery_pct=min_battery_pct)
    if problems:
        raise PatrolFileError("\n".join(problems))
    return specs
