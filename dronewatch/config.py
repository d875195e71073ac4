"""Station settings from a file and the environment, so commands need few options.

Why both: the station's PC keeps a ``dronewatch.toml`` (which drone, which store,
which limits), while a rehearsal or a script overrides one value with an environment
variable. Order: command-line option, then environment, then the file, then the
built-in default. The file is ``$DRONEWATCH_CONFIG`` or ``./dronewatch.toml``.

Where the modelled operating area's files live is a setting too: every command needs
the DEM and the zones, and an operator should not have to name them each time. The
default is the repository's ``mapdata/``; a station that keeps its own surveyed data
elsewhere points ``DRONEWATCH_MAPDATA`` at that folder.

Why strict: one typo must never silently put every setting back to its default (the
wrong store, the wrong drone, no battery limit). Every problem is an error naming the
file (or variable), the line and the field, and every setting has a range.
"""

from __future__ import annotations

import math
import os
import re
import socket
import sys
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dronewatch._demfile import find_dem
from dronewatch.errors import DronewatchError

__all__ = [
    "DEFAULT_AIRFRAME",
    "DEFAULT_CAMERA",
    "DEFAULT_TIMEZONE",
    "ConfigError",
    "Settings",
    "data_dir",
    "default_dem_path",
    "default_station",
    "default_store_path",
    "default_zones_path",
    "load_settings",
    "mapdata_dir",
    "settings_path",
]

_MAPDATA_ENV = "DRONEWATCH_MAPDATA"
_URL_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_DRONE_SCHEMES = ("udp:", "udpin:", "udpout:", "tcp:", "tcpin:")
_STATION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


DEFAULT_CAMERA = "dji-m30t"
DEFAULT_AIRFRAME = "large-quad"
# The district's own clock (UTC+6), the one the patrol schedules and the weekly report keep.
DEFAULT_TIMEZONE = "Asia/Urumqi"


class ConfigError(DronewatchError, ValueError):
    """The settings file is unreadable or holds a wrong field."""


@dataclass(frozen=True, slots=True)
class Settings:
    """The station's settings; each field's range is in :data:`RANGES`."""

    drone: str = "udpout:127.0.0.1:14550"  # DRONEWATCH_DRONE
    # DRONEWATCH_STORE; default: the station's data folder (see default_store_path)
    store: str = field(default_factory=lambda: str(default_store_path()))
    missions: str = "missions"  # DRONEWATCH_MISSIONS
    min_battery_pct: float = 30.0  # DRONEWATCH_MIN_BATTERY_PCT
    link_lost_after_s: float = 15.0  # DRONEWATCH_LINK_LOST_AFTER_S
    signing_key_file: str = ""  # DRONEWATCH_SIGNING_KEY_FILE: MAVLink 2 key, "" = unsigned
    # DRONEWATCH_CAMERA, DRONEWATCH_AIRFRAME: the station's equipment, by preset name. Every
    # command that plans or flies takes them from here, so a plan written by `plan search`
    # has the lanes `search` flies.
    camera: str = DEFAULT_CAMERA
    airframe: str = DEFAULT_AIRFRAME
    # DRONEWATCH_TIMEZONE: the station's clock (an IANA name). Maps show times in it with
    # UTC beside, because the team reads its watches and the logs and autopilot read UTC.
    timezone: str = DEFAULT_TIMEZONE
    # DRONEWATCH_STATION: this station's name, written on every row it stores, so the
    # regional database that gathers many stations knows whose each row is.
    station: str = field(default_factory=lambda: default_station())
    # DRONEWATCH_DRONES (comma-separated): the station's drones, flown together on a
    # search given no --drone; empty: the one ``drone``
    drones: tuple[str, ...] = ()

    @property
    def fleet(self) -> tuple[str, ...]:
        """The drones a search flies when none is named: ``drones``, else ``drone``."""
        return self.drones or (self.drone,)

    @property
    def zone(self) -> ZoneInfo:
        """The station's time zone (checked when the settings were read)."""
        return ZoneInfo(self.timezone)


RANGES: dict[str, tuple[float, float]] = {
    "min_battery_pct": (10.0, 95.0),  # below 10 % no pack lands safely; above 95 nothing flies
    "link_lost_after_s": (2.0, 300.0),
}


