"""``QGC WPL 110`` (and 120) files, Mission Planner's ``.waypoints`` (see ``files``)."""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike
from pathlib import Path

from dronewatch.missionitem import Cmd, Frame, MissionItem, MissionType
from dronewatch.planning.errors import PlanningError
from dronewatch.planning.itemplace import item_place

__all__ = ["WplFile", "read_wpl", "read_wpl_file", "write_wpl", "write_wpl_file"]

_FENCE_COMMANDS = {5000, 5001, 5002, 5003, 5004}
_RALLY_COMMANDS = {5100}
_WPL_VERSIONS = {"QGC WPL 110": 110, "QGC WPL 120": 120}  # 120 has no home line
_WPL_FIELDS = ("seq", "current", "frame", "command", "param1", "param2", "param3", "param4",
               "x (latitude)", "y (longitude)", "z (altitude)", "autocontinue")


@dataclass(frozen=True, slots=True)
class WplFile:
    """A WPL file: which list it is, its home line (if it has one) and its items."""

    kind: MissionType
    home: MissionItem | None  # line 0 of a 110 file when it is a NAV_WAYPOINT (fences too)
    items: tuple[MissionItem, ...]
    version: int = 110  # 120 (older QGroundControl, MAVROS) has no home line

    @property
    def home_position(self) -> tuple[float, float, float] | None:
        """The home as (lat, lon, alt AMSL), or None when the file has no home line or
        one at 0, 0: Mission Planner's "home not known yet", not Null Island. The line
        itself is kept, so the file writes back as it was."""
        if self.home is None or (self.home.x == 0 and self.home.y == 0):
            return None
        return self.home.lat_deg, self.home.lon_deg, self.home.z


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
    x, y = item_place(int(command), values[8:11], where,
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
