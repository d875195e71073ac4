"""QGroundControl ``.plan`` and ``QGC WPL 110`` (Mission Planner ``.waypoints``) files.

Why both: operators bring plans from QGroundControl, ArduPilot's tools write WPL, and
a plan made here must open there. Import accepts what the ecosystem's own readers
accept (pymavlink's ``mavwp``, which MAVProxy and ArduPilot's autotest use, and
QGroundControl): ``#`` comment lines (above the header too, as in PX4's files), blank
lines, tabs or spaces, CRLF, sequence numbers with gaps or repeats (items are numbered
by their order, as ``mavwp`` does), fence and rally files (told apart by their commands;
Mission Planner puts a home line first), a first line that is a take-off rather than a
home, ``QGC WPL 120`` (older QGroundControl, MAVROS: no home line), ``null`` numbers in
a ``.plan``. What cannot be used is refused with the file, the line (or item) and the
field, never half-imported; a null place a vehicle would fly to is refused, not guessed.
A file that reads writes back item-identical, with a ``.plan``'s firmware, vehicle and
speed fields kept.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

from dronewatch.missionitem import Cmd, Frame, MissionItem, MissionType
from dronewatch.planning.errors import PlanningError

__all__ = ["PlanFile", "WplFile", "read_plan", "read_wpl", "read_wpl_file", "write_plan",
           "write_wpl", "write_wpl_file"]

_SUPPORTED_SURVEY_VERSIONS = {3, 4, 5}
_TRANSECT_ITEMS = {"survey", "CorridorScan"}  # complex items that store their flight items
_FENCE_COMMANDS = {5000, 5001, 5002, 5003, 5004}
_RALLY_COMMANDS = {5100}
#: NAV_WAYPOINT, _LOITER_UNLIM, _TURNS, _TIME, _LAND, _LOITER_TO_ALT, _ARC_WAYPOINT,
#: _SPLINE_WAYPOINT, _VTOL_LAND: flown to their x/y/z; NAV_TAKEOFF, _VTOL_TAKEOFF: to z
_FLOWN_TO, _TAKEOFFS = {16, 17, 18, 19, 21, 31, 36, 82, 85}, {22, 84}
_WPL_VERSIONS = {"QGC WPL 110": 110, "QGC WPL 120": 120}  # 120 has no home line
_WPL_FIELDS = ("seq", "current", "frame", "command", "param1", "param2", "param3", "param4",
               "x (latitude)", "y (longitude)", "z (altitude)", "autocontinue")


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


@dataclass(frozen=True, slots=True)
class WplFile:
    """A WPL file: which list it is, its home line (if it has one) and its items."""

    kind: MissionType
    home: MissionItem | None  # line 0 of a 110 file when it is a NAV_WAYPOINT (fences too)
    items: tuple[MissionItem, ...]
    version: int = 110  # 120 (older QGroundControl, MAVROS) has no home line

    @property
    def home_position(self) -> tuple[float, float, float] | None:
        """The home as (lat, lon, alt AMSL), or None when the file has no home line."""
        return None if self.home is None else (self.home.lat_deg, self.home.lon_deg,
                                               self.home.z)


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


def _place(command: int, values: list[float], where: str, fields: tuple[str, ...]
           ) -> tuple[int, int]:
    """x and y (degrees x 1e7) of an item; a null/NaN place it flies to is refused.

    Why: 0 is Null Island or sea level to PX4 ("here" only to ArduPilot); QGroundControl
    leaves a terrain-following altitude null until it has terrain data the file lacks.
    Items without a place (DO_*, RTL) keep 0 there."""
    needed = (command in _FLOWN_TO,) * 2 + (command in _FLOWN_TO | _TAKEOFFS,)
    for value, field, need in zip(values, fields, needed, strict=True):
        if math.isinf(value):
            raise PlanningError(f"{where}, field {field}: {value} is not a coordinate")
        if need and math.isnan(value):
            raise PlanningError(f"{where}, field {field}: null or NaN, but command {command} "
                                "flies there; it cannot be guessed")
    lat, lon = (0.0 if math.isnan(v) else v for v in values[:2])
    for value, field, limit in ((lat, fields[0], 90), (lon, fields[1], 180)):
        if abs(value) > limit:
            raise PlanningError(f"{where}, field {field}: {value} is beyond +-{limit} degrees")
    return round(lat * 1e7), round(lon * 1e7)


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
    x, y = _place(command, params[4:], where, ("params[4] (latitude)", "params[5] (longitude)",
                                                "params[6] (altitude)"))
    return MissionItem(command, frame, *params[:4], x=x, y=y,
                       z=0.0 if math.isnan(params[6]) else params[6],
                       autocontinue=bool(item.get("autoContinue", True)))


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
    for index, item in enumerate(mission.get("items") or []):
        where = f"{name}: mission item {index + 1}"
        kind = item.get("type") if isinstance(item, dict) else None
        if kind == "SimpleItem":
            items.append(_simple(item, where))
        elif kind == "ComplexItem":
            items.extend(_complex(item, where))
        else:
            raise PlanningError(f"{where}, field type: unknown item type {kind!r}")
    home = mission.get("plannedHomePosition") or [None, None, None]
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
    fence = doc.get("geoFence") or {}
    inclusion, exclusion, circles = [], [], []
    for i, polygon in enumerate(fence.get("polygons") or []):
        try:
            ring = tuple((float(a), float(b)) for a, b in polygon["polygon"])
        except (KeyError, TypeError, ValueError) as exc:
            raise PlanningError(f"{name}, field geoFence.polygons[{i}]: not a list of "
                                f"[lat, lon] ({exc})") from None
        (inclusion if polygon.get("inclusion", True) else exclusion).append(ring)
    for i, c in enumerate(fence.get("circles") or []):
        try:
            circles.append((float(c["circle"]["center"][0]), float(c["circle"]["center"][1]),
                            float(c["circle"]["radius"]), bool(c.get("inclusion", True))))
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise PlanningError(f"{name}, field geoFence.circles[{i}]: needs circle.center "
                                f"[lat, lon] and circle.radius ({exc})") from None
    rally = []
    for i, point in enumerate((doc.get("rallyPoints") or {}).get("points") or []):
        try:
            rally.append((float(point[0]), float(point[1]), _num(point[2])))
        except (TypeError, ValueError, IndexError) as exc:
            raise PlanningError(f"{name}, field rallyPoints.points[{i}]: not [lat, lon, alt] "
                                f"({exc})") from None
    return tuple(inclusion), tuple(exclusion), tuple(circles), tuple(rally)


def _complex(item: dict, where: str) -> list[MissionItem]:
    kind = item.get("complexItemType")
    if kind not in _TRANSECT_ITEMS:
        raise PlanningError(f"{where}, field complexItemType: complex item {kind!r} is not "
                            "supported; only surveys and corridor scans with their generated "
                            "items can be imported")
    if kind == "survey" and item.get("version") not in _SUPPORTED_SURVEY_VERSIONS:
        raise PlanningError(f"{where}, field version: survey version {item.get('version')!r} "
                            f"is not supported (known: {sorted(_SUPPORTED_SURVEY_VERSIONS)})")
    stored = (item.get("TransectStyleComplexItem") or {}).get("Items")
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


def _wpl_row(fields: list[str], where: str) -> MissionItem:
    """One 12-field line as an item; the refusal names the field."""
    values: list[float] = []
    for index, text in enumerate(fields):
        try:
            value = float(text)
        except ValueError:
            raise PlanningError(f"{where}, field {index + 1} ({_WPL_FIELDS[index]}): {text!r} "
                                "is not a number") from None
        if index in (0, 1, 2, 3, 11) and not value.is_integer():
            raise PlanningError(f"{where}, field {index + 1} ({_WPL_FIELDS[index]}): {text!r} "
                                "is not a whole number")
        values.append(value)
    frame, command, p1, p2, p3, p4 = values[2:8]
    x, y = _place(int(command), values[8:11], where,
                  tuple(f"{n} ({_WPL_FIELDS[n - 1]})" for n in (9, 10, 11)))
    return MissionItem(int(command), int(frame), p1, p2, p3, p4, x, y, values[10],
                       bool(int(values[11])))


def _wpl_header(lines: list[str], name: str) -> tuple[int, int]:
    """The header's index and its version; comments above it are skipped."""
    start = next((i for i, line in enumerate(lines)
                  if line.strip() and not line.lstrip().startswith("#")), len(lines))
    header = " ".join(lines[start].split()) if start < len(lines) else ""
    if header not in _WPL_VERSIONS:
        raise PlanningError(f"{name}, line {start + 1}: not a QGC WPL 110 file (first line is "
                            f"{header[:40]!r}, must be 'QGC WPL 110' or 'QGC WPL 120')")
    return start, _WPL_VERSIONS[header]


