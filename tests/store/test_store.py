"""The store: real SQLite files (and PostgreSQL when given), migrations, queries, exports,
and a killed writer."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest

from dronewatch.store import Finding, FindingKind, PatrolRun, Store, StoreError, TrackPoint
from dronewatch.store.export import to_csv, to_geojson, to_kml
from dronewatch.store.schema import SCHEMA_VERSION
from tests.conftest import REPO


def finding(i: int, **kw) -> Finding:
    args = dict(kind=FindingKind.PERSON, lat_deg=44.75 + i * 1e-3, lon_deg=88.65, accuracy_m=3.0,
                confidence=0.8, first_seen_unix_s=1000.0 + i, last_seen_unix_s=1010.0 + i)
    return Finding(**(args | kw))


def test_a_killed_writer_loses_no_finding_it_reported_stored(store_where):
    db = store_where
    writer = subprocess.Popen([sys.executable, "-m", "tests.store.writer", str(db)], cwd=REPO,
                              stdout=subprocess.PIPE, text=True)
    reported = []
    deadline = time.monotonic() + 30
    while len(reported) < 300 and time.monotonic() < deadline:
        reported.append(int(writer.stdout.readline()))
    writer.send_signal(signal.SIGKILL)  # no chance to clean up, mid-write
    writer.wait()
    with Store(db) as store:
        stored = {f.id for f in store.findings()}
    assert set(reported) <= stored
    assert len(reported) == 300


def test_wal_mode_schema_version_and_refusing_a_newer_file(tmp_path):
    path = tmp_path / "s.sqlite"
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(StoreError, match="newer than this dronewatch knows"):
        Store(path)


def test_missions_flights_tracks_findings_and_queries(store_where):
    with Store(store_where) as store:
        mission = store.add_mission("search", "lost worker", launched_by="duty officer",
                                    reason="alarm 110")
        flight = store.start_flight(mission.id, "udpout:127.0.0.1:14550")
        store.add_track(flight.id, [(1.0, 44.7, 88.6, 800.0), (2.0, 44.71, 88.6, 801.0)])
        store.end_flight(flight.id, "landed")
        person = store.add_finding(finding(0, mission_id=mission.id))
        hot = store.add_finding(finding(5, kind=FindingKind.HOTSPOT, peak_temp_c=85.0,
                                        area_m2=40.0, mission_id=mission.id))
        store.add_finding(finding(9))  # another mission's
        assert [f.id for f in store.findings(mission_id=mission.id)] == [person.id, hot.id]
        assert [f.id for f in store.findings(kind="hotspot")] == [hot.id]
        box = (88.6, 44.749, 88.7, 44.752)
        assert [f.id for f in store.findings(bbox=box)] == [person.id]
        assert [f.id for f in store.findings(since_unix_s=1012.0)] == [hot.id, person.id + 2]
        store.update_finding(finding(0, id=person.id, evidence_count=4, last_seen_unix_s=2000.0,
                                     mission_id=mission.id))
        again = store.findings(mission_id=mission.id)[0]
        assert again.evidence_count == 4 and again.last_seen_unix_s == 2000.0
        assert store.track(flight.id)[1] == TrackPoint(2.0, 44.71, 88.6, 801.0)
        run = store.add_patrol_run("coal-faces", 1234.0, "done", mission_id=mission.id)
        assert store.patrol_runs("coal-faces")[0] == PatrolRun(run, 1234.0, mission.id, "done")
        alert = store.add_alert("warning", "hotspot grew", hot.id)
        assert store.alerts()[0].id == alert and store.alerts()[0].finding_id == hot.id


def test_exports_are_valid_geojson_kml_and_csv(store_where):
    with Store(store_where) as store:
        store.add_finding(finding(0))
        store.add_finding(finding(1, kind=FindingKind.HOTSPOT, peak_temp_c=90.5, area_m2=12.0))
        found = store.findings()
    geo = json.loads(to_geojson(found))
    assert geo["features"][1]["geometry"]["coordinates"] == [88.65, 44.751]
    assert geo["features"][1]["properties"]["peak_temp_c"] == 90.5
    kml = ET.fromstring(to_kml(found))
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    assert len(kml.findall(".//k:Placemark", ns)) == 2
    lines = to_csv(found).splitlines()
    assert lines[0].startswith("id,kind,lat_deg") and len(lines) == 3


def test_bad_findings_are_refused():
    with pytest.raises(ValueError, match="not WGS84"):
        finding(0, lat_deg=95.0)
    with pytest.raises(ValueError, match="confidence"):
        finding(0, confidence=1.5)


def test_findings_in_a_zone_and_one_hotspot_across_patrols(store_where):
    import shapely

    with Store(store_where) as store:
        for day, (peak, area) in enumerate([(70.0, 20.0), (85.0, 35.0), (120.0, 80.0)]):
            store.add_finding(finding(0, kind=FindingKind.HOTSPOT, lat_deg=44.75 + day * 5e-5,
                                      peak_temp_c=peak, area_m2=area,
                                      first_seen_unix_s=86400.0 * day,
                                      last_seen_unix_s=86400.0 * day + 60))
        store.add_finding(finding(0, kind=FindingKind.HOTSPOT, lat_deg=44.76, peak_temp_c=300.0))
        history = store.hotspot_history(44.75, 88.65, radius_m=30)
        assert [(round(f.peak_temp_c), round(f.area_m2)) for f in history] == [(70, 20), (85, 35),
                                                                                (120, 80)]
        assert [f.last_seen_unix_s for f in history] == [60.0, 86460.0, 172860.0]
        zone = shapely.box(88.64, 44.755, 88.66, 44.765)
        assert [f.peak_temp_c for f in store.findings_in(zone)] == [300.0]
        assert store.findings_in(zone, since_unix_s=1e12) == []


def test_a_reopened_store_keeps_everything_and_migrates_nothing_twice(store_where):
    with Store(store_where) as store:
        kept = store.add_finding(finding(0, thumbnail_png=b"\x89PNG-bytes"))
        assert store.schema_version == SCHEMA_VERSION
    with Store(store_where) as store:
        (again,) = store.findings()
        assert again == kept and isinstance(again.thumbnail_png, bytes)
        assert store.schema_version == SCHEMA_VERSION


def test_an_unreachable_database_is_a_clear_error(tmp_path):
    with pytest.raises(StoreError, match="cannot open the store"):
        Store("postgresql://nobody@127.0.0.1:1/none?connect_timeout=1")
    with pytest.raises(StoreError, match="cannot open the store"):
        Store(tmp_path / "a-directory.sqlite" / "..")


def test_a_version_1_file_gains_finding_status_and_its_persons_stay_alarms(tmp_path):
    from dronewatch.store import FindingStatus
    from dronewatch.store.schema import MIGRATIONS

    path = tmp_path / "v1.sqlite"
    db = sqlite3.connect(path)
    types = {"id": "INTEGER PRIMARY KEY", "real": "REAL", "blob": "BLOB"}
    for statement in MIGRATIONS[0]:
        db.execute(statement.format(**types))
    db.execute("INSERT INTO findings (kind, lat_deg, lon_deg, accuracy_m, confidence, "
               "first_seen_unix_s, last_seen_unix_s, evidence_count) VALUES "
               "('person', 44.7, 88.6, 2, 0.9, 1, 2, 3), ('hotspot', 44.7, 88.6, 2, 0.9, 1, 2, 1)")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    with Store(path) as store:
        person, hotspot = store.findings()
        assert person.status is FindingStatus.ALARM and hotspot.status is FindingStatus.NOTED
        checked = store.add_finding(finding(9, status=FindingStatus.TO_CHECK))
        assert store.findings()[-1].status is FindingStatus.TO_CHECK
        store.update_finding(replace(checked, status=FindingStatus.ALARM, confidence=0.95))
        assert store.findings()[-1].status is FindingStatus.ALARM


def test_a_flight_keeps_the_ground_it_covered_and_the_week_sums_it(store_where):
    """The weekly report's "area covered" comes from the store, flight by flight."""
    from dronewatch.store.tallies import week_tally

    with Store(store_where) as store:
        mission = store.add_mission("search", "s", launched_by="t", reason="t")
        flights = [store.start_flight(mission.id, f"drone-{k}") for k in range(3)]
        store.end_flight(flights[0].id, "completed", covered_m2=1.5e6)
        store.end_flight(flights[1].id, "link lost", covered_m2=0.25e6)
        store.end_flight(flights[2].id, "not launched")
        kept = store.flights(mission.id)
        tally = week_tally(store, 0.0, time.time() + 1.0, ("coal-self-ignition",))
    assert [f.covered_m2 for f in kept] == [1.5e6, 0.25e6, None]
    assert tally.area_covered_km2 == pytest.approx(1.75)

