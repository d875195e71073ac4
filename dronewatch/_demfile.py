"""Which file in a mapdata folder is the station's DEM.

Why: a station brings terrain as GDAL writes it, not as we name it: an SRTM tile must
keep its own name (``N44E088.hgt``: GDAL reads the position from it), a survey comes as
a GeoTIFF of any name, and a district over several tiles is a VRT. Choosing here, with
pathlib only (no GDAL import), keeps reading the settings fast; opening is Terrain's.
"""

from __future__ import annotations

from pathlib import Path

from dronewatch.errors import TerrainError

__all__ = ["DEM_NAME", "DEM_SUFFIXES", "find_dem"]

DEM_NAME = "dem.tif"
"""The name ``dronewatch mapdata build`` writes, chosen first when present."""

DEM_SUFFIXES = (".tif", ".tiff", ".hgt", ".vrt", ".img", ".dem", ".asc", ".bil",
                ".dt0", ".dt1", ".dt2")
"""Extensions of the elevation formats a station meets (GeoTIFF, SRTM, VRT, ERDAS,
USGS DEM, Esri ASCII and BIL, DTED)."""


def find_dem(folder: Path) -> Path:
    """The DEM in ``folder``: ``dem.tif``, else its one mosaic (``.vrt``), else its one raster.

    Why not pick the first of several tiles: planning over one tile of a district that
    spans three would refuse (or misplace) everything on the others; a mosaic is one
    command away, so say so.

    Raises
    ------
    TerrainError
        The folder holds several DEM tiles and no mosaic, or several mosaics.
    """
    if (folder / DEM_NAME).is_file() or not folder.is_dir():
        return folder / DEM_NAME
    rasters = sorted(p for p in folder.iterdir()
                     if p.is_file() and p.suffix.lower() in DEM_SUFFIXES)
    mosaics = [p for p in rasters if p.suffix.lower() == ".vrt"]
    if len(mosaics) == 1:
        return mosaics[0]
    if len(rasters) == 1:
        return rasters[0]
    if not rasters:
        return folder / DEM_NAME  # opening it says "no such file", naming the folder
    names = ", ".join(p.name for p in (mosaics or rasters)[:4])
    more = "" if len(mosaics or rasters) <= 4 else ", ..."
    raise TerrainError(
        f"{folder}: {len(mosaics or rasters)} DEM files ({names}{more}) and no dem.tif: "
        f"build the station's DEM from them with `dronewatch mapdata build --dem "
        f"{folder}/* --zones ZONES.geojson --out {folder}`")