def read_wpl_file(path: str | PathLike[str]) -> WplFile:
    """Read ``QGC WPL 110`` as ArduPilot's tools write it (or 120): mission, fence or rally.

    Raises
    ------
    PlanningError
        Wrong header, a line that is not 12 numbers, a missing place, or fence/rally
        points mixed into a mission; the message names the file, line and field.
    """
    name = str(path)
    try:
        lines = Path(path).read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanningError(f"{name}: cannot read: {exc}") from None
    start, version = _wpl_header(lines, name)
    rows: list[tuple[int, MissionItem]] = []
    for number, line in enumerate(lines[start + 1:], start=start + 2):
        text = line.strip()
        if not text or text.startswith("#"):
            continue  # comments and blank lines, as pymavlink's mavwp skips them
        fields = text.split()  # tabs by the format, but real files mix in spaces
        if len(fields) != 12:
            raise PlanningError(f"{name}, line {number}: expected 12 fields, found {len(fields)}")
        rows.append((number, _wpl_row(fields, f"{name}, line {number}")))
    if not rows:
        raise PlanningError(f"{name}, line {start + 1}: no items after the header")
    is_home = version == 110 and rows[0][1].command == Cmd.NAV_WAYPOINT
    commands = {item.command for _, item in rows[1 if is_home and len(rows) > 1 else 0:]}
    kind = (MissionType.FENCE if commands <= _FENCE_COMMANDS else
            MissionType.RALLY if commands <= _RALLY_COMMANDS else MissionType.MISSION)
    if kind is MissionType.MISSION:
        for number, item in rows:
            if item.command in _FENCE_COMMANDS | _RALLY_COMMANDS:
                what = "fence" if item.command in _FENCE_COMMANDS else "rally"
                raise PlanningError(f"{name}, line {number}, field 4 (command): {item.command} "
                                    f"is a {what} point in a mission file; fence and rally "
                                    "points go in their own file")
    items = [item for _, item in rows]
    return WplFile(kind, items[0] if is_home else None, tuple(items[1:] if is_home else items),
                   version)


