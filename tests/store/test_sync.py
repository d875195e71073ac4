"""Stations' SQLite stores synced up to one regional database (PostgreSQL when given).

Real station files with overlapping ids and different histories; the regional copy is
compared row by row with each station's own, references followed by the station's ids.
"""

from __future__ import annotations

import json
import random
from dataclasses import replace

import pytest
from typer.testing import CliRunner

from dronewatch.cli import app
from dronewatch.store import Finding, FindingKind, FindingStatus, MissionKind, Store, StoreError
from dronewatch.store.cases import (
    CaseKind,
    CaseSource,
    CaseStatus,
    NewCase,
    StatusChange,
    add_case,
    add_owner,
    change_status,
)
from dronewatch.store.reviews import ReviewState, review
from dronewatch.store.sync import TABLES, sync_store
from dronewatch.store.warnings import PublishedWarning, publish

DAY_S = 86400.0


def fill(store: Store, seed: int, days: int, start_s: float = 1.7e9) -> None:
    """``days`` of a station's work: patrols flown, tracks, findings, alerts, cases."""
    rng = random.Random(seed)
    add_owner(store, "Coal Co")
    for day in range(days):
        t0 = start_s + day * DAY_S
        mission = store.add_mission(MissionKind.PATROL, f"{seed}-day-{day}", launched_by="duty",
                                    reason="patrol")
        flight = store.start_flight(mission.id, f"uav-{seed}")
        store.add_track(flight.id, [(t0 + i, 44.7 + i * 1e-5, 88.6 + seed * 0.01, 900.0 + i)
                                    for i in range(rng.randint(40, 90))])
        store.end_flight(flight.id, "landed")
        run = store.add_patrol_run(f"north-{seed}", t0, "starting")
        store.update_patrol_run(run, "done", mission_id=mission.id)
        for _ in range(rng.randint(1, 4)):
            found = store.add_finding(Finding(
                rng.choice(list(FindingKind)), 44.7 + rng.random() * 0.05, 88.6 + seed * 0.01,
                3.0, rng.random(), t0, t0 + 60, peak_temp_c=rng.uniform(30, 400),
                mission_id=mission.id, thumbnail_png=bytes([seed, day % 256])))
            store.add_alert("warning", f"seen {found.id}", found.id)
        if day % 3 == 0:
            case = add_case(store, NewCase(CaseKind.COAL_SELF_IGNITION, CaseSource.DRONE,
                                           found.lat_deg, found.lon_deg, t0, "duty",
                                           finding_id=found.id))
            change_status(store, case.id, CaseStatus.OPEN, CaseStatus.ASSIGNED,
                          StatusChange("duty", "assigned", mission_id=mission.id),
                          owner="Coal Co", due_unix_s=t0 + 7 * DAY_S)
            publish(store, PublishedWarning("overdue", "late", f"case {case.id}", t0,
                                            f"overdue:{case.id}", case_id=case.id))
            review(store, found.id, ReviewState.CONFIRMED, operator="duty")


def local_rows(store: Store, table) -> list[tuple]:
    rows = store._db.execute(f"SELECT {table.key}, {', '.join(table.columns)} FROM {table.name} "
                             f"ORDER BY {table.key}")
    keyed = [table.columns.index(c) + 1 for c in table.per_station]
    return [tuple(f"{store.station}/{v}" if i in keyed and v is not None else v
                  for i, v in enumerate(row)) for row in rows]


def regional_rows(region: Store, table, station: str) -> list[tuple]:
    """The station's rows as the region holds them, references as the station's own ids."""
    refs = dict(table.refs)
    columns = [f"(SELECT r.station_id FROM {refs[c]} r WHERE r.id = t.{c})" if c in refs
               else f"t.{c}" for c in table.columns]
    rows = region._db.execute(f"SELECT t.station_id, {', '.join(columns)} FROM {table.name} t "
                              "WHERE t.station = ? ORDER BY t.station_id", (station,))
    return [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in rows]


def assert_region_holds(region: Store, *stations: Store) -> None:
    for station in stations:
        for table in TABLES:
            assert regional_rows(region, table, station.station) == local_rows(station, table), \
                f"{table.name} of {station.station}"


@pytest.fixture
def stations(tmp_path):
    with Store(tmp_path / "ulaan.sqlite", station="ulaan-1") as a, \
            Store(tmp_path / "altai.sqlite", station="altai-2") as b:
        fill(a, seed=1, days=7)  # a week offline
        fill(b, seed=2, days=3)
        yield a, b