def check_drone_url(url: str) -> str | None:
    """Why ``url`` is not a MAVLink address, or None when it looks like one."""
    if url.startswith(_DRONE_SCHEMES):
        host, _, port = url.partition(":")[2].rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            return f"{url!r}: expected udp:|udpin:|udpout:|tcp:HOST:PORT (port 1-65535)"
        return None
    if url.startswith("/dev/") or url.upper().startswith("COM"):
        return None
    return (f"{url!r}: not a MAVLink address; use udp:, udpin:, udpout:, tcp:HOST:PORT or a "
            "serial device like /dev/ttyUSB0,57600")


def check_store_url(where: str) -> str | None:
    """Why ``where`` cannot name a store, or None (a path, sqlite:/// or postgresql://)."""
    if not where.strip():
        return "empty; give a SQLite file path or a postgresql:// URL"
    scheme = _URL_SCHEME.match(where)
    if scheme and scheme.group(1).lower() not in ("sqlite", "postgresql", "postgres"):
        return (f"unknown store scheme {scheme.group(1)!r}; use a SQLite file path, "
                "sqlite:///PATH or postgresql://USER@HOST/DB")
    return None


def default_station() -> str:
    """The host name (cut to a valid station name), or ``station`` when it has none.

    Why the host name: each station runs on its own PC, so two stations that forgot to
    set a name still tag their rows apart.
    """
    name = re.sub(r"[^A-Za-z0-9._-]", "-", socket.gethostname().split(".")[0])[:64]
    return name if _STATION.match(name) else "station"


def check_station(name: str) -> str | None:
    """Why ``name`` cannot name a station, or None."""
    if _STATION.match(name):
        return None
    return (f"{name!r}: a station name is 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit")


