"""Commands about the area and plans: zones, maps, map assets, search planning.

Nothing here flies; these work with no drone attached.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from dronewatch.cli.common import (
    AtOption,
    DemOption,
    JsonOption,
    LaunchOption,
    LostHoursOption,
    OutOption,
    Pattern,
    PatternOption,
    RadiusOption,
    ZonesOption,
    app,
    console,
    fail,
    lat_lon,
    run,
    say_map,
)
from dronewatch.cli.inputs import camera_preset_name, current_settings, number, writable_folder
from dronewatch.config import default_dem_path, default_zones_path
from dronewatch.geo import Terrain
from dronewatch.map import assets_dir, fetch, missing, mission_map, save_map, write_area_map
from dronewatch.mapbuild import check_zones_on_dem
from dronewatch.ops.alarm import SearchRequest, plan_for_alarm
from dronewatch.planning import Plan
from dronewatch.planning.export import write_plan_files
from dronewatch.zones import ZoneSet, load_zones

zones_app = typer.Typer(help="Check and list zone files.", no_args_is_help=True)
app.add_typer(zones_app, name="zones")
plan_app = typer.Typer(help="Plan searches and patrols (offline, nothing flies).",
                       no_args_is_help=True)
app.add_typer(plan_app, name="plan")


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
    dem: DemOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary")] = False,
) -> None:
    """Validate a zone file; list every defect, or its zones when it is sound.

    The zones are also checked against the station's DEM (--dem): an operating area
    off the terrain is an error, and one whose positions are swapped is named so; a
    zone reaching past the DEM or over a void in it is an error too.
    """
    zones = run(lambda: load_zones(path))
    dem_path = dem or default_dem_path()
    if dem_path.exists():  # a folder of tiles with no mosaic: Terrain says why
        with run(lambda: Terrain(dem_path)) as terrain:
            problems = check_zones_on_dem(zones, terrain)
        if problems:
            fail(f"{'; '.join(problems)} ({dem_path})")
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
    zones = run(lambda: load_zones(zones_file or default_zones_path()))
    saved = run(lambda: write_area_map(zones, dem or default_dem_path(), out))
    say_map(saved)


@app.command("assets")
def assets_command() -> None:
    """Fetch the map's scripts and styles once, so every map opens with no internet.

    Downloads the exact Leaflet, plugin, Bootstrap and Font Awesome versions folium
    uses from the npm registry (checked against its SHA-512) into
    $DRONEWATCH_WEB_ASSETS (default ~/.cache/dronewatch/web). Maps written afterwards
    carry them inside the HTML file.
    """
    fetched = run(lambda: fetch(say=lambda text: console.print(text)))
    left = missing()
    where = assets_dir()
    if left:
        console.print(f"[red]still missing in {where}: {', '.join(left)}[/]")
        raise typer.Exit(1)
    console.print(f"map assets ready in {where} ({len(fetched)} fetched now)")


def _show_plan(plan: Plan, out_dir: Path, zones: ZoneSet, dem: Path, as_json: bool) -> None:
    files = write_plan_files(plan, zones, out_dir)
    route = [(lat, lon) for s in range(len(plan.sorties))
             for lat, lon, _ in plan.waypoints_wgs84(s)]
    map_path = out_dir / "plan-map.html"
    save_map(mission_map(zones, dem, planned=route), map_path)
    summary = {
        "name": plan.name, "pattern": plan.pattern, "sorties": len(plan.sorties),
        "distance_km": round(plan.distance_m / 1000, 2), "time_min": round(plan.time_s / 60, 1),
        "energy_wh": round(plan.energy_wh), "pod": round(plan.pod, 3),
        "pos": None if plan.pos is None else round(plan.pos, 3),
        "covered_share": round(plan.covered_share, 3), "notes": list(plan.notes),
        "files": [str(f) for f in files], "map": str(map_path),
    }
    if as_json:
        print(json.dumps(summary))
        return
    table = Table(title=plan.name)
    table.add_column("")
    table.add_column("")
    for key in ("pattern", "sorties", "distance_km", "time_min", "energy_wh", "pod", "pos",
                "covered_share"):
        table.add_row(key.replace("_", " "), str(summary[key]))
    console.print(table)
    for note in plan.notes:
        console.print(f"- {note}")
    console.print(f"map: [bold]{map_path.resolve()}[/]; QGroundControl files in {out_dir}")


@plan_app.command("search")
def plan_search_command(
    at: AtOption,
    radius: RadiusOption = 800.0,
    pattern: PatternOption = Pattern.AUTO,
    lost_person_hours: LostHoursOption = None,
    wind_from: Annotated[float | None, typer.Option(help="Wind from, degrees (0-360)",
                                                    callback=number(0, 360))] = None,
    agl: Annotated[float | None, typer.Option(
        help="Height above ground, m (10-500) [default: the planner's]",
        callback=number(10, 500, unit=" m"), show_default=False)] = None,
    launch_site: LaunchOption = None,
    camera: Annotated[str | None, typer.Option(
        help="Camera preset [default: the 'camera' setting]", callback=camera_preset_name,
        show_default=False)] = None,
    out_dir: Annotated[Path, typer.Option(help="Folder for plan files and map",
                                        callback=writable_folder)]
    = Path("out/plan"),
    as_json: JsonOption = False,
) -> None:
    """Plan an IAMSAR search around an alarm point; write QGC files and a map.

    The plan is the one `dronewatch search` would fly for the same alarm and settings
    (same camera, airframe and launch site: the nearest unless one is named).
    """
    lat, lon = lat_lon(at)
    settings = current_settings()
    zones = run(lambda: load_zones(default_zones_path()))
    request = SearchRequest(lat, lon, radius_m=radius, pattern=str(pattern),
                            lost_hours=lost_person_hours, camera=camera or settings.camera,
                            airframe=settings.airframe, launch_site=launch_site, agl_m=agl,
                            wind_from_deg=wind_from)

    def make() -> Plan:
        with Terrain(default_dem_path()) as terrain:
            return plan_for_alarm(zones, terrain, request)

    plan = run(make)
    _show_plan(plan, out_dir, zones, default_dem_path(), as_json)
