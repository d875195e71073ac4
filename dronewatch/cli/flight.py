"""Commands that fly: a search from an alarm, and the demo.

Both print each new finding as it is stored, keep the mission map file current, and
end with a report; Ctrl-C brings the drone home before the command returns.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from dronewatch.cli.common import (
    AtOption,
    JsonOption,
    LostHoursOption,
    Pattern,
    PatternOption,
    RadiusOption,
    SpeedupOption,
    WindOption,
    app,
    console,
    err_console,
    exit_3_unless_a_person_alarm,
    fail,
    lat_lon,
    run,
)
from dronewatch.cli.fleet import fly_fleet
from dronewatch.cli.inputs import (
    camera_choice,
    current_settings,
    drone_url,
    drone_urls,
    read_signing_key,
    store_url,
    writable_folder,
)
from dronewatch.config import default_dem_path, default_zones_path
from dronewatch.geo import Terrain
from dronewatch.ops import (
    Announcement,
    AnnouncementKind,
    FlightOptions,
    FlightReport,
    OnFind,
    SearchRequest,
    run_search,
)
from dronewatch.ops.analysis import LOCAL, AnalysisError, check_analysis
from dronewatch.ops.cameras import camera_source
from dronewatch.ops.rehearse import DEFAULT_SEED, run_rehearsal
from dronewatch.ops.station import connect_station, tlog_beside
from dronewatch.store import Finding, FindingKind, FindingStatus, Store
from dronewatch.zones import load_zones

STYLE = {AnnouncementKind.STAGE: "cyan", AnnouncementKind.FINDING: "yellow",
         AnnouncementKind.ALERT: "bold red", AnnouncementKind.WARNING: "magenta"}


class ConsoleReporter:
    """Prints announcements as timed lines, and the mission's progress as a bar.

    Why a bar: a search flies for half an hour; the officer wants to see at a glance
    how much of the mission is done, while findings scroll above it.
    """

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        self.started = time.monotonic()
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __call__(self, a: Announcement) -> None:
        if self.as_json:
            return
        if a.progress is not None:
            done, total = a.progress.item, a.progress.total
            if self._progress is None:
                self._progress = Progress(TextColumn("mission item"), BarColumn(),
                                          MofNCompleteColumn(), TimeElapsedColumn(),
                                          console=console, transient=True)
                self._progress.start()
                self._task = self._progress.add_task("mission", total=total)
            self._progress.update(self._task, completed=done, total=total)
            return
        stamp = f"[dim]{time.monotonic() - self.started:6.1f}s[/]"
        console.print(f"{stamp} [{STYLE.get(a.kind, 'white')}]{a.text}[/]", highlight=False)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def __enter__(self) -> ConsoleReporter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def report_table(report: FlightReport) -> Table:
    table = Table(title=f"mission {report.mission_id}: {report.outcome}")
    table.add_column("")
    table.add_column("")
    people = [f for f in report.findings if f.kind is FindingKind.PERSON]
    alarms = [f for f in people if f.status is not FindingStatus.TO_CHECK]
    to_check = [f for f in people if f.status is FindingStatus.TO_CHECK]
    hot = [f for f in report.findings if f.kind is FindingKind.HOTSPOT]
    vehicles = [f for f in report.findings if f.kind is FindingKind.VEHICLE]
    for key, value in (
        ("persons found (alarm)", str(len(alarms))), ("possible persons to check",
                                                      str(len(to_check))),
        ("hotspots found", str(len(hot))), ("vehicles seen", str(len(vehicles))),
        ("command to airborne", f"{report.command_to_airborne_s:.1f} s "
                                f"({report.command_to_airborne_vehicle_s:.1f} s vehicle clock)"),
        ("flight time", f"{report.flight_time_s / 60:.1f} min"),
        ("battery used", f"{report.battery_used_pct:.0f} %"),
        ("area seen", f"{report.covered_share:.0%} of the planned region"),
        ("POD achieved", f"{report.pod_achieved:.0%}"),
        ("frames", f"{report.frames} looked at, {report.frames_failed} skipped"
                   + "".join(f"; {n} {why}" for why, n in report.skipped)),
        ("map", str(report.map_path.resolve())),
    ):
        table.add_row(key, value)
    add_person_rows(table, alarms, to_check)
    return table


def add_person_rows(table: Table, alarms: list[Finding], to_check: list[Finding],
                    best_views: dict[int, str] | None = None) -> None:
    """One row per person found, alarms first: where (± the 95 % radius), how sure, and
    (after a flight) the frame that shows them best, for a look with one's own eyes."""
    for f in alarms + to_check:
        label = f"person #{f.id}" + (" (to check)" if f in to_check else "")
        seen = (best_views or {}).get(f.id or -1)
        table.add_row(label, f"{f.lat_deg:.6f}, {f.lon_deg:.6f} ± {f.accuracy_m:.1f} m, "
                      f"confidence {f.confidence:.0%}"
                      + (f", best seen in {Path(seen).name}" if seen else ""))


