"""`dronewatch mapdata build`: the station's own DEM from real tiles, in one step.

Why a command: a station swaps the modelled area for real ground once, with files
it downloaded (SRTM ``.hgt``, GeoTIFF, a VRT); it should not need GDAL's tools.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from dronewatch.cli.common import JsonOption, app, console, run
from dronewatch.cli.inputs import number, writable_folder
from dronewatch.mapbuild import build_mapdata

__all__ = ["mapdata_build"]

mapdata_app = typer.Typer(help="The station's terrain: build its DEM from real tiles.",
                          no_args_is_help=True)
app.add_typer(mapdata_app, name="mapdata")


def _default_out() -> Path:
    """``$DRONEWATCH_MAPDATA`` when set (the station's folder), else ./station-mapdata:
    never the repository's modelled mapdata/ by accident."""
    return Path(os.environ.get("DRONEWATCH_MAPDATA") or "station-mapdata")


@mapdata_app.command("build")
def mapdata_build(
    dem: Annotated[list[Path], typer.Option(
        "--dem", help="DEM tiles (.hgt, .tif, .vrt) or a folder of them: --dem N44*.hgt")],
    zones_file: Annotated[Path, typer.Option("--zones", help="The station's zone GeoJSON")],
    out: Annotated[Path | None, typer.Option(
        help="Folder for dem.tif and zones.geojson [default: $DRONEWATCH_MAPDATA, else "
             "./station-mapdata]", show_default=False,
        callback=lambda p: p if p is None else writable_folder(p))] = None,
    margin: Annotated[float, typer.Option(
        help="Terrain kept around the operating area, m (0-50000)",
        callback=number(0, 50_000, unit=" m"))] = 2000.0,
    resolution: Annotated[float | None, typer.Option(
        help="Cell side of the built DEM, m [default: the tiles' own]", show_default=False,
        callback=number(1, 1000, unit=" m"))] = None,
    as_json: JsonOption = False,
    more_tiles: Annotated[list[Path] | None, typer.Argument(
        help="More tiles, as a shell glob after --dem gives them", show_default=False,
        metavar="[TILES]...")] = None,
) -> None:
    """Mosaic the tiles, reproject to the local UTM zone, clip to the operating area,
    write dem.tif beside a copy of the zones, and check the zones against it.

    Then point DRONEWATCH_MAPDATA at the folder and every command uses the real terrain.
    """
    out_dir = out or writable_folder(_default_out())
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=console, transient=True, disable=as_json) as bar:
        task = bar.add_task("starting", total=None)
        built = run(lambda: build_mapdata(
            [*dem, *(more_tiles or [])], zones_file, out_dir, margin_m=margin,
            resolution_m=resolution,
            step=lambda text: bar.update(task, description=text)))
    if as_json:
        print(json.dumps({
            "dem": str(built.dem_path), "zones": str(built.zones_path), "epsg": built.epsg,
            "resolution_m": built.resolution_m, "size_px": [built.width_px, built.height_px],
            "heights_m": [built.min_height_m, built.max_height_m],
            "launch_heights_m": dict(built.launch_heights_m)}))
        return
    console.print(f"[green]ok[/] {built.dem_path}: EPSG:{built.epsg}, {built.resolution_m:g} m "
                  f"cells, {built.width_px}x{built.height_px}, heights "
                  f"{built.min_height_m:.0f}..{built.max_height_m:.0f} m, from "
                  f"{len(built.tiles)} tile(s)", highlight=False)
    for site, height_m in built.launch_heights_m:
        console.print(f"[green]ok[/] launch site {site}: ground {height_m:.1f} m AMSL",
                      highlight=False)
    console.print(f"use it: export DRONEWATCH_MAPDATA={out_dir.resolve()}", highlight=False)
