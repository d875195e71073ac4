"""`dronewatch case add|list|show|assign|rectify|verify` and `case owner add|list`.

Why a note and a name on every change: the weekly meeting asks "who said it was
fixed, and how do we know"; the audit trail answers from the store.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

import typer
from rich.table import Table

from dronewatch.analysis import STATION_TZ
from dronewatch.analysis.cases import (
    assign,
    case_from_finding,
    rectify,
    report_incident,
    verify,
)
from dronewatch.cli.common import JsonOption, app, console, fail, run
from dronewatch.cli.flight import StoreOption
from dronewatch.cli.inputs import current_settings, lat_lon
from dronewatch.store import Store
from dronewatch.store.cases import (
    Case,
    CaseKind,
    CaseSource,
    CaseStatus,
    add_owner,
    case_events,
    cases,
    get_case,
    owners,
)

__all__ = ["STATION_TZ", "parse_when"]


case_app = typer.Typer(help="Cases: findings and reported incidents followed until verified.",
                       no_args_is_help=True)
owner_app = typer.Typer(help="The companies and offices cases are assigned to.",
                        no_args_is_help=True)
app.add_typer(case_app, name="case")
case_app.add_typer(owner_app, name="owner")


def parse_when(text: str, *, end_of_day: bool = False) -> float:
    """``YYYY-MM-DD`` or ``YYYY-MM-DD HH:MM`` (station time unless an offset is given) as
    UNIX seconds; a bare date is its start, or its end when ``end_of_day`` (a due date)."""
    try:
        if len(text.strip()) == 10:
            day = date.fromisoformat(text.strip())
            moment = datetime.combine(day + timedelta(days=1) if end_of_day else day, time())
        else:
            moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise typer.BadParameter(f"{text!r}: expected YYYY-MM-DD or 'YYYY-MM-DD HH:MM'"
                                 ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=STATION_TZ)
    return moment.timestamp()


def _when(text: str | None) -> str | None:
    if text is not None:
        parse_when(text)
    return text


def _name(text: str | None) -> str | None:
    if text is not None and not text.strip():
        raise typer.BadParameter("empty; say who")
    return text


def _case_id(value: int) -> int:
    if value < 1:
        raise typer.BadParameter(f"{value}: a case number is 1 or more")
    return value


ByOption = Annotated[str, typer.Option("--by", help="Who does this (name or call sign)",
                                       callback=_name)]
NoteOption = Annotated[str, typer.Option("--note", help="What was done or reported")]
CaseArg = Annotated[int, typer.Argument(help="Case number", callback=_case_id)]


def _due(case: Case) -> str:
    """A due date is stored as the end of its day: shown as that day."""
    return _local(None if case.due_unix_s is None else case.due_unix_s - 1, "%Y-%m-%d")


def _local(unix_s: float | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if unix_s is None:
        return "-"
    return datetime.fromtimestamp(unix_s, UTC).astimezone(STATION_TZ).strftime(fmt)


def _say(case: Case) -> None:
    owner = f", {case.owner}, due {_due(case)}" if case.owner else ""
    console.print(f"case #{case.id} ({case.kind}) is [bold]{case.status}[/]{owner}")


def _store(where: str | None) -> Store:
    return run(lambda: Store(where or current_settings().store))


@case_app.command("add")
def case_add(
    kind: Annotated[CaseKind, typer.Option(help="What the case is about")],
    by: ByOption,
    finding: Annotated[int | None, typer.Option(help="A stored finding this case is about",
                                                min=1)] = None,
    at: Annotated[str | None, typer.Option(
        "--at", help="Place of a reported incident, LAT,LON (degrees)",
        callback=lambda t: t if t is None else (lat_lon(t) and t))] = None,
    when: Annotated[str | None, typer.Option(
        "--time", help="When the incident happened, 'YYYY-MM-DD HH:MM' station time",
        callback=_when)] = None,
    source: Annotated[CaseSource, typer.Option(help="Who reported it")] = CaseSource.PHONE,
    note: NoteOption = "",
    store: StoreOption = None,
) -> None:
    """Open a case on a finding (--finding) or on a reported incident (--at and --time)."""
    if finding is not None and (at or when):
        fail("--finding takes its place and time from the finding; leave out --at/--time", 2)
    if finding is None and not (at and when):
        fail("--at and --time: a reported incident needs its place and time "
             "(or give --finding)", 2)
    with _store(store) as db:
        if finding is not None:
            case = run(lambda: case_from_finding(db, finding, by=by, kind=kind, note=note))
        else:
            lat, lon = lat_lon(at or "")
            case = run(lambda: report_incident(db, kind, source, lat, lon,
                                               parse_when(when or ""), by=by, note=note))
    _say(case)


@case_app.command("list")
def case_list(
    status: Annotated[list[CaseStatus] | None, typer.Option(
        help="Only cases in this status (repeatable)")] = None,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """The cases, with owner and due date (overdue ones marked)."""
    now = datetime.now(UTC).timestamp()
    with _store(store) as db:
        found = run(lambda: cases(db, statuses=tuple(status or ())))
    if as_json:
        print(json.dumps([{"id": c.id, "kind": c.kind.value, "status": c.status.value,
                           "source": c.source.value, "finding_id": c.finding_id,
                           "lat_deg": c.lat_deg, "lon_deg": c.lon_deg, "owner": c.owner,
                           "due_unix_s": c.due_unix_s, "overdue": c.overdue(now)}
                          for c in found]))
        return
    table = Table(title="cases")
    for column in ("#", "kind", "status", "source", "place", "reported", "owner", "due"):
        table.add_column(column)
    for c in found:
        due = _due(c) + (" [red]overdue[/]" if c.overdue(now) else "")
        table.add_row(str(c.id), c.kind, c.status, c.source + (f" #{c.finding_id}"
                      if c.finding_id else ""), f"{c.lat_deg:.5f}, {c.lon_deg:.5f}",
                      _local(c.reported_unix_s), c.owner or "-", due)
    console.print(table)


@case_app.command("show")
def case_show(case_id: CaseArg, store: StoreOption = None) -> None:
    """One case and its audit trail: every change, who made it and when."""
    with _store(store) as db:
        case = run(lambda: get_case(db, case_id))
        events = case_events(db, case_id)
    _say(case)
    for e in events:
        evidence = f" (finding #{e.finding_id})" if e.finding_id else ""
        console.print(f"  {_local(e.time_unix_s)}  {e.actor}: {e.action} → {e.status_after}"
                      f"{evidence}  {e.note}", highlight=False)


@case_app.command("assign")
def case_assign(
    case_id: CaseArg,
    owner: Annotated[str, typer.Option(help="A company or office on the owners list",
                                       callback=_name)],
    due: Annotated[str, typer.Option(help="Due date, YYYY-MM-DD (station time)",
                                     callback=_when)],
    by: ByOption,
    note: NoteOption = "",
    store: StoreOption = None,
) -> None:
    """Give a case to its owner with a due date."""
    with _store(store) as db:
        _say(run(lambda: assign(db, case_id, owner.strip(), parse_when(due, end_of_day=True),
                                by=by, note=note)))


@case_app.command("rectify")
def case_rectify(case_id: CaseArg, by: ByOption, note: NoteOption = "",
                 store: StoreOption = None) -> None:
    """The owner reports the case fixed."""
    with _store(store) as db:
        _say(run(lambda: rectify(db, case_id, by=by, note=note)))


@case_app.command("verify")
def case_verify(case_id: CaseArg, by: ByOption, note: NoteOption = "",
                store: StoreOption = None) -> None:
    """An operator confirms a rectified case is fixed (--note says how it was checked)."""
    with _store(store) as db:
        _say(run(lambda: verify(db, case_id, by=by, note=note)))


@owner_app.command("add")
def owner_add(name: Annotated[str, typer.Argument(help="Company or office name",
                                                  callback=_name)],
              store: StoreOption = None) -> None:
    """Add a company or office to the owners list."""
    with _store(store) as db:
        run(lambda: add_owner(db, name))
    console.print(f"owner added: {name.strip()}")


@owner_app.command("list")
def owner_list(store: StoreOption = None) -> None:
    """The owners cases can be assigned to."""
    with _store(store) as db:
        for name in owners(db):
            console.print(name, highlight=False)