def test_two_stations_synced_twice_lose_nothing_and_duplicate_nothing(stations, store_where):
    a, b = stations
    with Store(store_where, station="region") as region:
        first = [sync_store(a, region, batch_rows=50), sync_store(b, region, batch_rows=50)]
        assert all(report.new > 0 for report in first)
        assert_region_holds(region, a, b)
        again = [sync_store(a, region), sync_store(b, region)]
        assert [report.new for report in again] == [0, 0]
        assert_region_holds(region, a, b)
        findings = region.findings()
        assert len(findings) == len(a.findings()) + len(b.findings())
        assert len({f.id for f in findings}) == len(findings)
        assert [(f.kind, f.lat_deg, f.status) for f in region.findings(station="altai-2")] == [
            (f.kind, f.lat_deg, f.status) for f in b.findings()]


def test_changes_made_at_the_station_reach_the_region_on_the_next_sync(stations, store_where):
    a, _ = stations
    with Store(store_where, station="region") as region:
        sync_store(a, region)
        checked = a.findings()[0]
        a.update_finding(replace(checked, status=FindingStatus.ALARM, evidence_count=9))
        fill(a, seed=1, days=2, start_s=2e9)  # the station flew on
        report = sync_store(a, region)
        assert report.new > 0
        assert_region_holds(region, a)
        held = region._db.execute("SELECT status, evidence_count FROM findings WHERE "
                                  "station = ? AND station_id = ?", (a.station, checked.id))
        assert held == [("alarm", 9)]


def test_a_sync_cut_half_way_resumes_where_it_stopped(stations, store_where):
    a, _ = stations
    batches = []

    def cut_the_link(table: str, rows: int) -> None:
        batches.append(table)
        if len(batches) == 5:
            region._db.close()  # the link drops: the next batch fails for real

    region = Store(store_where, station="region")
    with pytest.raises(StoreError, match=r"ulaan.sqlite to .* stopped: .*sync again to resume"):
        sync_store(a, region, batch_rows=20, on_batch=cut_the_link)
    with Store(store_where, station="region") as region:
        kept = region._db.execute("SELECT count(*) FROM track_points")[0][0]
        assert kept == 3 * 20  # missions, flights, then three whole batches of track points
        sync_store(a, region, batch_rows=20)
        assert_region_holds(region, a)


def test_a_store_holding_another_stations_rows_is_refused(stations, store_where, tmp_path):
    a, _ = stations
    with Store(a.where, station="someone-else") as wrong, \
            Store(store_where, station="region") as region:
        with pytest.raises(StoreError, match=r"ulaan.sqlite: missions holds rows of station "
                                             r"'ulaan-1', not 'someone-else'"):
            sync_store(wrong, region)
        if region.backend == "postgresql":
            with pytest.raises(StoreError, match=r"sync copies a station's SQLite store"):
                sync_store(region, region)


def test_store_sync_on_the_command_line_is_safe_to_repeat(stations, store_where):
    a, _ = stations
    args = ["store", "sync", "--store", a.where, "--station", "ulaan-1", "--to",
            str(store_where), "--json"]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    summary = json.loads(first.output)
    assert summary["station"] == "ulaan-1" and summary["new"] > 0
    again = CliRunner().invoke(app, args)
    assert json.loads(again.output)["new"] == 0


def test_store_sync_to_an_unreachable_region_names_it_without_the_password(stations):
    a, _ = stations
    result = CliRunner().invoke(app, ["store", "sync", "--store", a.where, "--station",
                                      "ulaan-1", "--to", "postgresql://dw:s3cret@127.0.0.1:1/r"])
    assert result.exit_code == 1
    assert "postgresql://dw:***@127.0.0.1:1/r: cannot open the store" in result.output
    assert "s3cret" not in result.output


def test_store_sync_of_a_missing_store_creates_nothing(tmp_path, store_where):
    missing = tmp_path / "none.sqlite"
    result = CliRunner().invoke(app, ["store", "sync", "--store", f"sqlite:///{missing}",
                                      "--station", "ulaan-1", "--to", str(store_where)])
    assert result.exit_code == 1
    assert f"{missing}: no station store there" in result.output
    assert not missing.exists()
