"""`dronewatch check`: settings, zones and every patrol file, checked before anything flies.

Why: a patrol with a 5,000 m altitude or an unknown launch site must be found when
the file is saved, in daylight, not when the scheduler tries to fly it at 01:00. The
same checks guard `patrol serve`, which refuses to start on any of them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from dronewatch.cli.common import JsonOption, ZonesOption, app, console, err_console
from dronewatch.cli.inputs import current_settings, read_signing_key
from dronewatch.config import Settings, default_dem_path, default_zones_path, settings_path
from dronewatch.errors import DronewatchError
from dronewatch.geo import Terrain
from dronewatch.mapbuild import check_zones_on_dem
from dronewatch.ops.patrol import plan_patrol
from dronewatch.ops.patrolspec import PatrolSpec, check_patrols
from dronewatch.ops.station import station_equipment
from dronewatch.store.backends import redact_url
from dronewatch.zones import ZoneSet, load_zones

__all__ = ["check_command"]


def _plan_problem(spec: PatrolSpec, zones: ZoneSet, terrain: Terrain,
                  settings: Settings) -> str | None:
    """Why the patrol cannot be planned (e.g. too far for the battery), or None."""
    try:
        plan_patrol(spec, zones, terrain, station_equipment(settings, camera=spec.camera,
                                                            airframe=spec.airframe))
    except (DronewatchError, ValueError) as exc:
        return f"{spec.source}: zones: cannot be planned: {exc}"
    return None


def _terrain_problems(zones: ZoneSet, specs: list[PatrolSpec], settings: Settings,
                      ok: list[str]) -> list[str]:
    """The DEM opens, every zone lies on valid heights of it, and each patrol plans.

    Why here too: a station that swapped in its own DEM (or lost a tile of it) learns of a
    zone off its edge or over a void now, not from a refused plan at night.
    """
    try:
        with Terrain(default_dem_path()) as terrain:
            problems = check_zones_on_dem(zones, terrain)
            if not problems:
                ok.append(f"terrain: {default_dem_path()} covers every zone")
            problems.extend(p for s in specs if (p := _plan_problem(s, zones, terrain,
                                                                      settings)))
            return problems
    except (DronewatchError, OSError, ValueError) as exc:
        return [f"{default_dem_path()}: {exc}"]


@app.command("check")
def check_command(
    missions: Annotated[Path | None, typer.Option(
        help="Folder of patrol files [default: the 'missions' setting]",
        show_default=False)] = None,
    zones_file: ZonesOption = None,
    plan: Annotated[bool, typer.Option(
        help="Also plan each patrol (battery, reachable area); --no-plan is quicker")] = True,
    as_json: JsonOption = False,
) -> None:
    """Check the settings, the zone file (also against the DEM) and every patrol file.

    Lists every problem with its file, line and field; exit code 1 when there is
    any. `patrol serve` runs the same checks and refuses to start on a problem.
    """
    settings = current_settings()  # a bad settings file has already stopped us
    problems: list[str] = []
    ok: list[str] = [f"settings: {settings_path()}" + ("" if settings_path().is_file()
                                                       else " (absent: built-in defaults)")]
    try:
        read_signing_key(None, settings.signing_key_file)
    except typer.BadParameter as exc:
        problems.append(f"{settings_path()}: {exc}")
    zones: ZoneSet | None = None
    try:
        zones = load_zones(zones_file or default_zones_path())
        ok.append(f"zones: {zones.source} ({len(zones)} zones)")
    except DronewatchError as exc:
        problems.append(str(exc))
    specs: list[PatrolSpec] = []
    if zones is not None:
        try:
            specs, found = check_patrols(Path(settings.missions) if missions is None
                                         else missions, zones,
                                         min_battery_pct=settings.min_battery_pct)
            problems.extend(found)
        except DronewatchError as exc:
            problems.append(str(exc))
        problems.extend(_terrain_problems(zones, specs if plan else [], settings, ok))
    ok.extend(f"patrol {s.name}: {s.source}" for s in specs)
    if as_json:
        print(json.dumps({"ok": ok, "problems": [redact_url(p) for p in problems]}))
    else:
        for line in ok:
            console.print(f"[green]ok[/] {line}", highlight=False)
        for line in problems:
            err_console.print(f"[bold red]error:[/] {escape(redact_url(line))}", highlight=False,
                              markup=True, soft_wrap=True)
    if problems:
        raise typer.Exit(1)