def report_json(report: FlightReport, **extra: object) -> str:
    return json.dumps({
        "mission_id": report.mission_id, "outcome": report.outcome,
        "findings": [{"id": f.id, "kind": f.kind.value, "status": f.status.value,
                      "lat_deg": f.lat_deg,
                      "lon_deg": f.lon_deg, "accuracy_m": round(f.accuracy_m, 2),
                      "confidence": round(f.confidence, 3), "peak_temp_c": f.peak_temp_c,
                      "area_m2": f.area_m2} for f in report.findings],
        "command_to_airborne_s": round(report.command_to_airborne_s, 2),
        "flight_time_s": round(report.flight_time_s, 1),
        "battery_used_pct": round(report.battery_used_pct, 1),
        "covered_share": round(report.covered_share, 3),
        "pod_achieved": round(report.pod_achieved, 3), "frames": report.frames,
        "frames_failed": report.frames_failed, "skipped": dict(report.skipped),
        "fault": report.fault, "map": str(report.map_path), **extra})


DroneOption = Annotated[str | None, typer.Option(
    help="MAVLink URL of the drone (udp:, udpout:, tcp:, /dev/ttyUSB0,57600) "
         "[default: the 'drone' setting]", callback=drone_url, show_default=False)]
StoreOption = Annotated[str | None, typer.Option(
    help="SQLite file or postgresql:// URL [default: the 'store' setting]",
    callback=store_url, show_default=False)]
CameraOption = Annotated[str, typer.Option(
    help="'sim' renders the simulated thermal world (rehearsals); else a folder the "
         "camera writes its frames into, or live video: rtsp://..., udp://HOST:PORT or a "
         "video file, optionally with #latency=SECONDS", callback=camera_choice)]
SigningKeyOption = Annotated[str | None, typer.Option(
    help="MAVLink 2 signing key: 64 hex digits or a passphrase [default: the "
         "'signing_key_file' setting; none: unsigned]", show_default=False)]


TlogOption = Annotated[Path | None, typer.Option(
    help="Where the flight's MAVLink telemetry log (.tlog, for MAVProxy and Mission "
         "Planner) goes [default: flight-<UTC time>.tlog beside the store]",
    show_default=False)]


def analysis_choice(where: str) -> str:
    try:
        return check_analysis(where)
    except AnalysisError as exc:
        raise typer.BadParameter(str(exc)) from None


