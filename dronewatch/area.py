"""Where the modelled operating area's files live.

Why: every command needs the DEM and the zones, and an operator should not have to
name them each time. The default is the repository's ``mapdata/``; a station that
keeps its own surveyed data elsewhere points ``DRONEWATCH_MAPDATA`` at that folder.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["default_dem_path", "default_zones_path", "mapdata_dir"]

_ENV = "DRONEWATCH_MAPDATA"


def mapdata_dir() -> Path:
    """The folder holding ``dem.tif`` and ``zones.geojson``."""
    configured = os.environ.get(_ENV)
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parent.parent / "mapdata"


def default_dem_path() -> Path:
    """The operating area's DEM GeoTIFF."""
    return mapdata_dir() / "dem.tif"


def default_zones_path() -> Path:
    """The operating area's zones GeoJSON."""
    return mapdata_dir() / "zones.geojson"
