"""The `dronewatch` command line: parse, call one library function, print.

Why thin: operators are police officers, not programmers. Every user mistake (a bad
zone file, a point off the map) is a :class:`DronewatchError`, shown as one readable
line and exit code 1; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from dronewatch.area import default_dem_path, default_zones_path
from dronewatch.errors import DronewatchError
from dronewatch.mapview import write_area_map
from dronewatch.zones import ZoneSet, load_zones

app = typer.Typer(
    help="Drone search, rescue and patrol for the Gobi coal district.",
    no_args_is_help=True,
    add_completion=False,
)
zones_app = typer.Typer(help="Check and list zone files.", no_args_is_help=True)
app.add_typer(zones_app, name="zones")
console = Console()
err_console = Console(stderr=True)

T = TypeVar("T")

ZonesOption = Annotated[
    Path | None,
    typer.Option(
        "--zones", help="Zone GeoJSON file [default: mapdata/zones.geojson]", show_default=False
    ),
]
DemOption = Annotated[
    Path | None,
    typer.Option(help="DEM GeoTIFF [default: mapdata/dem.tif]", show_default=False),
]
OutOption = Annotated[Path, typer.Option(help="Where to write the map HTML")]


def _run(action: Callable[[], T]) -> T:
    """Call the library; turn our errors into a red message and exit code 1."""
    try:
        return action()
    except DronewatchError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=1) from None


def _zone_table(zones: ZoneSet) -> Table:
    table = Table(title=f"{len(zones)} zones in {zones.source}")
    for column in ("id", "kind", "name", "area km²"):
        table.add_column(column)
    for zone in zones:
        area = zones.local_geometry(zone.id).area / 1e6
        table.add_row(zone.id, zone.kind.value, zone.name, f"{area:.2f}" if area else "-")
    return table


@zones_app.command("check")
def zones_check(
    path: Annotated[Path, typer.Argument(help="Zone GeoJSON file to validate")],
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary")] = False,
) -> None:
    """Validate a zone file; list every defect, or its zones when it is sound."""
    zones = _run(lambda: load_zones(path))
    if as_json:
        print(json.dumps({"file": str(path), "zones": [
            {"id": z.id, "kind": z.kind.value, "name": z.name} for z in zones
        ]}))
    else:
        console.print(_zone_table(zones))


@app.command("map")
def map_command(
    zones_file: ZonesOption = None,
    dem: DemOption = None,
    out: OutOption = Path("out/area-map.html"),
) -> None:
    """Draw the operating area (relief, zones, launch site) as one HTML map."""
    zones = _run(lambda: load_zones(zones_file or default_zones_path()))
    path = _run(lambda: write_area_map(zones, dem or default_dem_path(), out))
    console.print(f"map written: [bold]{path.resolve()}[/]")


@app.command("demo")
def demo(out: OutOption = Path("out/area-map.html")) -> None:
    """The main job, with no set-up: for now, the modelled area on a map."""
    zones = _run(lambda: load_zones(default_zones_path()))
    console.print(_zone_table(zones))
    path = _run(lambda: write_area_map(zones, default_dem_path(), out))
    console.print(f"map written: [bold]{path.resolve()}[/]")


if __name__ == "__main__":
    app()
