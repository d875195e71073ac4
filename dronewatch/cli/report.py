"""`dronewatch report week [--from DATE]` and `report warnings`: the meeting's papers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from dronewatch.analysis.report import WEEK_S, print_pdf, write_week_report
from dronewatch.analysis.warnings import forwardable
from dronewatch.cli.cases import STATION_TZ, parse_when
from dronewatch.cli.common import app, console, run
from dronewatch.cli.flight import StoreOption
from dronewatch.cli.inputs import current_settings, writable_folder
from dronewatch.config import default_zones_path
from dronewatch.store import Store
from dronewatch.store.warnings import published
from dronewatch.zones import load_zones

__all__ = ["last_monday_unix_s"]

report_app = typer.Typer(help="The weekly analysis and the warnings to forward.",
                         no_args_is_help=True)
app.add_typer(report_app, name="report")


def last_monday_unix_s(now: datetime | None = None) -> float:
    """The start of last week (Monday 00:00 station time): the week the meeting reviews."""
    today = (now or datetime.now(UTC)).astimezone(STATION_TZ).date()
    monday = today - timedelta(days=today.weekday() + 7)
    return datetime(monday.year, monday.month, monday.day, tzinfo=STATION_TZ).timestamp()


def _date(text: str | None) -> str | None:
    if text is not None:
        parse_when(text)
    return text


FromOption = Annotated[str | None, typer.Option(
    "--from", help="First day of the week, YYYY-MM-DD [default: last week's Monday]",
    callback=_date, show_default=False)]


@report_app.command("week")
def report_week(
    start: FromOption = None,
    out: Annotated[Path | None, typer.Option(
        help="HTML file to write [default: out/week-DATE.html]", show_default=False,
        callback=lambda p: p if p is None else (writable_folder(p.parent) and p))] = None,
    store: StoreOption = None,
    pdf: Annotated[bool, typer.Option(help="Also print it to PDF (needs Chromium)")] = True,
) -> None:
    """Write the weekly report (one self-contained HTML file, and a PDF) from the store."""
    since = parse_when(start) if start else last_monday_unix_s()
    day = datetime.fromtimestamp(since, STATION_TZ).strftime("%Y-%m-%d")
    path = out or Path("out") / f"week-{day}.html"
    zones = run(lambda: load_zones(default_zones_path()))
    with run(lambda: Store(store or current_settings().store)) as db:
        done = run(lambda: write_week_report(db, since, path, zones=zones))
    t = done.tally
    console.print(f"week of {day}: {t.flights} flights, {t.hotspots_found} hotspots, "
                  f"{t.hazards_found} hazard cases, {t.warnings} warnings")
    console.print(f"report written: [bold]{path.resolve()}[/]")
    printed = print_pdf(path) if pdf else None
    if printed is not None:
        console.print(f"PDF written: [bold]{printed.resolve()}[/]")
    elif pdf:
        console.print("[yellow]no PDF: Chromium is not installed (the HTML is complete)[/]")


@report_app.command("warnings")
def report_warnings(start: FromOption = None, store: StoreOption = None) -> None:
    """The week's published warnings as short texts to forward."""
    since = parse_when(start) if start else last_monday_unix_s()
    with run(lambda: Store(store or current_settings().store)) as db:
        for w in published(db, since, since + WEEK_S):
            print(forwardable(w))
