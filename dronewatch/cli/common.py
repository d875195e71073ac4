"""What every `dronewatch` command shares: the app, consoles, options, error handling.

Why: operators are police officers, not programmers. Every user mistake (a bad zone
file, a point off the map, a drone that fails its checks) is a DronewatchError, shown
as one readable line and exit code 1; anything else is a bug, shown as one line with
the log file that holds its traceback (exit code 1).
Exit codes: 0 done, 1 a user or vehicle problem, 2 a bad command line (typer), 3 the
mission ended without finding what it looked for, 130 stopped by Ctrl-C.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from dronewatch.cli.inputs import (
    existing_file,
    lat_lon,
    number,
    reload_settings,
    writable_folder,
)
from dronewatch.errors import DronewatchError
from dronewatch.map import SavedMap
from dronewatch.store import Finding, FindingKind, FindingStatus
from dronewatch.store.backends import redact_url

console = Console(soft_wrap=True)  # log lines stay whole in files and CI logs
err_console = Console(stderr=True)


class StationApp(typer.Typer):
    """The app, with a last safety net: no traceback ever reaches the operator.

    Why: an officer cannot act on a traceback. A bug is shown as one line naming the
    error and a log file holding the full traceback for us; the exit code is 1. (The
    test runner calls the command directly, so tests still see the real exception.)
    """

    def __call__(self, *args: object, **kwargs: object) -> object:
        try:
            return super().__call__(*args, **kwargs)
        except Exception as exc:
            log = Path(tempfile.gettempdir()) / f"dronewatch-crash-{os.getpid()}.log"
            with contextlib.suppress(OSError):
                log.write_text(redact_url("".join(traceback.format_exception(exc))))
            err_console.print(f"[bold red]error:[/] {escape(redact_url(f'{exc}'))} "
                              f"[dim](an unexpected {type(exc).__name__}: a bug; the details "
                              f"are in {log})[/]", highlight=False, soft_wrap=True)
            raise SystemExit(1) from None


app = StationApp(
    help="Drone search, rescue and patrol for the Gobi coal district.",
    no_args_is_help=True,
    add_completion=True,
)

T = TypeVar("T")
__all__ = ["app", "console", "err_console", "fail", "lat_lon", "run", "say_map"]


@app.callback()
def _read_settings_first() -> None:
    # Every command starts by reading dronewatch.toml: a wrong setting stops it here,
    # with the file, line and field, before anything connects or flies (--help still works).
    if "--help" in sys.argv[1:]:
        return
    run(reload_settings)


ZonesOption = Annotated[
    Path | None,
    typer.Option(
        "--zones", help="Zone GeoJSON file [default: mapdata/zones.geojson]", show_default=False
    ),
]
DemOption = Annotated[
    Path | None,
    typer.Option(help="DEM GeoTIFF [default: mapdata/dem.tif]", show_default=False,
                 callback=existing_file),
]
OutOption = Annotated[Path, typer.Option(help="Where to write the map HTML",
                                          callback=lambda p: writable_folder(p.parent) and p)]


class Pattern(StrEnum):
    """The search patterns ``plan_search`` knows (a choice, so typos stop at the prompt)."""

    AUTO = "auto"
    EXPANDING_SQUARE = "expanding-square"
    SECTOR = "sector"
    PARALLEL = "parallel"
    CREEPING = "creeping"


def run(action: Callable[[], T]) -> T:
    """Call the library; turn our errors into a red message and exit code 1."""
    try:
        return action()
    except DronewatchError as exc:
        fail(str(exc))
    except OSError as exc:  # a disk full, a folder we may not write: the operator's to fix
        where = f"{exc.filename}: " if exc.filename else ""
        fail(f"{where}{exc.strerror or exc}")


def exit_3_unless_a_person_alarm(findings: Iterable[Finding]) -> None:
    """Exit code 3 when no person raised the alarm: a script's "nobody was found"."""
    if not any(f.kind is FindingKind.PERSON and f.status is FindingStatus.ALARM
               for f in findings):
        raise typer.Exit(3)


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


AtOption = Annotated[str, typer.Option("--at", help="Alarm point LAT,LON (degrees)",
                                       callback=lambda text: lat_lon(text) and text)]
JsonOption = Annotated[bool, typer.Option("--json", help="Print a JSON summary")]
LaunchOption = Annotated[str | None, typer.Option(help="Launch site id [default: the station]")]
RadiusOption = Annotated[float, typer.Option(help="Search radius around the alarm, m (1-20000)",
                                             callback=number(0, 20_000, above=True, unit=" m"))]
PatternOption = Annotated[Pattern, typer.Option(help="The search pattern")]
LostHoursOption = Annotated[float | None, typer.Option(
    help="Hours since the person was last seen (for the probability of success), 0-720",
    callback=number(0, 720, unit=" h"))]
SpeedupOption = Annotated[float | None, typer.Option(
    help="The simulator's speed-up, to pace telemetry requests (up to 1000) [default: the "
         "vehicle's SIM_SPEEDUP; 1 for a real drone]", callback=number(0, 1000, above=True),
    show_default=False)]
WindOption = Annotated[float | None, typer.Option(
    help="Wind now, m/s (0-60): above the limit the drone is not launched",
    callback=number(0, 60, unit=" m/s"))]
