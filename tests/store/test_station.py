"""Every row a station writes carries its name, so one database can gather many stations."""

from __future__ import annotations

import threading

import pytest

from dronewatch.store import Finding, FindingKind, MissionKind, Store, StoreError
from dronewatch.store.cases import CaseKind, CaseSource, NewCase, add_case
from dronewatch.store.reviews import ReviewState, review
from dronewatch.store.warnings import PublishedWarning, publish

TAGGED = ("missions", "flights", "track_points", "findings", "patrol_runs", "alerts", "cases",
          "case_events", "warnings", "finding_reviews")


def test_every_row_is_tagged_with_the_station_that_wrote_it(store_where):
    with Store(store_where, station="ulaan-1") as store:
        mission = store.add_mission(MissionKind.SEARCH, "m", launched_by="o", reason="r")
        flight = store.start_flight(mission.id, "uav-1")
        store.add_track(flight.id, [(1.0, 44.7, 88.6, 900.0)])
        found = store.add_finding(Finding(FindingKind.PERSON, 44.7, 88.6, 3.0, 0.9, 1.0, 2.0,
                                          mission_id=mission.id))
        store.add_patrol_run("north", 5.0, "done", mission_id=mission.id)
        store.add_alert("alarm", "person", found.id)
        case = add_case(store, NewCase(CaseKind.MISSING_PERSON, CaseSource.DRONE, 44.7, 88.6,
                                       2.0, "o", finding_id=found.id))
        publish(store, PublishedWarning("overdue", "t", "e", 3.0, "k", case_id=case.id))
        review(store, found.id, ReviewState.CONFIRMED, operator="o")
        for table in TAGGED:
            assert store._db.execute(f"SELECT DISTINCT station FROM {table}") == [("ulaan-1",)]


def test_the_station_comes_from_the_settings_and_is_checked(tmp_path, monkeypatch):
    monkeypatch.setenv("DRONEWATCH_STATION", "altai-2")
    with Store(tmp_path / "a.sqlite") as store:
        assert store.station == "altai-2"
    with pytest.raises(StoreError, match=r"b.sqlite: station: 'two words': a station name"):
        Store(tmp_path / "b.sqlite", station="two words")


def test_stations_writing_to_one_database_at_once_keep_their_own_tags(store_where):
    stores = [Store(store_where, station=name) for name in ("ulaan-1", "altai-2", "gobi-3")]

    def work(store: Store) -> None:
        mission = store.add_mission(MissionKind.PATROL, store.station, launched_by="o",
                                    reason="r")
        for i in range(20):
            store.add_finding(Finding(FindingKind.HOTSPOT, 44.7, 88.6 + i * 1e-4, 3.0, 0.5,
                                      1.0, 2.0, mission_id=mission.id))

    try:
        threads = [threading.Thread(target=work, args=(store,)) for store in stores]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        db = stores[0]
        for store in stores:
            mine = db.findings(station=store.station)
            assert len(mine) == 20
            missions = db._db.execute("SELECT id, name FROM missions WHERE station = ?",
                                      (store.station,))
            assert missions == [(mine[0].mission_id, store.station)]
            assert {f.mission_id for f in mine} == {missions[0][0]}
    finally:
        for store in stores:
            store.close()
