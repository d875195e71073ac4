"""The spatial queries give the same answers on SQLite, PostgreSQL and PostGIS; with
PostGIS, findings, tracks and cases carry indexed WGS84 geometry."""

from __future__ import annotations

import random

import shapely

from dronewatch.store import Finding, FindingKind, MissionKind, Store
from dronewatch.store.cases import CaseKind, CaseSource, NewCase, add_case
from dronewatch.store.spatial import SPATIAL_TABLES, near_radii_deg
from dronewatch.store.tallies import last_flown_near
from tests.store.conftest import POSTGIS_URL

# A concave zone (an L), some of whose findings lie exactly on its edges and corners.
ZONE = shapely.Polygon([(88.60, 44.70), (88.64, 44.70), (88.64, 44.72), (88.62, 44.72),
                        (88.62, 44.74), (88.60, 44.74)])


def planted(rng: random.Random) -> list[Finding]:
    places = [(rng.uniform(44.69, 44.75), rng.uniform(88.59, 88.65)) for _ in range(300)]
    places += [(lat, lon) for lon, lat in ZONE.exterior.coords]  # the corners
    places += [(44.70, 88.63), (44.73, 88.62), (44.72, 88.63)]  # on edges
    places += [(44.7203 + rng.gauss(0, 2e-4), 88.6304 + rng.gauss(0, 2e-4)) for _ in range(60)]
    kinds = list(FindingKind)
    return [Finding(kinds[i % len(kinds)], lat, lon, 3.0, 0.5, 1000.0 + i, 2000.0 + i,
                    peak_temp_c=40.0 + i) for i, (lat, lon) in enumerate(places)]


def near(findings: list[Finding], lat: float, lon: float, radius_m: float) -> list[int]:
    """The hotspots on the local ellipse around the place, worked out here by hand."""
    d_lat, d_lon = near_radii_deg(lat, radius_m)
    return [f.id for f in findings if f.kind is FindingKind.HOTSPOT
            and ((f.lat_deg - lat) / d_lat) ** 2 + ((f.lon_deg - lon) / d_lon) ** 2 <= 1]


def test_the_spatial_queries_give_the_same_answers_on_every_backend(store_where):
    with Store(store_where, station="ulaan-1") as store:
        for finding in planted(random.Random(19)):
            store.add_finding(finding)
        stored = store.findings()
        inside = [f.id for f in stored if ZONE.covers(shapely.Point(f.lon_deg, f.lat_deg))]
        assert len(inside) > 100
        assert [f.id for f in store.findings_in(ZONE)] == inside
        persons = [f.id for f in stored if f.id in inside and f.kind is FindingKind.PERSON]
        assert [f.id for f in store.findings_in(ZONE, kind=FindingKind.PERSON)] == persons
        assert store.findings_in(ZONE, since_unix_s=1e12) == []
        for radius_m in (5.0, 20.0, 30.0, 80.0):
            expected = near(stored, 44.7203, 88.6304, radius_m)
            assert [f.id for f in store.hotspots_near(44.7203, 88.6304, radius_m)] == expected
        assert len(near(stored, 44.7203, 88.6304, 30.0)) > 5
        history = store.hotspot_history(44.7203, 88.6304, 30.0)
        assert [f.last_seen_unix_s for f in history] == sorted(f.last_seen_unix_s
                                                               for f in history)


def test_the_last_flight_near_a_place_is_the_same_on_every_backend(store_where):
    lat, lon, radius_m = 44.7203, 88.6304, 40.0
    d_lat, d_lon = near_radii_deg(lat, radius_m)
    track = [(1.0, lat + d_lat, lon, 900.0), (2.0, lat, lon - d_lon, 900.0),  # on the edges
             (3.0, lat + d_lat * 1.000001, lon, 900.0), (4.0, lat, lon + d_lon * 1.000001, 900.0),
             (5.0, lat - d_lat * 2, lon, 900.0)]  # outside
    with Store(store_where, station="ulaan-1") as store:
        mission = store.add_mission(MissionKind.PATROL, "m", launched_by="o", reason="r")
        assert last_flown_near(store, lat, lon, radius_m) is None
        store.add_track(store.start_flight(mission.id, "uav-1").id, track)
        assert last_flown_near(store, lat, lon, radius_m) == 2.0
        assert last_flown_near(store, lat - d_lat * 2, lon, 1.0) == 5.0


def test_with_postgis_findings_tracks_and_cases_have_indexed_wgs84_points(store_where):
    with Store(store_where, station="ulaan-1") as store:
        assert store.spatial == (store_where == POSTGIS_URL != "")
        if not store.spatial:
            return
        mission = store.add_mission(MissionKind.SEARCH, "m", launched_by="o", reason="r")
        flight = store.start_flight(mission.id, "uav-1")
        store.add_track(flight.id, [(1.0, 44.71, 88.61, 900.0)])
        found = store.add_finding(Finding(FindingKind.HOTSPOT, 44.71, 88.61, 3.0, 0.5, 1.0, 2.0))
        add_case(store, NewCase(CaseKind.COAL_SELF_IGNITION, CaseSource.DRONE, 44.71, 88.61,
                                2.0, "o", finding_id=found.id))
        db = store._db
        for table in SPATIAL_TABLES:
            assert db.execute("SELECT type, srid FROM geometry_columns WHERE f_table_name = ? "
                              "AND f_geometry_column = 'geom'", (table,)) == [("POINT", 4326)]
            assert db.execute(f"SELECT ST_AsText(geom) FROM {table}") == [
                ("POINT(88.61 44.71)",)]
            index = db.execute("SELECT indexdef FROM pg_indexes WHERE indexname = ?",
                               (f"{table}_geom",))
            assert "USING gist (geom)" in index[0][0]
        db.execute("SET enable_seqscan = off")  # too few rows to choose it by cost
        plan = db.execute("EXPLAIN SELECT id FROM findings WHERE ST_Covers("
                          "ST_GeomFromText(?, 4326), geom)", (ZONE.wkt,))
        assert "findings_geom" in " ".join(row[0] for row in plan)
