"""What every `dronewatch` command shares: the app, consoles, options, error handling.

Why: operators are police officers, not programmers. Every user mistake (a bad zone
file, a point off the map, a drone that fails its checks) is a DronewatchError, shown
as one readable line and exit code 1; anything else is a bug and keeps its traceback.
Exit codes: 0 done, 1 a user or vehicle problem, 2 a bad command line (typer), 3 the
mission ended without finding what it looked for, 130 stopped by Ctrl-C.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from dronewatch.errors import DronewatchError
from dronewatch.mapview import SavedMap
from dronewatch.store.backends import redact_url

app = typer.Typer(
    help="Drone search, rescue and patrol for the Gobi coal district.",
    no_args_is_help=True,
    add_completion=True,
)
console = Console(soft_wrap=True)  # log lines stay whole in files and CI logs
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


def run(action: Callable[[], T]) -> T:
    """Call the library; turn our errors into a red message and exit code 1."""
    try:
        return action()
    except DronewatchError as exc:
        fail(str(exc))


def fail(message: str, code: int = 1) -> NoReturn:
    """One red line (passwords in URLs redacted) and the exit code."""
    err_console.print(f"[bold red]error:[/] {escape(redact_url(message))}", highlight=False,
                      soft_wrap=True)
    raise typer.Exit(code=code)


def say_map(saved: SavedMap) -> None:
    console.print(f"map written: [bold]{saved.path.resolve()}[/]")
    if not saved.offline:
        console.print("[yellow]this map loads its scripts from the internet; run "
                      "'dronewatch assets' once to make maps work offline[/]")


def lat_lon(text: str) -> tuple[float, float]:
    try:
        lat, lon = (float(v) for v in text.split(","))
    except ValueError:
        raise typer.BadParameter(f"{text!r}: expected LAT,LON in degrees") from None
    return lat, lon


AtOption = Annotated[str, typer.Option("--at", help="Alarm point LAT,LON (degrees)")]
AglOption = Annotated[float, typer.Option(help="Height above ground, m")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print a JSON summary")]
LaunchOption = Annotated[str | None, typer.Option(help="Launch site id [default: the station]")]
RadiusOption = Annotated[float, typer.Option(help="Search radius around the alarm, m")]
PatternOption = Annotated[str, typer.Option(
    help="expanding-square|sector|parallel|creeping|auto")]
LostHoursOption = Annotated[float | None, typer.Option(
    help="Hours since the person was last seen (for the probability of success)")]
