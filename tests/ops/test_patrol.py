"""Patrols: definitions checked, runs flown against the simulator, growth warned about,
one drone never flying two patrols at once, and restarts that do not fly missed runs."""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pytest

from dronewatch.config import default_dem_path, default_zones_path
from dronewatch.geo import LocalFrame, Terrain, camera_preset
from dronewatch.ops.patrol import run_patrol
from dronewatch.ops.patrolspec import PatrolFileError, PatrolSpec, load_patrols
from dronewatch.ops.scheduler import PatrolScheduler
from dronewatch.store import Store
from dronewatch.store.warnings import published
from dronewatch.zones import load_zones
from simulators.thermal import Clock, ThermalCamera, ThermalWorld, ThingKind, make_thing
from tests.conftest import REPO
from tests.ops.rehearsal import drone, link

YARD_FROM_STATION_M = (250.0, 250.0)  # east, north of the station: a 160 m patrol yard


@pytest.fixture(scope="module")
def yard_zones(tmp_path_factory):
    """The modelled zones plus a small patrol yard beside the station (short flights)."""
    data = json.loads(default_zones_path().read_text())
    station = next(f for f in data["features"] if f["properties"]["id"] == "launch-station")
    lon0, lat0 = station["geometry"]["coordinates"]
    frame = LocalFrame(lat0, lon0)
    e0, n0 = YARD_FROM_STATION_M
    ring = [frame.to_wgs84(e0 + de, n0 + dn) for de, dn in
            [(0, 0), (160, 0), (160, 160), (0, 160), (0, 0)]]
    data["features"].append({"type": "Feature", "properties": {
        "id": "pa-test-yard", "name": "Test yard", "kind": "patrol_area",
        "patrol_priority": 1, "min_alt_agl_m": 60.0, "max_alt_agl_m": 120.0},
        "geometry": {"type": "Polygon",
                     "coordinates": [[[float(lon), float(lat)] for lat, lon in ring]]}})
    path = tmp_path_factory.mktemp("zones") / "zones.geojson"
    path.write_text(json.dumps(data))
    return load_zones(path), frame.to_wgs84(e0 + 80, n0 + 80)


def spec(**kw) -> PatrolSpec:
    return PatrolSpec(**({"name": "yard", "zones": ("pa-test-yard",), "schedule": "0 2 * * *",
                          "min_battery_pct": 30.0} | kw))


def test_the_shipped_patrols_load():
    specs = load_patrols(REPO / "missions", load_zones(default_zones_path()))
    assert {s.name for s in specs} >= {"hongsha-coal-faces", "south-gobi-rescue"}
    now = datetime.now(UTC)
    assert all(s.trigger().get_next_fire_time(None, now) for s in specs)


@pytest.mark.parametrize(("text", "field"), [
    ("name: a\nzones: [pa-hongsha]\n", "schedule"),
    ("name: a\nzones: [no-such-zone]\nschedule: '0 1 * * *'\n", "zones"),
    ("name: a\nzones: [pa-hongsha]\nschedule: 'every night'\n", "schedule"),
    ("name: a\nzones: [pa-hongsha]\nschedule: '0 1 * * *'\ntimezone: Mars/Olympus\n",
     "timezone"),
    ("name: a\nzones: [pa-hongsha]\nschedule: '0 1 * * *'\naltitude: 80\n", "altitude"),
    ("name: a\nzones: [pa-hongsha]\nschedule: '0 1 * * *'\nmax_wind_mps: strong\n",
     "max_wind_mps"),
    ("name: [a\n", "(file)"),
])
def test_a_bad_patrol_file_names_the_file_and_field(tmp_path, text, field):
    (tmp_path / "p.yaml").write_text(text)
    with pytest.raises(PatrolFileError, match=rf"p\.yaml(, line \d+)?: {re.escape(field)}"):
        load_patrols(tmp_path, load_zones(default_zones_path()))


def world_with_fire(zones, fire_at, radius_m, core_c, seed=3) -> ThermalWorld:
    world = ThermalWorld(default_dem_path(), zones, Clock(2.0), seed=seed)
    world.place([make_thing(ThingKind.COAL_FIRE, float(fire_at[0]), float(fire_at[1]), -9.0,
                            True, np.random.default_rng(seed), radius_m=radius_m)])
    world.things[-1] = replace(world.things[-1], core_c=core_c)
    return world