def check_timezone(name: str) -> str | None:
    """Why ``name`` is not a time zone this machine knows, or None."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder such as "Asia"
        return f"{name!r}: unknown time zone; give an IANA name such as Asia/Urumqi"
    return None


def _check_preset(lookup: Callable[[str], object]) -> Callable[[str], str | None]:
    def check(name: str) -> str | None:
        try:
            lookup(name)
        except DronewatchError as exc:
            return str(exc)
        return None
    return check


def _camera_lookup(name: str) -> object:
    from dronewatch.geo.camera import camera_preset  # geometry is not needed to read settings

    return camera_preset(name)


def _airframe_lookup(name: str) -> object:
    from dronewatch.planning.energy import airframe_preset

    return airframe_preset(name)


_CHECKS: dict[str, Callable[[str], str | None]] = {
    "drone": check_drone_url,
    "store": check_store_url,
    "missions": lambda v: None if v.strip() else "empty; give the patrol folder",
    "camera": _check_preset(_camera_lookup),
    "airframe": _check_preset(_airframe_lookup),
    "timezone": check_timezone,
    "station": check_station,
}


def mapdata_dir() -> Path:
    """The folder holding the DEM and ``zones.geojson`` (``$DRONEWATCH_MAPDATA``'s folder
    when it names the DEM file itself)."""
    configured = os.environ.get(_MAPDATA_ENV)
    if configured:
        path = Path(configured)
        return path.parent if path.is_file() else path
    return Path(__file__).resolve().parent.parent / "mapdata"


def default_dem_path() -> Path:
    """The operating area's DEM: any raster GDAL reads, see :func:`find_dem`.

    ``$DRONEWATCH_MAPDATA`` may name the DEM itself (a ``.vrt`` over tiles kept
    elsewhere) or its folder. A folder with several tiles and no mosaic is returned as
    the folder: opening it (``Terrain``) then says to run ``dronewatch mapdata build``,
    where the command can show it, rather than here, where every caller would have to.
    """
    configured = os.environ.get(_MAPDATA_ENV)
    if configured and Path(configured).is_file():
        return Path(configured)
    folder = mapdata_dir()
    try:
        return find_dem(folder)
    except DronewatchError:
        return folder


def default_zones_path() -> Path:
    """The operating area's zones GeoJSON."""
    return mapdata_dir() / "zones.geojson"


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The folder where this user's station data lives (XDG, or the OS's own place).

    Why not the current folder: a store in whatever folder a command happened to start
    in is lost, split in two, or overwritten by the next run (a test once did that to
    the demo's). Linux and BSD: ``$XDG_DATA_HOME/dronewatch``, else
    ``~/.local/share/dronewatch``; macOS: ``~/Library/Application Support/dronewatch``;
    Windows: ``%LOCALAPPDATA%\\dronewatch``.
    """
    environ = os.environ if environ is None else environ
    home = Path(environ.get("HOME") or Path.home())
    if sys.platform == "win32":
        base = environ.get("LOCALAPPDATA") or str(home / "AppData" / "Local")
        return Path(base) / "dronewatch"
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / "dronewatch"
    xdg = environ.get("XDG_DATA_HOME", "")
    base_dir = Path(xdg) if xdg and Path(xdg).is_absolute() else home / ".local" / "share"
    return base_dir / "dronewatch"


def default_store_path(environ: Mapping[str, str] | None = None) -> Path:
    """The SQLite store used when neither the settings nor a command name one."""
    return data_dir(environ) / "dronewatch.sqlite"


def settings_path(environ: Mapping[str, str] | None = None) -> Path:
    """The settings file these settings are read from (it need not exist)."""
    environ = os.environ if environ is None else environ
    return Path(environ.get("DRONEWATCH_CONFIG", "dronewatch.toml"))


def _line_of(text: str, name: str) -> int | None:
    pattern = re.compile(rf"^[ \t]*[\"']?{re.escape(name)}[\"']?[ \t]*=", re.MULTILINE)
    match = pattern.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def _convert(name: str, value: object, from_env: bool) -> object:
    """The value as the field's type, or a message why not."""
    default = getattr(Settings(), name)
    if isinstance(default, tuple):
        return _drone_list(value, from_env)
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError(f"{value!r} is not a number")
        if isinstance(value, str) and not from_env:
            raise ValueError(f"{value!r} is text; write the number without quotes")
        number = float(value)
        low, high = RANGES[name]
        if not math.isfinite(number) or not low <= number <= high:
            raise ValueError(f"{value!r} is out of range [{low:g}, {high:g}]")
        return number
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not text; write it in quotes")
    problem = _CHECKS.get(name, lambda _: None)(value)
    if problem:
        raise ValueError(problem)
    return value


def _drone_list(value: object, from_env: bool) -> tuple[str, ...]:
    """A list of MAVLink addresses (comma-separated in a variable), none twice."""
    if from_env and isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{value!r} is not a list of addresses; write [\"udpout:...\", ...]")
    for url in value:
        problem = check_drone_url(url)
        if problem:
            raise ValueError(problem)
    if len(set(value)) != len(value):
        raise ValueError("the same drone is listed twice")
    return tuple(value)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from ``dronewatch.toml`` and ``DRONEWATCH_*`` variables.

    Raises
    ------
    ConfigError
        The file is not TOML, names an unknown setting, or a value (from the file or a
        variable) has the wrong type or is out of range; the message names the file
        and line (or the variable) and the field.
    """
    environ = dict(os.environ) if environ is None else environ
    path = settings_path(environ)
    text = ""
    values: dict[str, object] = {}
    if "DRONEWATCH_CONFIG" in environ and not path.is_file():
        raise ConfigError(f"{path}: DRONEWATCH_CONFIG names no settings file")
    if path.is_file():
        try:
            text = path.read_text(encoding="utf-8")
            values = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read: {exc}") from None
    known = [f.name for f in fields(Settings)]
    for name in values:
        if name not in known:
            line = _line_of(text, name)
            where = f"{path}, line {line}" if line else str(path)
            raise ConfigError(f"{where}: {name}: unknown setting; known: {', '.join(known)}")
    converted: dict[str, object] = {}
    for name in known:
        env_name = f"DRONEWATCH_{name.upper()}"
        from_env = env_name in environ
        if not from_env and name not in values:
            continue
        value = environ[env_name] if from_env else values[name]
        try:
            converted[name] = _convert(name, value, from_env)
        except ValueError as exc:
            line = None if from_env else _line_of(text, name)
            where = (f"environment variable {env_name}" if from_env
                     else f"{path}, line {line}" if line else str(path))
            raise ConfigError(f"{where}: {name}: {exc}") from None
    return Settings(**converted)  # type: ignore[arg-type]
