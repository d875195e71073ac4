"""One error hierarchy for the whole package.

Why: an operator-facing CLI must tell a user mistake (bad file, point outside the
map) from a bug. Every error we raise derives from :class:`DronewatchError`, so the
CLI catches exactly that root and prints it, while anything else stays a traceback.
Leaves may also subclass a builtin so generic callers (``except ValueError``) work.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

__all__ = [
    "DronewatchError",
    "GeoError",
    "MapdataError",
    "NoDataError",
    "OutsideCoverageError",
    "RayMissError",
    "TerrainError",
    "UnknownPresetError",
    "ZoneFileError",
    "ZoneProblem",
    "preset",
]


class DronewatchError(Exception):
    """Root of every error dronewatch raises on purpose."""


class GeoError(DronewatchError):
    """Coordinates, terrain or camera geometry could not give an answer."""


class UnknownPresetError(DronewatchError, ValueError):
    """A camera or airframe named in the settings, a patrol or an option is not known;
    the message lists the ones that are."""


def preset(table: Mapping[str, T], name: str, what: str) -> T:
    """``table[name]``, or :class:`UnknownPresetError` naming ``what`` and the known names."""
    try:
        return table[name]
    except KeyError:
        known = ", ".join(sorted(table))
        raise UnknownPresetError(f"unknown {what} {name!r}; known: {known}") from None


class TerrainError(GeoError):
    """A DEM could not be opened or sampled."""


class OutsideCoverageError(TerrainError, ValueError):
    """A point lies outside the DEM's extent."""


class NoDataError(TerrainError, ValueError):
    """A point falls on (or next to) a nodata cell of the DEM."""


class MapdataError(TerrainError):
    """The station's DEM could not be built from the given tiles, or the zones do not fit it."""


class RayMissError(GeoError):
    """A camera ray does not reach the ground within the allowed range."""


@dataclass(frozen=True, slots=True)
class ZoneProblem:
    """One defect found in a zone file: which feature, which field, what is wrong."""

    feature_id: str | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"feature {self.feature_id!r}, " if self.feature_id else ""
        return f"{where}{self.field}: {self.message}"


class ZoneFileError(DronewatchError, ValueError):
    """A zone file was refused; it lists every defect found, and nothing was loaded."""

    def __init__(self, path: str, problems: list[ZoneProblem]) -> None:
        self.path = path
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        count = len(self.problems)
        super().__init__(f"{path}: zone file refused, {count} problem(s):\n{lines}")
