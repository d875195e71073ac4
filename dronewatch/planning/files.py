"""QGroundControl ``.plan`` and ``QGC WPL 110`` (Mission Planner ``.waypoints``) files.

Why both: operators bring plans from QGroundControl, ArduPilot's tools write WPL, and
a plan made here must open there. Import is strict: an unknown file version, a
survey without its generated items, or a malformed line is refused with the file,
the place in it, and what is wrong, rather than half-imported.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

from dronewatch.missionitem import Cmd, Frame, MissionItem
from dronewatch.planning.errors import PlanningError

__all__ = ["PlanFile", "read_plan", "read_wpl", "write_plan", "write_wpl"]

_SUPPORTED_SURVEY_VERSIONS = {3, 4, 5}


@dataclass(frozen=True, slots=True)
class PlanFile:
    """A mission with its home, fence polygons/circles and rally points (WGS84)."""

    home: tuple[float, float, float]  # lat, lon, alt AMSL
    items: tuple[MissionItem, ...]  # without the home item
    inclusion_polygons: tuple[tuple[tuple[float, float], ...], ...] = ()
    exclusion_polygons: tuple[tuple[tuple[float, float], ...], ...] = ()
    circles: tuple[tuple[float, float, float, bool], ...] = ()  # lat, lon, radius, inclusion
    rally: tuple[tuple[float, float, float], ...] = field(default_factory=tuple)


def _num(value: Any) -> float:
    return math.nan if value is None else float(value)


def _simple(item: dict, where: str) -> MissionItem:
    try:
        params = [_num(p) for p in item["params"]]
        if len(params) != 7:
            raise ValueError("params must hold 7 numbers")
        lat, lon, alt = params[4:]
        return MissionItem(int(item["command"]), int(item["frame"]), *params[:4],
                           x=0 if math.isnan(lat) else round(lat * 1e7),
                           y=0 if math.isnan(lon) else round(lon * 1e7),
                           z=0.0 if math.isnan(alt) else alt,
                           autocontinue=bool(item.get("autoContinue", True)))
    except (KeyError, TypeError, ValueError) as exc:
        raise PlanningError(f"{where}: bad SimpleItem ({exc})") from None


def read_plan(path: str | PathLike[str]) -> PlanFile:
    """Read a QGroundControl ``.plan`` (fileType Plan, version 1, mission version 2).

    Raises
    ------
    PlanningError
        Not JSON, a version this reader does not know, no mission, or a complex item
        whose flight items are not stored in the file.
    """
    name = str(path)
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PlanningError(f"{name}: cannot read as a QGroundControl plan: {exc}") from None
    if not isinstance(doc, dict) or doc.get("fileType") != "Plan":
        raise PlanningError(f"{name}: not a QGroundControl plan (fileType is not 'Plan')")
    if doc.get("version") != 1:
        raise PlanningError(f"{name}: plan file version {doc.get('version')!r} is not supported "
                            "(expected 1)")
    mission = doc.get("mission")
    if not isinstance(mission, dict):
        raise PlanningError(f"{name}: the plan holds no mission")
    if mission.get("version") != 2:
        raise PlanningError(f"{name}: mission version {mission.get('version')!r} is not "
                            "supported (expected 2)")
    items: list[MissionItem] = []
    for index, item in enumerate(mission.get("items", [])):
        where = f"{name}: mission item {index + 1}"
        if item.get("type") == "SimpleItem":
            items.append(_simple(item, where))
        elif item.get("type") == "ComplexItem":
            items.extend(_complex(item, where))
        else:
            raise PlanningError(f"{where}: unknown item type {item.get('type')!r}")
    home = mission.get("plannedHomePosition") or [math.nan, math.nan, math.nan]
    fence = doc.get("geoFence", {}) or {}
    inclusion, exclusion = [], []
    for polygon in fence.get("polygons", []):
        ring = tuple((float(a), float(b)) for a, b in polygon["polygon"])
        (inclusion if polygon.get("inclusion", True) else exclusion).append(ring)
    circles = tuple((float(c["circle"]["center"][0]), float(c["circle"]["center"][1]),
                     float(c["circle"]["radius"]), bool(c.get("inclusion", True)))
                    for c in fence.get("circles", []))
    rally = tuple(tuple(float(v) for v in p[:3]) for p in (doc.get("rallyPoints") or {}).get(
        "points", []))
    return PlanFile((float(home[0]), float(home[1]), float(home[2])), tuple(items),
                    tuple(inclusion), tuple(exclusion), circles, rally)


def _complex(item: dict, where: str) -> list[MissionItem]:
    kind = item.get("complexItemType")
    if kind != "survey":
        raise PlanningError(f"{where}: complex item {kind!r} is not supported; only surveys "
                            "with their generated items can be imported")
    if item.get("version") not in _SUPPORTED_SURVEY_VERSIONS:
        raise PlanningError(f"{where}: survey version {item.get('version')!r} is not supported "
                            f"(known: {sorted(_SUPPORTED_SURVEY_VERSIONS)})")
    stored = (item.get("TransectStyleComplexItem") or {}).get("Items")
    if not stored:
        raise PlanningError(f"{where}: the survey has no generated flight items stored "
                            "(TransectStyleComplexItem.Items is missing)")
    return [_simple(sub, f"{where}, survey item {i + 1}") for i, sub in enumerate(stored)]


def write_plan(path: str | PathLike[str], plan: PlanFile, *,
               cruise_speed_mps: float = 10.0) -> None:
    """Write a ``.plan`` QGroundControl opens (simple items only)."""
    def simple(i: int, item: MissionItem) -> dict:
        placed = item.x != 0 or item.y != 0
        return {"type": "SimpleItem", "autoContinue": item.autocontinue, "command": item.command,
                "doJumpId": i + 1, "frame": item.frame,
                "params": [_json_num(item.param1), _json_num(item.param2),
                           _json_num(item.param3), _json_num(item.param4),
                           item.lat_deg if placed else 0, item.lon_deg if placed else 0, item.z]}
    doc = {
        "fileType": "Plan", "version": 1, "groundStation": "dronewatch",
        "mission": {"version": 2, "firmwareType": 3, "vehicleType": 2,
                    "cruiseSpeed": cruise_speed_mps, "hoverSpeed": cruise_speed_mps,
                    "plannedHomePosition": list(plan.home),
                    "items": [simple(i, item) for i, item in enumerate(plan.items)]},
        "geoFence": {"version": 2,
                     "polygons": [{"inclusion": inc, "version": 1, "polygon": [list(p) for p in r]}
                                  for inc, rings in ((True, plan.inclusion_polygons),
                                                     (False, plan.exclusion_polygons))
                                  for r in rings],
                     "circles": [{"inclusion": c[3], "version": 1,
                                  "circle": {"center": [c[0], c[1]], "radius": c[2]}}
                                 for c in plan.circles]},
        "rallyPoints": {"version": 2, "points": [list(p) for p in plan.rally]},
    }
    Path(path).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


def _json_num(value: float) -> float | None:
    return None if math.isnan(value) else value


def read_wpl(path: str | PathLike[str]) -> tuple[tuple[float, float, float], list[MissionItem]]:
    """Read ``QGC WPL 110``: the home (line 0) and the items after it.

    Raises
    ------
    PlanningError
        Wrong header, or a line that is not 12 tab-separated fields (line number named).
    """
    name = str(path)
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanningError(f"{name}: cannot read: {exc}") from None
    if not lines or not lines[0].startswith("QGC WPL 110"):
        raise PlanningError(f"{name}: not a QGC WPL 110 file (first line must be 'QGC WPL 110')")
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = line.split()  # tabs by the format, but real files mix in spaces
        if len(fields) != 12:
            raise PlanningError(f"{name}, line {number}: expected 12 fields, found {len(fields)}")
        try:
            seq, _, frame, command = (int(fields[i]) for i in range(4))
            p1, p2, p3, p4, lat, lon, alt = (float(fields[i]) for i in range(4, 11))
            auto = bool(int(float(fields[11])))
        except ValueError as exc:
            raise PlanningError(f"{name}, line {number}: {exc}") from None
        if seq != len(rows):
            raise PlanningError(f"{name}, line {number}: sequence {seq}, expected {len(rows)}")
        rows.append(MissionItem(command, frame, p1, p2, p3, p4, round(lat * 1e7),
                                round(lon * 1e7), alt, auto))
    if not rows:
        raise PlanningError(f"{name}: no items")
    home = rows[0]
    return (home.lat_deg, home.lon_deg, home.z), rows[1:]


def write_wpl(path: str | PathLike[str], home: tuple[float, float, float],
              items: list[MissionItem]) -> None:
    """Write ``QGC WPL 110`` with the home as line 0 (frame GLOBAL, AMSL)."""
    rows = [MissionItem(Cmd.NAV_WAYPOINT, Frame.GLOBAL, x=round(home[0] * 1e7),
                        y=round(home[1] * 1e7), z=home[2]), *items]
    out = ["QGC WPL 110"]
    for seq, item in enumerate(rows):
        values = [seq, int(seq == 0), item.frame, item.command, item.param1, item.param2,
                  item.param3, item.param4, f"{item.lat_deg:.7f}", f"{item.lon_deg:.7f}",
                  f"{item.z:.6f}", int(item.autocontinue)]
        out.append("\t".join(str(v) for v in values))
    Path(path).write_text("\n".join(out) + "\n", encoding="utf-8")
