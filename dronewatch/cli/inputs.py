"""Every operator input checked before anything connects, flies or writes.

Why: a typo on the command line (a negative radius, ``--speedup 0``, a camera folder
that is not there, NaN) must be one clear line and exit code 2 at the prompt, not a
traceback half-way through a launch. Ranges are wide enough for any real use and
narrow enough to catch slips of the finger; the settings file gets the same checks
(:mod:`dronewatch.config`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path

import typer

from dronewatch.config import Settings, check_drone_url, check_store_url
from dronewatch.config import load_settings as _load_settings
from dronewatch.link import signing_key

__all__ = ["camera_choice", "camera_preset_name", "current_settings", "drone_url", "drone_urls",
           "existing_file", "lat_lon", "number", "read_signing_key", "reload_settings",
           "store_url", "writable_folder"]

_settings: Settings | None = None


def current_settings() -> Settings:
    """The settings of this run (read once per command by the app's callback).

    Raises
    ------
    ConfigError
        The settings file or a ``DRONEWATCH_*`` variable is wrong.
    """
    global _settings
    if _settings is None:
        _settings = _load_settings()
    return _settings


def reload_settings() -> Settings:
    """Read the settings again (each command invocation does, so tests and shells agree)."""
    global _settings
    _settings = None
    return current_settings()


def number(low: float, high: float, *, above: bool = False, unit: str = ""
           ) -> Callable[[float | None], float | None]:
    """A typer callback: a finite number in ``[low, high]`` (``(low, high]`` if ``above``)."""
    def check(value: float | None) -> float | None:
        if value is None:
            return None
        too_low = value <= low if above else value < low
        if not math.isfinite(value) or too_low or value > high:
            bound = f"> {low:g}" if above else f">= {low:g}"
            raise typer.BadParameter(f"{value:g}{unit}: must be a number {bound} and "
                                     f"<= {high:g}{unit}")
        return value
    return check


def lat_lon(text: str) -> tuple[float, float]:
    """``LAT,LON`` in degrees, finite and on the globe."""
    try:
        lat, lon = (float(v) for v in text.split(","))
    except ValueError:
        raise typer.BadParameter(f"{text!r}: expected LAT,LON in degrees") from None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90
            and -180 <= lon <= 180):
        raise typer.BadParameter(f"{text!r}: LAT must be within ±90 and LON within ±180 degrees")
    return lat, lon


def drone_url(value: str | None) -> str | None:
    """A typer callback: a MAVLink address we can open."""
    problem = None if value is None else check_drone_url(value)
    if problem:
        raise typer.BadParameter(problem)
    return value


def drone_urls(values: list[str] | None) -> list[str] | None:
    """A typer callback: every repeated --drone a MAVLink address, none given twice."""
    for value in values or []:
        drone_url(value)
    if values and len(set(values)) != len(values):
        raise typer.BadParameter("the same drone is given twice")
    return values


def store_url(value: str | None) -> str | None:
    """A typer callback: a SQLite path or a postgresql:// URL (never echoing a password)."""
    from dronewatch.store.backends import redact_url

    problem = None if value is None else check_store_url(value)
    if problem:
        raise typer.BadParameter(f"{redact_url(value or '')}: {problem}")
    return value


def camera_choice(value: str) -> str:
    """A typer callback: ``sim``, a folder the camera writes into (which must exist), or
    live video: a stream URL (rtsp://, udp://...) or a video file, with an optional
    ``#latency=SECONDS``."""
    if value == "sim" or Path(value).is_dir():
        return value
    from dronewatch.ops.video import is_video, parse_camera

    url = value.partition("#")[0]
    if not is_video(url):
        raise typer.BadParameter(f"{value!r} is neither 'sim' nor an existing folder of frames, "
                                 "nor a video stream (rtsp://, udp://...) or video file")
    try:
        parse_camera(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    if "://" not in url and not Path(url).is_file():
        raise typer.BadParameter(f"{url}: no such video file")
    return value


def camera_preset_name(value: str | None) -> str | None:
    """A typer callback: a camera preset this station knows (None: the settings')."""
    from dronewatch.geo import camera_preset

    if value is None:
        return None
    try:
        camera_preset(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    return value


def writable_folder(value: Path) -> Path:
    """A typer callback: a folder we can write into, or create (checked, not created).

    Why before anything flies: a map or store folder we may not write must stop the
    command at the prompt, not fail after take-off.
    """
    probe = value
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise typer.BadParameter(f"{value}: {probe} is not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise typer.BadParameter(f"{value}: no permission to write in {probe}")
    return value


def existing_file(value: Path | None) -> Path | None:
    """A typer callback: a file that is there and readable."""
    if value is not None and not value.is_file():
        raise typer.BadParameter(f"{value}: no such file")
    return value


def read_signing_key(text: str | None, key_file: str = "") -> bytes | None:
    """The 32-byte MAVLink 2 signing key from ``--signing-key`` or the settings' key file.

    64 hex digits are the key itself; anything else is a passphrase hashed with
    SHA-256, as MAVProxy's ``signing setup`` and our simulator do, so one passphrase
    works on every tool of the station.

    Raises
    ------
    typer.BadParameter
        An empty key, or a key file that cannot be read.
    """
    if text is None and key_file:
        try:
            text = Path(key_file).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise typer.BadParameter(f"signing_key_file {key_file}: cannot read: {exc}") from None
        if not text:
            raise typer.BadParameter(f"signing_key_file {key_file}: the file is empty")
    if text is None:
        return None
    if not text.strip():
        raise typer.BadParameter("--signing-key: empty; give 64 hex digits or a passphrase")
    return signing_key(text)