@app.command("search")
def search_command(
    at: AtOption,
    radius: RadiusOption = 800.0,
    pattern: PatternOption = Pattern.AUTO,
    drone: Annotated[list[str] | None, typer.Option(
        help="MAVLink URL of a drone (udp:, udpout:, tcp:, /dev/ttyUSB0,57600); repeat it "
             "to fly the search with several drones, each its own share [default: the "
             "'drones' setting, else 'drone']", callback=drone_urls, show_default=False,
        metavar="URL")] = None,
    lost_person_hours: LostHoursOption = None,
    on_find: Annotated[OnFind, typer.Option(
        help="loiter: hold over the first person found, camera on them (with several "
             "drones the nearest holds, the others search on); recall: as loiter, and the "
             "other drones come home; continue: keep searching")] = OnFind.CONTINUE,
    camera: CameraOption = "sim",
    rehearse: Annotated[int, typer.Option(
        help="With --camera sim: plant N people and N fires at random in the search area "
             "and report found against planted", min=0, max=50)] = 0,
    seed: Annotated[int, typer.Option(help="The rehearsal's world and where it plants",
                                      min=0, max=2**32 - 1)] = DEFAULT_SEED,
    store: StoreOption = None,
    out_dir: Annotated[Path, typer.Option(help="Folder for the mission map",
                                        callback=writable_folder)] = Path("out"),
    speedup: SpeedupOption = None,
    wind_mps: WindOption = None,
    signing_key: SigningKeyOption = None,
    tlog: TlogOption = None,
    analysis: Annotated[str, typer.Option(
        help="Where the frames are analysed: 'local' (this process), 'ray' (a Ray cluster "
             "this process starts) or ray://HOST:PORT (a running Ray cluster; needs "
             "pip install -e '.[cluster]')", callback=analysis_choice)] = LOCAL,
    as_json: JsonOption = False,
) -> None:
    """Search from an alarm: plan, check the drone, upload, fly, find, report.

    Every finding is stored the moment it is made and pinned on the mission map
    (out/mission-map.html, rewritten every few seconds). Ctrl-C brings the drone home.
    Exit code 3 when the flight ended without finding a person.
    """
    lat, lon = lat_lon(at)
    if rehearse and camera != "sim":
        fail("--rehearse plants people and fires in the simulated world: use it with "
             "--camera sim", 2)
    settings = current_settings()
    urls = drone or list(settings.fleet)  # no --drone: the station's drones (or its one)
    if len(urls) > 1 and rehearse:
        fail("--rehearse plants people for one drone's search: fly a fleet with --camera "
             "sim (the simulated world) instead", 2)
    drone = urls[0]
    key = read_signing_key(signing_key, settings.signing_key_file)
    zones = run(lambda: load_zones(default_zones_path()))
    if not zones.in_operating_area(lat, lon):
        fail(f"--at {at}: outside the operating area {zones.operating_area.id!r} of "
             f"{zones.source}")
    request = SearchRequest(lat, lon, radius_m=radius, pattern=str(pattern),
                            lost_hours=lost_person_hours, camera=settings.camera,
                            airframe=settings.airframe)
    tlog = tlog or tlog_beside(store or settings.store, out_dir)
    if len(urls) > 1:
        options = FlightOptions(on_find=on_find, min_battery_pct=settings.min_battery_pct,
                                link_lost_after_s=settings.link_lost_after_s,
                                wind_mps=wind_mps, time_zone=settings.zone, analysis=analysis)
        with run(lambda: Terrain(default_dem_path())) as terrain, \
                ConsoleReporter(as_json) as reporter:
            fly_fleet(request, urls, zones=zones, terrain=terrain,
                      store=store or settings.store, camera=camera, seed=seed,
                      camera_model=settings.camera, out_dir=out_dir, speedup=speedup, key=key,
                      tlog=tlog, options=options, announce=reporter, as_json=as_json)
        return
    with run(lambda: Terrain(default_dem_path())) as terrain, \
            run(lambda: Store(store or settings.store)) as db, \
            ConsoleReporter(as_json) as reporter:
        source = None if camera == "sim" else camera_source(
            camera, terrain, seed=seed, model=settings.camera)
        with run(lambda: connect_station(drone, speedup, key, tlog)) as vehicle:
            options = FlightOptions(on_find=on_find,
                                    min_battery_pct=settings.min_battery_pct,
                                    link_lost_after_s=settings.link_lost_after_s,
                                    wind_mps=wind_mps, time_zone=settings.zone,
                                    analysis=analysis)
            map_path = out_dir / "mission-map.html"
            try:  # from the first arm command on, run_search itself brings the drone home
                if source is None:  # a rehearsal against the simulated world
                    result = run(lambda: run_rehearsal(
                        request, vehicle, zones, terrain, db, map_path, count=rehearse,
                        seed=seed, options=options, announce=reporter, vehicle_name=drone))
                    report, score = result.report, result.score
                else:
                    report, score = run(lambda: run_search(
                        request, vehicle, zones, terrain, source, db, map_path,
                        options=options, announce=reporter, vehicle_name=drone)), None
            except KeyboardInterrupt:
                fail("stopped by Ctrl-C before the flight: nothing was uploaded or flown", 130)
    if as_json:
        print(report_json(report, tlog=str(tlog),
                          **({"rehearsal": score.as_dict()} if score else {})))
    else:
        console.print(report_table(report))
        if score is not None:
            console.print(score.summary(), highlight=False)
            for line in score.lines():
                console.print(f"  {line}", highlight=False)
        console.print(f"MAVLink log: {tlog}")
    exit_3_unless_a_person_alarm(report.findings)


@app.command("demo")
def demo_command(
    out_dir: Annotated[Path, typer.Option(help="Folder for the map and the store",
                                        callback=writable_folder)]
    = Path("out"),
    seed: Annotated[int, typer.Option(help="Where the person is, and everything random",
                                      min=0, max=2**32 - 1)] = 20261123,
    speedup: SpeedupOption = 30.0,
    as_json: JsonOption = False,
) -> None:
    """The main job with no set-up: a worker lost at night, found by the simulated drone.

    Starts the simulated drone at the nearest launch site and a thermal world with
    the lost person, sheep, camels, a truck, a machine and coal fires; raises the alarm
    near the person; flies the search; prints where the person was found, the error
    against the truth, and the map's path.
    """
    from dronewatch.ops.demo import run_demo

    started = time.monotonic()
    with ConsoleReporter(as_json) as reporter:
        result = run(lambda: run_demo(out_dir, seed=seed, speedup=speedup, announce=reporter))
    extra = {"person_lat_deg": result.person_lat_deg, "person_lon_deg": result.person_lon_deg,
             "error_m": result.error_m, "wall_s": round(time.monotonic() - started, 1)}
    if as_json:
        print(report_json(result.report, **extra))
    else:
        console.print(report_table(result.report))
        console.print(f"the lost worker was at {result.person_lat_deg:.6f}, "
                      f"{result.person_lon_deg:.6f}")
    if result.error_m is None:
        err_console.print("[bold red]the person was not found[/]")
        raise typer.Exit(3)
    if not as_json:
        console.print(f"[bold green]found at {result.found_lat_deg:.6f}, "
                      f"{result.found_lon_deg:.6f}: {result.error_m:.1f} m from the truth[/]")
        console.print(f"map: [bold]{result.report.map_path.resolve()}[/]")
