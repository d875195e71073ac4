"""QGroundControl ``.plan`` files (see ``files`` for what is accepted and why)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

from dronewatch.missionitem import Frame, MissionItem
from dronewatch.planning.errors import PlanningError
from dronewatch.planning.itemplace import item_place

__all__ = ["PlanFile", "read_plan", "write_plan"]

_SUPPORTED_SURVEY_VERSIONS = {3, 4, 5}
_TRANSECT_ITEMS = {"survey", "CorridorScan"}  # complex items that store their flight items


@dataclass(frozen=True, slots=True)
class PlanFile:
    """A mission with its home, fence polygons/circles and rally points (WGS84).

    ``firmware_type`` is MAV_AUTOPILOT (3 ArduPilot, 12 PX4), ``vehicle_type`` MAV_TYPE;
    None for a field the file did not hold (it is left out when written again).
    """

    home: tuple[float, float, float]  # lat, lon, alt AMSL (NaN where the file had null)
    items: tuple[MissionItem, ...]  # without the home item
    inclusion_polygons: tuple[tuple[tuple[float, float], ...], ...] = ()
    exclusion_polygons: tuple[tuple[tuple[float, float], ...], ...] = ()
    circles: tuple[tuple[float, float, float, bool], ...] = ()  # lat, lon, radius, inclusion
    rally: tuple[tuple[float, float, float], ...] = ()
    firmware_type: int | None = 3
    vehicle_type: int | None = 2
    cruise_speed_mps: float | None = 10.0
    hover_speed_mps: float | None = 10.0
    altitude_mode: int | None = None  # QGC's globalPlanAltitudeMode


def _num(value: Any) -> float:
    if value is None:
        return math.nan
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{value!r} is not a number")
    return float(value)


def _whole(value: Any, what: str) -> int:
    number = _num(value)
    if not number.is_integer():
        raise ValueError(f"{what} {value!r} is not a whole number")
    return int(number)


def _simple(item: Any, where: str) -> MissionItem:
    if not isinstance(item, dict):
        raise PlanningError(f"{where}: not an object")
    for key in ("command", "params"):
        if key not in item:
            raise PlanningError(f"{where}, field {key}: missing")
    try:
        params = [_num(p) for p in item["params"]]
    except (TypeError, ValueError) as exc:
        raise PlanningError(f"{where}, field params: {exc}") from None
    if len(params) != 7:
        raise PlanningError(f"{where}, field params: 7 numbers needed, found {len(params)}")
    try:
        command = _whole(item["command"], "command")
        frame = _whole(item.get("frame", Frame.MISSION), "frame")
    except ValueError as exc:
        raise PlanningError(f"{where}, field {str(exc).split()[0]}: {exc}") from None
    x, y = item_place(command, params[4:], where, ("params[4] (latitude)", "params[5] (longitude)",
                                                "params[6] (altitude)"))
    return MissionItem(command, frame, *params[:4], x=x, y=y,
                       z=0.0 if math.isnan(params[6]) else params[6],
                       autocontinue=bool(item.get("autoContinue", True)))


def _part(container: dict, key: str, kind: type, field: str, name: str) -> Any:
    """``container[key]`` when it is a ``kind`` (list or dict); empty when absent or null.

    Why: a plan is edited by hand and by other tools; a field of the wrong JSON type must
    be refused naming the field, not fail later with Python's words for it.
    """
    value = container.get(key)
    if value is None:
        return kind()
    if not isinstance(value, kind):
        wanted = "a list" if kind is list else "an object"
        raise PlanningError(f"{name}, field {field}: {type(value).__name__} {value!r:.40}, "
                            f"expected {wanted}")
    return value


def _read_json(name: str, path: str | PathLike[str]) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanningError(f"{name}: cannot read as a QGroundControl plan: {exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanningError(f"{name}, line {exc.lineno}: not JSON: {exc.msg}") from None
    except RecursionError:
        raise PlanningError(f"{name}: nested too deeply to be a plan") from None


def _optional(mission: dict, key: str, kind: type, name: str) -> Any:
    value = mission.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PlanningError(f"{name}, field mission.{key}: {value!r} is not a number")
    if kind is int and not float(value).is_integer():
        raise PlanningError(f"{name}, field mission.{key}: {value!r} is not a whole number")
    return kind(value)


def read_plan(path: str | PathLike[str]) -> PlanFile:
    """Read a QGroundControl ``.plan`` (fileType Plan, version 1, mission version 2).

    Raises
    ------
    PlanningError
        Not JSON, a version this reader does not know, no mission, or a complex item
        whose flight items are not stored in the file; the message names the file, the
        line or item, and the field.
    """
    name = str(path)
    doc = _read_json(name, path)
    if not isinstance(doc, dict) or doc.get("fileType") != "Plan":
        raise PlanningError(f"{name}, field fileType: not a QGroundControl plan (fileType is "
                            "not 'Plan')")
    if doc.get("version") != 1:
        raise PlanningError(f"{name}, field version: plan file version {doc.get('version')!r} "
                            "is not supported (expected 1)")
    mission = doc.get("mission")
    if not isinstance(mission, dict):
        raise PlanningError(f"{name}, field mission: the plan holds no mission")
    if mission.get("version") != 2:
        raise PlanningError(f"{name}, field mission.version: mission version "
                            f"{mission.get('version')!r} is not supported (expected 2)")
    items: list[MissionItem] = []
    for index, item in enumerate(_part(mission, "items", list, "mission.items", name)):
        where = f"{name}: mission item {index + 1}"
        kind = item.get("type") if isinstance(item, dict) else None
        if kind == "SimpleItem":
            items.append(_simple(item, where))
        elif kind == "ComplexItem":
            items.extend(_complex(item, where))
        else:
            raise PlanningError(f"{where}, field type: unknown item type {kind!r}")
    home = _part(mission, "plannedHomePosition", list, "mission.plannedHomePosition", name) \
        or [None, None, None]
    try:
        lat, lon, alt = (_num(v) for v in home[:3]) if len(home) >= 3 else (
            _num(home[0]), _num(home[1]), math.nan)
    except (TypeError, ValueError, IndexError) as exc:
        raise PlanningError(f"{name}, field mission.plannedHomePosition: {exc}") from None
    inclusion, exclusion, circles, rally = _fence_and_rally(doc, name)
    return PlanFile((lat, lon, alt), tuple(items), inclusion, exclusion, circles, rally,
                    firmware_type=_optional(mission, "firmwareType", int, name),
                    vehicle_type=_optional(mission, "vehicleType", int, name),
                    cruise_speed_mps=_optional(mission, "cruiseSpeed", float, name),
                    hover_speed_mps=_optional(mission, "hoverSpeed", float, name),
                    altitude_mode=_optional(mission, "globalPlanAltitudeMode", int, name))


def _fence_and_rally(doc: dict, name: str) -> tuple[Any, Any, Any, Any]:
    fence = _part(doc, "geoFence", dict, "geoFence", name)
    if fence.get("polygon"):  # QGroundControl before 3.3, which its later versions ignore
        raise PlanningError(f"{name}, field geoFence.polygon: a version 1 fence, which "
                            "QGroundControl no longer reads either; save the plan again in a "
                            "current QGroundControl so that the fence is not lost")
    inclusion, exclusion, circles = [], [], []
    for i, polygon in enumerate(_part(fence, "polygons", list, "geoFence.polygons", name)):
        try:
            ring = tuple((float(a), float(b)) for a, b in polygon["polygon"])
            inside = polygon.get("inclusion", True)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise PlanningError(f"{name}, field geoFence.polygons[{i}]: not a list of "
                                f"[lat, lon] ({exc})") from None
        (inclusion if inside else exclusion).append(ring)
    for i, c in enumerate(_part(fence, "circles", list, "geoFence.circles", name)):
        try:
            circles.append((float(c["circle"]["center"][0]), float(c["circle"]["center"][1]),
                            float(c["circle"]["radius"]), bool(c.get("inclusion", True))))
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            raise PlanningError(f"{name}, field geoFence.circles[{i}]: needs circle.center "
                                f"[lat, lon] and circle.radius ({exc})") from None
    rally = []
    rally_points = _part(doc, "rallyPoints", dict, "rallyPoints", name)
    for i, point in enumerate(_part(rally_points, "points", list, "rallyPoints.points", name)):
        try:
            rally.append((float(point[0]), float(point[1]), _num(point[2])))
        except (TypeError, ValueError, IndexError, KeyError) as exc:
            raise PlanningError(f"{name}, field rallyPoints.points[{i}]: not [lat, lon, alt] "
                                f"({exc})") from None
    return tuple(inclusion), tuple(exclusion), tuple(circles), tuple(rally)


def _complex(item: dict, where: str) -> list[MissionItem]:
    kind = item.get("complexItemType")
    if not isinstance(kind, str) or kind not in _TRANSECT_ITEMS:
        raise PlanningError(f"{where}, field complexItemType: complex item {kind!r} is not "
                            "supported; only surveys and corridor scans with their generated "
                            "items can be imported")
    version = item.get("version")
    if kind == "survey" and (not isinstance(version, int) or version not in
                             _SUPPORTED_SURVEY_VERSIONS):
        raise PlanningError(f"{where}, field version: survey version {version!r} "
                            f"is not supported (known: {sorted(_SUPPORTED_SURVEY_VERSIONS)})")
    transect = _part(item, "TransectStyleComplexItem", dict, "TransectStyleComplexItem", where)
    stored = _part(transect, "Items", list, "TransectStyleComplexItem.Items", where)
    if not stored:
        raise PlanningError(f"{where}, field TransectStyleComplexItem.Items: the {kind} has no "
                            "generated flight items stored")
    return [_simple(sub, f"{where}, {kind} item {i + 1}") for i, sub in enumerate(stored)]


def write_plan(path: str | PathLike[str], plan: PlanFile, *,
               cruise_speed_mps: float | None = None) -> None:
    """Write a ``.plan`` QGroundControl opens (simple items only).

    ``cruise_speed_mps`` overrides the plan's cruise and hover speeds (a plan made here).
    """
    def simple(i: int, item: MissionItem) -> dict:
        placed = item.x != 0 or item.y != 0
        return {"type": "SimpleItem", "autoContinue": item.autocontinue, "command": item.command,
                "doJumpId": i + 1, "frame": item.frame,
                "params": [_json_num(item.param1), _json_num(item.param2),
                           _json_num(item.param3), _json_num(item.param4),
                           item.lat_deg if placed else 0, item.lon_deg if placed else 0,
                           _json_num(item.z)]}
    cruise = cruise_speed_mps if cruise_speed_mps is not None else plan.cruise_speed_mps
    hover = cruise_speed_mps if cruise_speed_mps is not None else plan.hover_speed_mps
    mission: dict[str, Any] = {"version": 2, "firmwareType": plan.firmware_type,
                               "vehicleType": plan.vehicle_type, "cruiseSpeed": cruise,
                               "hoverSpeed": hover,
                               "globalPlanAltitudeMode": plan.altitude_mode,
                               "plannedHomePosition": [_json_num(v) for v in plan.home],
                               "items": [simple(i, item) for i, item in enumerate(plan.items)]}
    doc = {
        "fileType": "Plan", "version": 1, "groundStation": "dronewatch",
        "mission": {k: v for k, v in mission.items() if v is not None},
        "geoFence": {"version": 2,
                     "polygons": [{"inclusion": inc, "version": 1, "polygon": [list(p) for p in r]}
                                  for inc, rings in ((True, plan.inclusion_polygons),
                                                     (False, plan.exclusion_polygons))
                                  for r in rings],
                     "circles": [{"inclusion": c[3], "version": 1,
                                  "circle": {"center": [c[0], c[1]], "radius": c[2]}}
                                 for c in plan.circles]},
        "rallyPoints": {"version": 2, "points": [[p[0], p[1], _json_num(p[2])]
                                                 for p in plan.rally]},
    }
    Path(path).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


def _json_num(value: float) -> float | None:
    return None if math.isnan(value) else value
