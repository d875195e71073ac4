"""`dronewatch store sync --to postgresql://...`: the station's store copied up to the region.

Why a command of its own, safe to repeat: the link to the regional centre comes and
goes; an officer (or a timer) runs it whenever the link is up. Syncing again adds
nothing, a sync cut short resumes, and a station offline for a week sends its week.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from dronewatch.cli.common import JsonOption, app, console, fail, run
from dronewatch.cli.flight import StoreOption
from dronewatch.cli.inputs import current_settings, store_url
from dronewatch.config import check_station
from dronewatch.store import Store
from dronewatch.store.backends import redact_url
from dronewatch.store.sync import sync_store

__all__ = ["StationOption", "store_sync"]

store_app = typer.Typer(help="The station's store and the regional database.",
                        no_args_is_help=True)
app.add_typer(store_app, name="store")


def _station(value: str | None) -> str | None:  # the callback of StationOption
    problem = None if value is None else check_station(value)
    if problem:
        raise typer.BadParameter(problem)
    return value


StationOption = Annotated[str | None, typer.Option(
    help="The station's name in the store [default: the 'station' setting]",
    callback=_station, show_default=False)]


@store_app.command("sync")
def store_sync(
    to: Annotated[str, typer.Option(
        "--to", help="The regional database: postgresql://USER@HOST/DB", callback=store_url,
        show_default=False)],
    store: StoreOption = None,
    station: StationOption = None,
    batch: Annotated[int, typer.Option(help="Rows per committed batch", min=1,
                                       max=100_000)] = 500,
    as_json: JsonOption = False,
) -> None:
    """Copy this station's store up to the regional database (safe to repeat)."""
    settings = current_settings()
    where = store or settings.store
    name = station or settings.station
    if str(where) == to:
        fail(f"{redact_url(to)}: --to names this station's own store; give the regional one", 2)
    path = str(where).removeprefix("sqlite://") if str(where).startswith("sqlite:///") else where
    if "://" not in str(path) and not Path(path).is_file():
        fail(f"{path}: no station store there (a sync never creates one); give --store PATH")
    with run(lambda: Store(where, station=name)) as source, \
            run(lambda: Store(to, station=name)) as region:
        report = run(lambda: sync_store(source, region, batch_rows=batch))
    if as_json:
        print(json.dumps({"station": report.station, "new": report.new,
                          "tables": [asdict(t) for t in report.tables]}))
        return
    for table in report.tables:
        console.print(f"{table.table}: {table.rows} rows here, {table.new} new in the region")
    console.print(f"station [bold]{report.station}[/] synced to {redact_url(to)}: "
                  f"{report.new} new rows")