def read_wpl(path: str | PathLike[str]
             ) -> tuple[tuple[float, float, float] | None, list[MissionItem]]:
    """Read ``QGC WPL 110``: the home (None when line 0 is not one) and the items after it.

    See :func:`read_wpl_file` for what is accepted and refused.
    """
    wpl = read_wpl_file(path)
    return wpl.home_position, list(wpl.items)


def _wpl_number(value: float) -> str:
    short = f"{value:.6f}"
    return short if float(short) == value else repr(value)


def write_wpl_file(path: str | PathLike[str], wpl: WplFile) -> None:
    """Write ``QGC WPL 110`` (mavwp reads no other), home line first, items in order; a
    homeless 120 file goes back as 120, since in 110 its first waypoint would be home."""
    rows = [*([wpl.home] if wpl.home is not None else []), *wpl.items]
    out = [f"QGC WPL {120 if wpl.version == 120 and wpl.home is None else 110}"]
    for seq, item in enumerate(rows):
        current = int(seq == 0 and wpl.home is not None)
        values = [seq, current, item.frame, item.command, item.param1, item.param2,
                  item.param3, item.param4, f"{item.lat_deg:.7f}", f"{item.lon_deg:.7f}",
                  _wpl_number(item.z), int(item.autocontinue)]
        out.append("\t".join(str(v) for v in values))
    Path(path).write_text("\n".join(out) + "\n", encoding="utf-8")


def write_wpl(path: str | PathLike[str], home: tuple[float, float, float] | None,
              items: list[MissionItem]) -> None:
    """Write a mission as ``QGC WPL 110`` with the home as line 0 (frame GLOBAL, AMSL)."""
    home_item = None if home is None else MissionItem(
        Cmd.NAV_WAYPOINT, Frame.GLOBAL, x=round(home[0] * 1e7), y=round(home[1] * 1e7),
        z=home[2])
    write_wpl_file(path, WplFile(MissionType.MISSION, home_item, tuple(items)))
