"""`dronewatch patrol list|run NAME|serve`: the scheduled patrols of missions/*.yaml."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from dronewatch.cli.common import JsonOption, SpeedupOption, WindOption, app, console, fail, run
from dronewatch.cli.flight import (
    CameraOption,
    ConsoleReporter,
    SigningKeyOption,
    StoreOption,
    TlogOption,
    report_json,
)
from dronewatch.cli.inputs import (
    current_settings,
    drone_url,
    read_signing_key,
    writable_folder,
)
from dronewatch.config import default_dem_path, default_zones_path
from dronewatch.errors import DronewatchError
from dronewatch.geo import Terrain
from dronewatch.ops.cameras import camera_source
from dronewatch.ops.faults import signals_interrupt
from dronewatch.ops.patrol import PatrolResult, run_patrol
from dronewatch.ops.patrolspec import PatrolSpec, check_patrols, load_patrols
from dronewatch.ops.record import Announcement, AnnouncementKind
from dronewatch.ops.riskplan import RiskPlan, plan_for_risk
from dronewatch.ops.riskschedule import write_risk_patrols
from dronewatch.ops.scheduler import PatrolScheduler
from dronewatch.ops.station import connect_ready, station_equipment, tlog_beside
from dronewatch.store import Store
from dronewatch.store.backends import redact_url
from dronewatch.zones import load_zones

patrol_app = typer.Typer(help="Scheduled patrols (missions/*.yaml).", no_args_is_help=True)
app.add_typer(patrol_app, name="patrol")

MissionsOption = Annotated[Path | None, typer.Option(
    help="Folder of patrol YAML files [default: the 'missions' setting]", show_default=False)]


def _specs(missions: Path | None) -> list[PatrolSpec]:
    settings = current_settings()
    zones = run(lambda: load_zones(default_zones_path()))
    return run(lambda: load_patrols(missions or Path(settings.missions), zones,
                                    min_battery_pct=settings.min_battery_pct))


@patrol_app.command("list")
def patrol_list(missions: MissionsOption = None, store: StoreOption = None,
                as_json: JsonOption = False) -> None:
    """The patrols, their next run (station time) and how the last one went."""
    rows = []
    specs = _specs(missions)  # checked before the store is opened (or created)
    with run(lambda: Store(store or current_settings().store)) as db:
        for spec in specs:
            nxt = spec.trigger().get_next_fire_time(None, datetime.now(UTC))
            runs = db.patrol_runs(spec.name)
            rows.append({
                "name": spec.name, "zones": spec.covers(), "drone": spec.drone,
                "schedule": f"{spec.schedule} ({spec.timezone})",
                "next_run": nxt.astimezone(ZoneInfo(spec.timezone)).isoformat(" ", "minutes")
                if nxt else None,
                "last_run": f"{runs[-1].status} {runs[-1].detail}".strip() if runs else None})
    if as_json:
        print(json.dumps(rows))
        return
    table = Table(title=f"patrols in {missions or current_settings().missions}")
    for column in ("name", "zones", "drone", "schedule", "next run", "last run"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(row["name"], ", ".join(row["zones"]), row["drone"], row["schedule"],
                      row["next_run"] or "-", row["last_run"] or "-")
    console.print(table)


def _flyer(db: Store, out_dir: Path, camera: str, speedup: float | None,
           wind_mps: float | None,
           as_json: bool, key: bytes | None, *, keep_serving: bool = False,
           store_url: str, tlog: Path | None = None, drone: str | None = None,
           tlogs: list[Path] | None = None) -> Callable[[PatrolSpec, float], PatrolResult]:
    """Fly one run (to ``drone`` instead of the patrol's own when given), each with its
    .tlog (``tlog``, else one beside the store, appended to ``tlogs``). With
    ``keep_serving`` (the scheduler) a problem is recorded and shown,
    never raised into the scheduler's thread: a drone that is off tonight must not stop
    tomorrow's patrols, and a run that could not even start is recorded "failed"."""
    zones = load_zones(default_zones_path())
    settings = current_settings()

    def not_started(spec: PatrolSpec, due: float, exc: DronewatchError) -> PatrolResult:
        if not keep_serving:
            raise exc
        run_id = db.add_patrol_run(spec.name, due, "failed", detail=redact_url(str(exc)))
        return PatrolResult(run_id, "failed", str(exc), None, ())

    def fly_once(spec: PatrolSpec, due: float, reporter: ConsoleReporter) -> PatrolResult:
        with Terrain(default_dem_path()) as terrain:
            log = tlog or tlog_beside(store_url, out_dir)
            if tlogs is not None:
                tlogs.append(log)
            try:
                vehicle = connect_ready(drone or spec.drone, speedup, key, log)
            except DronewatchError as exc:
                return not_started(spec, due, exc)
            with vehicle:
                model = spec.camera or settings.camera
                return run_patrol(spec, due, vehicle, zones, terrain,
                                  camera_source(camera, terrain, seed=int(due), model=model),
                                  db, out_dir, wind_mps=wind_mps, settings=settings,
                                  announce=reporter)

    def fly(spec: PatrolSpec, due: float) -> PatrolResult:
        with ConsoleReporter(as_json) as reporter:
            try:
                result = fly_once(spec, due, reporter)
            except DronewatchError as exc:
                if not keep_serving:
                    raise
                # run_patrol has recorded the run "failed" already
                result = PatrolResult(-1, "failed", str(exc), None, ())
            if result.status == "failed":
                reporter(Announcement(AnnouncementKind.ALERT, f"patrol {spec.name} failed: "
                                               f"{redact_url(result.detail)}"))
            return result
    return fly


@patrol_app.command("run")
def patrol_run(
    name: Annotated[str, typer.Argument(help="The patrol's name")],
    drone: Annotated[str | None, typer.Option(
        help="MAVLink URL of the drone to fly it [default: the patrol's own 'drone']",
        callback=drone_url, show_default=False)] = None,
    missions: MissionsOption = None,
    store: StoreOption = None,
    camera: CameraOption = "sim",
    out_dir: Annotated[Path, typer.Option(help="Folder for the patrol map",
                                        callback=writable_folder)] = Path("out"),
    wind_mps: WindOption = None,
    speedup: SpeedupOption = None,
    signing_key: SigningKeyOption = None,
    tlog: TlogOption = None,
    as_json: JsonOption = False,
) -> None:
    """Fly one patrol now, outside its schedule. Exit code 1 when it was skipped."""
    settings = current_settings()
    key = read_signing_key(signing_key, settings.signing_key_file)
    spec = next((s for s in _specs(missions) if s.name == name), None)
    if spec is None:
        raise typer.BadParameter(f"no patrol {name!r} in {missions or settings.missions}")
    tlogs: list[Path] = []
    with run(lambda: Store(store or settings.store)) as db:
        fly = _flyer(db, out_dir, camera, speedup, wind_mps, as_json, key,
                     store_url=store or settings.store, tlog=tlog, drone=drone, tlogs=tlogs)
        result = run(lambda: fly(spec, time.time()))
    log = str(tlogs[-1]) if tlogs else None
    if as_json and result.report is not None:
        print(report_json(result.report, status=result.status, warnings=result.warnings,
                          tlog=log))
    elif result.report is not None:
        console.print(f"patrol {name}: {result.status}, {len(result.report.findings)} "
                      f"findings, map {result.report.map_path}, MAVLink log {log}")
    for warning in result.warnings:
        console.print(f"[bold red]warning:[/] {warning}")
    if result.status == "skipped":
        console.print(f"[magenta]skipped: {result.detail}[/]")
        raise typer.Exit(1)


@patrol_app.command("serve")
def patrol_serve(
    missions: MissionsOption = None,
    store: StoreOption = None,
    camera: CameraOption = "sim",
    out_dir: Annotated[Path, typer.Option(help="Folder for patrol maps",
                                        callback=writable_folder)] = Path("out"),
    speedup: SpeedupOption = None,
    signing_key: SigningKeyOption = None,
    drill: Annotated[bool, typer.Option(help="Make every patrol due once at start")] = False,
) -> None:
    """Keep the schedule until Ctrl-C: runs fly when due, one at a time per drone;
    runs missed while this was not running are recorded, not flown late.

    Refuses to start when any patrol file, the zones or the settings are wrong
    (the same checks as 'dronewatch check')."""
    settings = current_settings()
    key = read_signing_key(signing_key, settings.signing_key_file)
    specs = _specs(missions)
    if not specs:
        fail(f"{missions or settings.missions}: no patrol files (*.yaml, *.yml); nothing to serve")
    stop = threading.Event()
    with run(lambda: Store(store or settings.store)) as db:
        scheduler = PatrolScheduler(specs, db, _flyer(db, out_dir, camera, speedup, None,
                                                      False, key, keep_serving=True,
                                                      store_url=store or settings.store),
                                    announce=ConsoleReporter(False))
        scheduler.start()
        if drill:
            scheduler.fire_now()
        for name, when in scheduler.next_runs().items():
            console.print(f"patrol {name}: next run {when:%Y-%m-%d %H:%M %Z}")
        try:
            with signals_interrupt():  # Ctrl-C and a service manager's SIGTERM stop it
                while not stop.wait(1.0):
                    pass
        except KeyboardInterrupt:
            console.print("stopping: a patrol in the air finishes its mission first")
        finally:
            scheduler.shutdown(wait=True)


_UNIT_S = {"h": 3600.0, "min": 60.0, "m": 60.0, "s": 1.0}


def _seconds(text: str) -> float | None:
    """``40min``, ``90m``, ``1.5h``, ``2400s`` in seconds; None if it is not a time."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(h|min|m|s)\s*", text)
    return float(match.group(1)) * _UNIT_S[match.group(2)] if match else None


def _budget(text: str) -> str:
    """A typer callback: a flying-time budget from 1 min to 24 h."""
    seconds = _seconds(text)
    if seconds is None:
        raise typer.BadParameter(f"{text!r}: expected a time like 40min, 1.5h or 2400s")
    if not 60 <= seconds <= 86_400:
        raise typer.BadParameter(f"{text!r}: must be between 1 min and 24 h")
    return text


def _clock(text: str) -> str:
    """A typer callback: a time of day, HH:MM."""
    if not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", text.strip()):
        raise typer.BadParameter(f"{text!r}: expected a time of day like 01:30")
    return text.strip()


def _write_schedule(proposal: RiskPlan, folder: Path, start: str) -> list[Path]:
    """The proposal as patrol files, checked as `dronewatch check` would check them."""
    settings = current_settings()
    hour, minute = (int(x) for x in start.split(":"))
    written = run(lambda: write_risk_patrols(
        proposal, folder, start_minute_of_day=60 * hour + minute, drone=settings.drone,
        timezone=settings.timezone, min_battery_pct=max(60.0, settings.min_battery_pct)))
    _, problems = check_patrols(folder, load_zones(default_zones_path()),
                                min_battery_pct=settings.min_battery_pct)
    ours = [p for p in problems if any(p.startswith(str(w)) for w in written)]
    if ours:
        fail("the written patrols do not pass the checks: " + "; ".join(ours))
    return written


@patrol_app.command("plan")
def patrol_plan(
    budget: Annotated[str, typer.Option(help="Flying time to spend, e.g. 40min or 1.5h",
                                        callback=_budget)],
    store: StoreOption = None,
    write: Annotated[Path | None, typer.Option(
        "--write", help="Also write the proposal as daily patrols risk-N.yaml into this "
                        "folder (the 'missions' folder flies them on schedule); the risk "
                        "patrols of an earlier --write are replaced, an officer's own files "
                        "never", show_default=False)] = None,
    start: Annotated[str, typer.Option(
        help="With --write: station time of day of the first flight (HH:MM); the others "
             "follow it", callback=_clock)] = "01:00",
    as_json: JsonOption = False,
) -> None:
    """Propose the flights that cover the most risk (open hazards, high-incidence areas,
    places not seen for long) within the time budget; --write makes them the schedule."""
    budget_s = _seconds(budget) or 0.0
    settings = current_settings()
    zones = run(lambda: load_zones(default_zones_path()))
    equipment = run(lambda: station_equipment(settings))
    with run(lambda: Store(store or settings.store)) as db, \
            run(lambda: Terrain(default_dem_path())) as terrain:
        proposal = run(lambda: plan_for_risk(db, zones, terrain, equipment, budget_s,
                                             time.time()))
    written = [] if write is None else _write_schedule(proposal, write, start)
    if as_json:
        print(json.dumps({"budget_s": budget_s, "time_s": round(proposal.time_s),
                          "risk_covered": proposal.risk_covered,
                          "risk_total": proposal.risk_total,
                          "flights": [{"target": f.label, "risk": f.risk,
                                       "time_s": round(f.time_s), "reasons": list(f.reasons)}
                                      for f in proposal.flights],
                          "left_out": [{"target": t, "why": w} for t, w in proposal.left_out],
                          "written": [str(p) for p in written]}))
        return
    table = Table(title=f"flights for {budget}: {proposal.time_s / 60:.0f} min, risk "
                        f"{proposal.risk_covered:.1f} of {proposal.risk_total:.1f}")
    for column in ("target", "risk", "minutes", "why"):
        table.add_column(column, overflow="fold")
    for f in proposal.flights:
        table.add_row(f.label, f"{f.risk:.1f}", f"{f.time_s / 60:.0f}", "; ".join(f.reasons))
    console.print(table)
    for label, why in proposal.left_out:
        console.print(f"left out: {label}: {why}", highlight=False)
    for path in written:
        console.print(f"wrote {path}", highlight=False)