def test_a_hotspot_that_grew_since_the_last_patrol_raises_a_warning(yard_zones, tmp_path):
    zones, fire_at = yard_zones
    site = next(s for s in zones.launch_sites if s.id == "launch-station")
    results = []
    with Terrain(default_dem_path()) as terrain, Store(tmp_path / "s.sqlite") as store, \
            drone(site) as sim, link(sim.url) as vehicle:
        vehicle.wait_for(lambda s: s.prearm_ok and s.gps_fix_type >= 3, 30, "ready")
        for radius, core in ((3.0, 180.0), (7.0, 320.0)):  # a week later: bigger, hotter
            camera = ThermalCamera(world_with_fire(zones, fire_at, radius, core), terrain,
                                   camera_preset("dji-m30t"))
            results.append(run_patrol(spec(), time.time(), vehicle, zones, terrain,
                                      camera.render, store, tmp_path))
            vehicle.wait_for(lambda s: not s.armed, 60, "landed")
        alerts = store.alerts()
        runs = store.patrol_runs("yard")
        kept = published(store, 0.0, time.time() + 1.0)
    first, second = results
    assert first.status == "done" and second.status == "done"
    assert len(first.warnings) == 1 and first.warnings[0].startswith("new hotspot")
    assert len(second.warnings) == 1 and "grew since the last patrol" in second.warnings[0]
    assert [a.level for a in alerts] == ["warning", "warning"]
    assert [r.status for r in runs] == ["done", "done"] and all(r.mission_id for r in runs)
    # published as the patrols landed, each citing its finding, once
    assert [w.kind for w in first.published] == ["hotspot"]
    assert [w.kind for w in second.published] == ["hotter"]
    assert [(w.key, w.text) for w in kept] == [(w.key, w.text) for w in first.published
                                               + second.published]
    assert second.published[0].evidence.startswith(f"finding #{alerts[1].finding_id} ")


def test_a_run_that_fails_its_checks_is_skipped_and_recorded(yard_zones, tmp_path):
    zones, _ = yard_zones
    site = next(s for s in zones.launch_sites if s.id == "launch-station")
    with Terrain(default_dem_path()) as terrain, Store(tmp_path / "s.sqlite") as store, \
            drone(site) as sim, link(sim.url) as vehicle:
        vehicle.wait_for(lambda s: s.prearm_ok and s.gps_fix_type >= 3, 30, "ready")
        result = run_patrol(spec(), 1000.0, vehicle, zones, terrain, lambda p, t: None,
                            store, tmp_path, wind_mps=18.0)
        runs = store.patrol_runs("yard")
        assert store.flights() == []
    assert result.status == "skipped" and "wind 18 m/s" in result.detail
    assert runs[0].status == "skipped" and "wind 18 m/s above" in runs[0].detail


def test_two_patrols_due_at_once_on_one_drone_do_not_overlap(yard_zones, tmp_path):
    zones, fire_at = yard_zones
    site = next(s for s in zones.launch_sites if s.id == "launch-station")
    specs = [spec(name="yard-a"), spec(name="yard-b")]
    with Terrain(default_dem_path()) as terrain, Store(tmp_path / "s.sqlite") as store, \
            drone(site) as sim, link(sim.url) as vehicle:
        vehicle.wait_for(lambda s: s.prearm_ok and s.gps_fix_type >= 3, 30, "ready")
        camera = ThermalCamera(world_with_fire(zones, fire_at, 3.0, 200.0), terrain,
                               camera_preset("dji-m30t"))
        done = threading.Event()
        finished = []

        def fly(s, due):
            vehicle.wait_for(lambda st: not st.armed, 60, "on the ground")
            result = run_patrol(s, due, vehicle, zones, terrain, camera.render, store,
                                tmp_path)
            vehicle.wait_for(lambda st: not st.armed, 60, "landed")
            finished.append(s.name)
            if len(finished) == 2:
                done.set()
            return result

        scheduler = PatrolScheduler(specs, store, fly)
        scheduler.start()
        scheduler.fire_now()  # both fall due at the same moment
        assert done.wait(120), "the two patrols did not both fly"
        scheduler.shutdown()
        flights = store.flights()
    assert sorted(finished) == ["yard-a", "yard-b"] and len(flights) == 2
    first, second = sorted(flights, key=lambda f: f.started_unix_s)
    assert first.ended_unix_s <= second.started_unix_s  # one after the other, never both


def test_a_restart_records_missed_runs_and_does_not_fly_them(tmp_path):
    hourly = PatrolSpec(name="hourly", zones=("pa-hongsha",), schedule="0 * * * *")
    now = 1_790_000_000.0 // 3600 * 3600 + 1800  # half past an hour
    with Store(tmp_path / "s.sqlite") as store:
        store.add_patrol_run("hourly", now - 5 * 3600 - 1800, "done", mission_id=None)
        crashed = store.add_patrol_run("hourly", now - 4 * 3600 - 1800, "flying")
        flown: list[float] = []
        scheduler = PatrolScheduler([hourly], store, lambda s, due: flown.append(due),
                                    clock=lambda: now)
        recorded = scheduler.catch_up()
        runs = store.patrol_runs("hourly")
    assert flown == []
    statuses = {r.id: r.status for r in runs}
    assert statuses[crashed] == "interrupted"
    missed = [r for r in runs if r.status == "missed"]
    assert [r.due_unix_s for r in missed] == [now - k * 3600 - 1800 for k in (3, 2, 1, 0)]
    assert sum(1 for _, _, status in recorded if status == "missed") == 4

