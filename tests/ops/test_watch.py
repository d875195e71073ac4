"""`dronewatch watch`: a pilot flies the simulated drone by hand (over real UDP MAVLink);
its camera's H.264 video comes over real UDP; the command poses each frame from the
drone's telemetry, finds the person, stores and maps them, and never commands the drone."""

from __future__ import annotations

import json
import math
import sqlite3
import time
from dataclasses import replace

from typer.testing import CliRunner

from dronewatch.cli import app
from dronewatch.geo import Attitude, CameraPose, GimbalAttitude, LocalFrame
from dronewatch.store import FindingKind, MissionKind, Store
from dronewatch.thermal.learned import radiometric_to_agc
from simulators.thermal import Posture
from tests.ops.rehearsal import drone, link, rehearsal
from tests.thermal.videosend import free_udp_port, start_sending

FPS = 10
HOVER_AGL_M = 60.0


def test_watch_finds_the_person_below_a_hand_flown_drone_and_never_commands_it(tmp_path):
    """The person stands, the drone hovers heading 45° at 60 m: a view in which the
    network sees the simulator's person in AGC video (its peak score over views of the
    simulated person swings from 0.1 to 0.9: the simulator's people are flat saturated
    discs, unlike HIT-UAV's; see the model card)."""
    with rehearsal(posture=Posture.STANDING) as r:
        ground_m = r.terrain.elevation_at(*r.person)
        lat, lon = LocalFrame(*r.person).to_wgs84(-6.0, 4.0)  # take off beside them
        site = replace(r.plan.home, lat_deg=float(lat), lon_deg=float(lon), heading_deg=45.0,
                       home_alt_amsl_m=float(r.terrain.elevation_at(float(lat), float(lon))))
        with drone(site) as sim, link(sim.url) as pilot:
            pilot.wait_for(lambda s: s.prearm_ok and s.home is not None, 30, "ready")
            pilot.set_mode("GUIDED")
            pilot.arm()
            pilot.takeoff(HOVER_AGL_M)
            hover = pilot.wait_for(lambda s: s.alt_rel_m > HOVER_AGL_M - 1.0, 60, "hovering")
            assert ground_m < hover.alt_amsl_m
            # what the gimbal's camera sees straight down, as white-hot AGC video
            pose = CameraPose(hover.lat_deg, hover.lon_deg, hover.alt_amsl_m,
                              Attitude(0.0, 0.0, hover.yaw_deg % 360.0),
                              GimbalAttitude(-90.0, 0.0, 0.0))
            frames = [radiometric_to_agc(r.camera.render(pose, i / FPS).pixels)
                      for i in range(10)] * 12
            port = free_udp_port()
            start_sending(port, frames, FPS, start_s=time.time() + 2.0)
            result = CliRunner().invoke(app, [
                "watch", "--camera", f"udp://127.0.0.1:{port}#latency=0.2",
                "--drone", sim.url, "--minutes", "0.15", "--store",
                str(tmp_path / "store.sqlite"), "--out-dir", str(tmp_path), "--json"],
                env={"DRONEWATCH_TIMEZONE": "Asia/Tokyo"})
            after = pilot.state
    assert result.exit_code in (0, 3), result.output
    report = json.loads(result.stdout.strip().splitlines()[-1])
    people = [f for f in report["findings"] if f["kind"] == "person"]
    assert people and min(r.distance_m(f["lat_deg"], f["lon_deg"]) for f in people) <= 3.0
    alarms = [f for f in people if f["status"] == "alarm"]
    assert result.exit_code == (0 if alarms else 3)  # 3: no person raised the alarm
    assert report["frames"] >= 5 and report["poses"] >= 5
    # the drone flew on as its pilot left it: armed, GUIDED, hovering where it was
    assert after.armed and after.mode == "GUIDED" and after.alt_rel_m > HOVER_AGL_M - 2.0
    assert math.hypot(*LocalFrame(hover.lat_deg, hover.lon_deg).to_local(
        after.lat_deg, after.lon_deg)) < 2.0
    with sqlite3.connect(tmp_path / "store.sqlite") as db:
        assert db.execute("SELECT id, kind FROM missions").fetchall() == [
            (report["mission_id"], MissionKind.WATCH.value)]
    with Store(tmp_path / "store.sqlite") as store:
        stored = store.findings(mission_id=report["mission_id"], kind=FindingKind.PERSON)
        assert {f.id for f in stored} >= {f["id"] for f in people}
        (flight,) = store.flights(report["mission_id"])
        assert flight.outcome == "watching stopped" and store.track(flight.id)
    page = (tmp_path / "watch-map.html").read_text()
    assert "person" in page and "Asia/Tokyo" in page  # the station's clock, from its settings
    assert list(tmp_path.glob("flight-*.tlog"))
