"""`dronewatch analyse`: a flight's frames and its log, looked at after it landed.

Prints each finding as it is stored (as a live search does), a progress bar over the
frames, and a report that says how every frame got its pose or why it was skipped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from dronewatch.cli.common import JsonOption, app, console, exit_3_unless_a_person_alarm, fail, run
from dronewatch.cli.flight import ConsoleReporter, StoreOption, add_person_rows
from dronewatch.cli.inputs import camera_preset_name, current_settings, number, writable_folder
from dronewatch.config import default_dem_path, default_zones_path
from dronewatch.geo import Terrain, camera_preset
from dronewatch.ops.analyse import AnalysisOptions, AnalysisReport, analyse_flight
from dronewatch.store import FindingKind, FindingStatus, Store
from dronewatch.zones import load_zones

__all__ = ["analyse_command"]


def _existing(paths: list[Path]) -> list[Path]:
    for path in paths:
        if not path.exists():
            raise typer.BadParameter(f"{path}: no such file or folder")
    return paths


def _log_file(path: Path | None) -> Path | None:
    if path is None:
        return None
    if path.suffix.lower() not in (".tlog", ".bin", ".ulg"):
        raise typer.BadParameter(f"{path}: expected a .tlog, .BIN or .ulg flight log")
    if not path.is_file():
        raise typer.BadParameter(f"{path}: no such file")
    return path


def _table(report: AnalysisReport) -> Table:
    of = report.log_path.name if report.log_path else "frames on their own poses"
    table = Table(title=f"mission {report.mission_id}: analysis of {of}")
    table.add_column("")
    table.add_column("")
    people = [f for f in report.findings if f.kind is FindingKind.PERSON]
    alarms = [f for f in people if f.status is FindingStatus.ALARM]
    to_check = [f for f in people if f.status is FindingStatus.TO_CHECK]
    count = lambda kind: str(sum(f.kind is kind for f in report.findings))  # noqa: E731
    gaps = (f"{len(report.gaps)}, longest {max(b - a for a, b in report.gaps):.1f} s"
            if report.gaps else "none")
    for key, value in (
        ("persons found (alarm)", str(len(alarms))),
        ("possible persons to check", str(len(to_check))),
        ("hotspots found", count(FindingKind.HOTSPOT)),
        ("vehicles seen", count(FindingKind.VEHICLE)),
        ("frames", f"{report.frames} looked at, {report.frames_skipped} skipped"
                   + "".join(f"; {n} {why}" for why, n in report.skipped)),
        ("poses", ", ".join(f"{n} by {how}" for how, n in report.posed_by) or "none"),
        ("log", f"{report.log_kind}, {report.log_clock} clock, "
                f"{report.shots_logged} shots logged ({report.shot_source or 'none'}), "
                f"{report.shots_without_frame} without a frame" if report.log_path else
                "none: each frame placed from its own pose, the track drawn through them"),
        ("gaps in the log", gaps),
        ("map", str(report.map_path.resolve())),
    ):
        table.add_row(key, value)
    add_person_rows(table, alarms, to_check, dict(report.best_views))
    return table


def _json(report: AnalysisReport) -> str:
    seen = dict(report.best_views)
    return json.dumps({
        "mission_id": report.mission_id,
        "log": str(report.log_path) if report.log_path else None,
        "log_kind": report.log_kind, "log_clock": report.log_clock,
        "shot_source": report.shot_source, "shots_logged": report.shots_logged,
        "shots_without_frame": report.shots_without_frame,
        "findings": [{"id": f.id, "kind": f.kind.value, "status": f.status.value,
                      "lat_deg": f.lat_deg, "lon_deg": f.lon_deg,
                      "accuracy_m": round(f.accuracy_m, 2), "confidence": round(f.confidence, 3),
                      "peak_temp_c": f.peak_temp_c, "area_m2": f.area_m2,
                      "best_seen_in": seen.get(f.id or -1)}
                     for f in report.findings],
        "frames": report.frames, "frames_skipped": report.frames_skipped,
        "posed_by": dict(report.posed_by), "skipped": dict(report.skipped),
        "gaps": [[round(a, 3), round(b, 3)] for a, b in report.gaps],
        "map": str(report.map_path)})


@app.command("analyse")
def analyse_command(
    frames: Annotated[list[Path], typer.Argument(
        help="Frame files, videos (a DJI clip's .SRT subtitles beside it give its poses), "
             "or folders of them (TIFF/PNG/.npy with sidecars, radiometric JPEGs)",
        callback=_existing, show_default=False)],
    log: Annotated[Path | None, typer.Option(
        "--log", help="The flight's log: MAVLink .tlog, ArduPilot DataFlash .BIN or PX4 "
                      ".ulg; without one (a DJI aircraft writes none) every frame needs a "
                      "pose of its own", callback=_log_file, show_default=False)] = None,
    log_system: Annotated[int | None, typer.Option(
        "--log-system", help="The vehicle to read from a .tlog that holds several (its "
                             "MAVLink system id, 1-255) [default: the one with the most "
                             "positions]", min=1, max=255, show_default=False)] = None,
    clock_offset: Annotated[float, typer.Option(
        "--clock-offset", help="Seconds added to each frame's capture time to put it on the "
                               "log's clock (camera clock behind the log: positive)",
        callback=number(-3e8, 3e8, unit=" s"))] = 0.0,
    match_within: Annotated[float, typer.Option(
        "--match-within", help="Seconds within which a frame and a logged camera shot are "
                               "one shot (0-60)", callback=number(0, 60, unit=" s"))] = 1.0,
    max_gap: Annotated[float, typer.Option(
        "--max-gap", help="Seconds without a logged position around a frame that make a gap: "
                          "its frames are skipped, not interpolated (0-600)",
        callback=number(0, 600, above=True, unit=" s"))] = 2.0,
    every: Annotated[float, typer.Option(
        "--every", help="Seconds of video between the frames looked at in a video (0.03-60)",
        callback=number(0.03, 60, unit=" s"))] = 0.5,
    camera_model: Annotated[str | None, typer.Option(
        "--camera-model", help="Camera preset for videos and frame files that name no camera",
        callback=lambda v: v and camera_preset_name(v), show_default=False)] = None,
    store: StoreOption = None,
    out_dir: Annotated[Path, typer.Option(help="Folder for the map",
                                          callback=writable_folder)] = Path("out"),
    as_json: JsonOption = False,
) -> None:
    """Analyse a flight after it landed: pose its frames from the log, detect, store, map.

    A frame keeps a pose of its own (R-JPEG metadata, sidecar, a DJI video's subtitles);
    else it takes the pose of the camera shot the autopilot logged for it
    (CAMERA_FEEDBACK or CAMERA_IMAGE_CAPTURED, CAM, camera_capture), else the logged
    track's at its time; a frame in a gap of the log is skipped and counted. A video
    gives a frame every --every seconds. Without --log, frames without a pose of their
    own are skipped and counted.
    Exit code 3 when no person raised the alarm.
    """
    settings = current_settings()
    zones = run(lambda: load_zones(default_zones_path()))
    options = AnalysisOptions(clock_offset_s=clock_offset, match_within_s=match_within,
                              max_gap_s=max_gap, time_zone=settings.zone, clip_every_s=every,
                              log_system=log_system,
                              camera=camera_preset(camera_model) if camera_model else None)
    with run(lambda: Terrain(default_dem_path())) as terrain, \
            run(lambda: Store(store or settings.store)) as db, \
            ConsoleReporter(as_json) as reporter, \
            Progress(TextColumn("frames"), BarColumn(), MofNCompleteColumn(),
                     TimeElapsedColumn(), console=console, transient=True,
                     disable=as_json) as bar:
        task = bar.add_task("frames", total=None)
        report = run(lambda: analyse_flight(
            frames, log, zones, terrain, db, out_dir / "analysis-map.html", options=options,
            announce=reporter,
            progress=lambda done, total: bar.update(task, completed=done, total=total)))
    if as_json:
        print(_json(report))
    else:
        console.print(_table(report))
    if report.frames == 0:
        why = "; ".join(f"{n} {reason}" for reason, n in report.skipped) or "no frames"
        fail(f"{log}: no frame could be analysed with this log ({why})" if log
             else f"no frame could be analysed ({why})")
    exit_3_unless_a_person_alarm(report.findings)
