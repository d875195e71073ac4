"""`dronewatch watch`: a drone's live thermal video analysed as it comes, with no mission.

Why a command: the operator steering a drone by hand to a sighting, or following a drone
another post flies, wants the same detector, findings and map as a search; the command
only listens to the drone, so Ctrl-C stops the watching, never the flight.
"""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from dronewatch.cli.common import (
    JsonOption,
    SpeedupOption,
    app,
    console,
    exit_3_unless_a_person_alarm,
    fail,
    run,
)
from dronewatch.cli.flight import (
    ConsoleReporter,
    DroneOption,
    SigningKeyOption,
    StoreOption,
    TlogOption,
)
from dronewatch.cli.inputs import (
    camera_choice,
    current_settings,
    number,
    read_signing_key,
    writable_folder,
)
from dronewatch.config import default_dem_path, default_zones_path
from dronewatch.errors import DronewatchError
from dronewatch.geo import Terrain, camera_preset
from dronewatch.ops.station import connect_station, tlog_beside
from dronewatch.ops.video import is_video, parse_camera
from dronewatch.ops.watch import WatchReport, watch_drone
from dronewatch.store import FindingKind, FindingStatus, Store
from dronewatch.thermal.sources.video import VideoError, VideoStream
from dronewatch.zones import load_zones

__all__ = ["watch_command"]


def _video(value: str) -> str:
    """A typer callback: a stream URL or video file (a folder or 'sim' has no live time)."""
    value = camera_choice(value)
    if not is_video(value.partition("#")[0]):
        raise typer.BadParameter(f"{value!r}: watch needs live video (rtsp://..., "
                                 "udp://HOST:PORT or a video file), not a folder or 'sim'")
    return value


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Ctrl-C and SIGTERM end the watching at the next frame (findings kept, map written)."""
    handler = lambda *_: stop.set()  # noqa: E731
    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, old in previous.items():
            signal.signal(s, old)


def _table(report: WatchReport) -> Table:
    table = Table(title=f"watch (mission {report.mission_id})", show_header=False)
    v = report.video
    table.add_row("frames analysed", f"{v.analysed} (behind the stream at most "
                                     f"{v.max_behind_s:.2f} s)")
    table.add_row("frames not analysed", f"{v.stream.dropped} dropped (the CPU was busy), "
                  + ", ".join(f"{n} {why}" for why, n in v.skipped) if v.skipped
                  else f"{v.stream.dropped} dropped (the CPU was busy)")
    table.add_row("telemetry poses", str(report.poses))
    for f in sorted(report.findings, key=lambda f: (f.status is not FindingStatus.ALARM,
                                                    f.kind is not FindingKind.PERSON)):
        table.add_row(f"{f.kind.value} #{f.id} ({f.status.value})",
                      f"{f.lat_deg:.6f}, {f.lon_deg:.6f} ± {f.accuracy_m:.1f} m, "
                      f"confidence {f.confidence:.0%}")
    table.add_row("map", str(report.map_path))
    return table


def _json(report: WatchReport) -> str:
    v = report.video
    return json.dumps({
        "mission_id": report.mission_id, "flight_id": report.flight_id,
        "frames": v.analysed, "dropped": v.stream.dropped, "skipped": dict(v.skipped),
        "max_behind_s": round(v.max_behind_s, 3), "poses": report.poses,
        "findings": [{"id": f.id, "kind": f.kind.value, "status": f.status.value,
                      "lat_deg": f.lat_deg, "lon_deg": f.lon_deg,
                      "accuracy_m": round(f.accuracy_m, 2),
                      "confidence": round(f.confidence, 3)} for f in report.findings],
        "map": str(report.map_path)})


@app.command("watch")
def watch_command(
    camera: Annotated[str, typer.Option(
        help="The drone's live video: rtsp://..., udp://HOST:PORT or a video file, "
             "optionally with #latency=SECONDS", callback=_video, show_default=False)],
    drone: DroneOption = None,
    minutes: Annotated[float | None, typer.Option(
        help="Stop after this many minutes [default: at Ctrl-C or when the stream ends]",
        callback=number(0, 1440, above=True, unit=" min"),
        show_default=False)] = None,
    store: StoreOption = None,
    out_dir: Annotated[Path, typer.Option(help="Folder for the map",
                                        callback=writable_folder)] = Path("out"),
    speedup: SpeedupOption = None,
    signing_key: SigningKeyOption = None,
    tlog: TlogOption = None,
    as_json: JsonOption = False,
) -> None:
    """Watch a drone's live thermal video: each frame the CPU can take, posed from the
    drone's telemetry at its capture time, through the search's detector; findings are
    stored as they are made and pinned on out/watch-map.html.

    Sends the drone no command: Ctrl-C stops the watching, the drone flies on as its
    pilot flies it. Exit code 3 when no person raised the alarm.
    """
    settings = current_settings()
    drone = drone or settings.drone
    key = read_signing_key(signing_key, settings.signing_key_file)
    zones = run(lambda: load_zones(default_zones_path()))
    url, latency_s = parse_camera(camera)
    tlog = tlog or tlog_beside(store or settings.store, out_dir)
    stop = threading.Event()
    if minutes is not None:
        timer = threading.Timer(minutes * 60.0, stop.set)
        timer.daemon = True
        timer.start()
    with run(lambda: Terrain(default_dem_path())) as terrain, \
            run(lambda: Store(store or settings.store)) as db, \
            ConsoleReporter(as_json) as reporter, \
            run(lambda: connect_station(drone, speedup, key, tlog)) as vehicle, \
            VideoStream(url, camera_preset(settings.camera), latency_s=latency_s) as stream, \
            _stop_on_signals(stop):
        try:
            report = watch_drone(vehicle, stream, zones, terrain, db,
                                 out_dir / "watch-map.html", stop=stop, announce=reporter,
                                 vehicle_name=drone, time_zone=settings.zone)
        except VideoError as exc:  # the findings so far are stored and mapped
            fail(f"{exc} (the findings so far are stored; map: {out_dir / 'watch-map.html'})")
        except DronewatchError as exc:
            fail(str(exc))
    if as_json:
        print(_json(report))
    else:
        console.print(_table(report))
    exit_3_unless_a_person_alarm(report.findings)
