"""Station settings from a file and the environment, so commands need few options.

Why both: the station's PC keeps a ``dronewatch.toml`` (which drone, which store,
which limits), while a rehearsal or a script overrides one value with an environment
variable. Order: command-line option, then environment, then the file, then the
built-in default. The file is ``$DRONEWATCH_CONFIG`` or ``./dronewatch.toml``.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

from dronewatch.errors import DronewatchError

__all__ = ["ConfigError", "Settings", "load_settings"]


class ConfigError(DronewatchError, ValueError):
    """The settings file is unreadable or holds a wrong field."""


@dataclass(frozen=True, slots=True)
class Settings:
    drone: str = "udpout:127.0.0.1:14550"  # DRONEWATCH_DRONE
    store: str = "out/dronewatch.sqlite"  # DRONEWATCH_STORE
    missions: str = "missions"  # DRONEWATCH_MISSIONS
    min_battery_pct: float = 30.0  # DRONEWATCH_MIN_BATTERY_PCT
    link_lost_after_s: float = 15.0  # DRONEWATCH_LINK_LOST_AFTER_S


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Settings from ``dronewatch.toml`` and ``DRONEWATCH_*`` variables."""
    environ = dict(os.environ) if environ is None else environ
    path = Path(environ.get("DRONEWATCH_CONFIG", "dronewatch.toml"))
    values: dict[str, object] = {}
    if path.is_file():
        try:
            values = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, OSError) as exc:
            raise ConfigError(f"{path}: {exc}") from exc
    known = {f.name: f for f in fields(Settings)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ConfigError(f"{path}: {unknown[0]}: unknown setting; known: {', '.join(known)}")
    for name in known:
        env = environ.get(f"DRONEWATCH_{name.upper()}")
        if env is not None:
            values[name] = env
    for name, value in list(values.items()):
        kind = type(getattr(Settings(), name))
        try:
            values[name] = kind(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{path}: {name}: {value!r} is not a {kind.__name__}") from None
    return Settings(**values)  # type: ignore[arg-type]
