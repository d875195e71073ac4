"""Zones in the store: stored once per station, synced up, and the "inside this zone"
queries (findings, the clustering input) answering alike on SQLite, PostgreSQL and PostGIS.

The expected answers are worked out here with shapely on the zone file's own geometry,
not read back from the store.
"""

from __future__ import annotations

import json
import math
import random

import pytest
import shapely
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from dronewatch.cli import app
from dronewatch.store import Finding, FindingKind, MissionKind, Store, StoreError
from dronewatch.store.cases import CaseKind, CaseSource, NewCase, add_case
from dronewatch.store.sync import sync_store
from dronewatch.store.tallies import places
from dronewatch.store.zonestore import findings_in_zone, store_zones, stored_zones
from dronewatch.zones import Zone, ZoneKind, ZoneSet, parse_zones

# A concave patrol area (an L) with a square hole, inside a rectangular operating area.
L_SHAPE = [(88.60, 44.70), (88.64, 44.70), (88.64, 44.72), (88.62, 44.72), (88.62, 44.74),
           (88.60, 44.74), (88.60, 44.70)]
HOLE = [(88.605, 44.705), (88.61, 44.705), (88.61, 44.71), (88.605, 44.71), (88.605, 44.705)]
ON_EDGE = [(44.70, 88.63), (44.73, 88.62), (44.72, 88.63), (44.74, 88.61),  # (lat, lon)
           (44.7075, 88.605), (44.71, 88.6075)]  # the last two on the hole's edges
JUST_OUTSIDE = [(44.70 - 1e-9, 88.63), (44.73, 88.62 + 1e-9), (44.72 + 1e-9, 88.63),
                (44.7075, 88.605 + 1e-9)]  # the last inside the hole


def feature(zone_id: str, kind: str, geometry: dict, **props: object) -> dict:
    return {"type": "Feature", "id": zone_id, "geometry": geometry,
            "properties": {"id": zone_id, "name": zone_id.title(), "kind": kind, **props}}


def zone_set(patrol_rings: list[list[tuple[float, float]]] | None = None) -> ZoneSet:
    rings = patrol_rings or [L_SHAPE, HOLE]
    return parse_zones(json.loads(json.dumps({"type": "FeatureCollection", "features": [
        feature("op-area", "operating_area", {"type": "Polygon", "coordinates": [
            [(88.55, 44.65), (88.70, 44.65), (88.70, 44.80), (88.55, 44.80), (88.55, 44.65)]]},
            max_alt_agl_m=120.0),
        feature("pa-l", "patrol_area", {"type": "Polygon", "coordinates": rings},
                patrol_priority=2, min_alt_agl_m=40.0, max_alt_agl_m=100.0),
        feature("nfz-depot", "no_fly", {"type": "Polygon", "coordinates": [
            [(88.66, 44.76), (88.68, 44.76), (88.68, 44.78), (88.66, 44.76)]]},
            reason="explosives"),
        feature("launch", "launch_site", {"type": "Point", "coordinates": [88.58, 44.68]},
                home_alt_amsl_m=900.0, heading_deg=0.0),
    ]})), source="test-zones.geojson")


def planted(rng: random.Random, mission_id: int | None = None) -> list[Finding]:
    spots = [(rng.uniform(44.69, 44.75), rng.uniform(88.59, 88.65)) for _ in range(250)]
    spots += [(lat, lon) for lon, lat in L_SHAPE + HOLE] + ON_EDGE + JUST_OUTSIDE
    kinds = list(FindingKind)
    return [Finding(kinds[i % len(kinds)], lat, lon, 3.0, 0.5, 1000.0 + i, 2000.0 + i,
                    mission_id=mission_id) for i, (lat, lon) in enumerate(spots)]


def covered(geometry: shapely.Geometry, items: list) -> list:
    return [x for x in items if geometry.covers(shapely.Point(x.lon_deg, x.lat_deg))]


def zone_id(store: Store, ref: str) -> int:
    return next(z.id for z in stored_zones(store, station=store.station) if z.ref == ref)


def test_findings_in_a_stored_zone_are_the_same_on_every_backend(store_where):
    zones = zone_set()
    patrol = zones.get("pa-l").geometry
    with Store(store_where, station="ulaan-1") as store:
        store.add_findings(planted(random.Random(19)))
        store_zones(store, zones)
        stored = store.findings()
        inside = covered(patrol, stored)
        assert 50 < len(inside) < len(stored) - 50
        got = findings_in_zone(store, zone_id(store, "pa-l"))
        assert [f.id for f in got] == [f.id for f in inside]
        places_in = {(f.lat_deg, f.lon_deg) for f in got}
        assert set(ON_EDGE) <= places_in
        assert not set(JUST_OUTSIDE) & places_in
        persons = [f.id for f in inside if f.kind is FindingKind.PERSON]
        assert [f.id for f in findings_in_zone(store, zone_id(store, "pa-l"),
                                               kind=FindingKind.PERSON)] == persons
        assert findings_in_zone(store, zone_id(store, "pa-l"), since_unix_s=1e12) == []
        assert findings_in_zone(store, zone_id(store, "nfz-depot")) == []


def test_a_zone_id_the_store_does_not_hold_is_named_in_the_error(store_where):
    with Store(store_where, station="ulaan-1") as store:
        store_zones(store, zone_set())
        with pytest.raises(StoreError, match=r"no stored zone has id 999 \(stored zone ids: "
                                             r"\d+, \d+, \d+\)"):
            findings_in_zone(store, 999)
        with pytest.raises(StoreError, match=r"no stored zone has id 999"):
            places(store, 0.0, 1e12, region=999)
        with pytest.raises(StoreError, match=r"zone id 'pa-l' is not a stored zone's id"):
            findings_in_zone(store, "pa-l")  # type: ignore[arg-type]


def test_storing_the_same_zones_again_adds_nothing_and_a_redrawn_zone_replaces_its_own(
        store_where):
    with Store(store_where, station="ulaan-1") as store:
        first = store_zones(store, zone_set())
        assert sorted(first.added) == ["nfz-depot", "op-area", "pa-l"]
        assert first.skipped == ("launch",)
        before = stored_zones(store)
        again = store_zones(store, zone_set())
        assert (again.added, again.changed) == ((), ())
        assert sorted(again.unchanged) == ["nfz-depot", "op-area", "pa-l"]
        assert stored_zones(store) == before
        redrawn = zone_set([L_SHAPE])  # the hole filled in
        changed = store_zones(store, redrawn)
        assert (changed.added, changed.changed) == ((), ("pa-l",))
        after = {z.ref: z for z in stored_zones(store)}
        old = {z.ref: z for z in before}
        assert len(after) == 3 and after["pa-l"].id == old["pa-l"].id
        assert after["pa-l"].polygon_wgs84.equals(redrawn.get("pa-l").geometry)
        assert after["pa-l"].kind is ZoneKind.PATROL_AREA
        assert after["pa-l"].updated_unix_s > old["pa-l"].updated_unix_s
        assert after["op-area"] == old["op-area"]
        store.add_findings(planted(random.Random(3)))
        in_hole = [f for f in findings_in_zone(store, after["pa-l"].id)
                   if shapely.Polygon(HOLE).contains(shapely.Point(f.lon_deg, f.lat_deg))]
        assert in_hole  # the answers follow the polygon now stored
    with Store(store_where, station="altai-2") as other:
        assert len(store_zones(other, zone_set()).added) == 3  # each station its own zones
        assert len(stored_zones(other)) == 6
        assert len(stored_zones(other, station="altai-2")) == 3


def test_zones_synced_twice_reach_the_region_once_and_answer_the_same(tmp_path, store_where):
    with Store(tmp_path / "ulaan.sqlite", station="ulaan-1") as station, \
            Store(store_where, station="region") as region:
        mission = station.add_mission(MissionKind.PATROL, "p", launched_by="o", reason="r")
        station.add_findings(planted(random.Random(5), mission.id))
        store_zones(station, zone_set())
        first = sync_store(station, region)
        assert {t.table: t.new for t in first.tables}["zones"] == 3
        again = sync_store(station, region)
        assert again.new == 0
        held = stored_zones(region, station="ulaan-1")
        assert [(z.ref, z.name, z.kind, z.polygon_wgs84.wkb) for z in held] == [
            (z.ref, z.name, z.kind, z.polygon_wgs84.wkb) for z in stored_zones(station)]
        here = findings_in_zone(station, zone_id(station, "pa-l"))
        there = findings_in_zone(region, held[1].id, station="ulaan-1")
        assert held[1].ref == "pa-l"
        assert [(f.kind, f.lat_deg, f.lon_deg) for f in there] == [
            (f.kind, f.lat_deg, f.lon_deg) for f in here]
        store_zones(station, zone_set([L_SHAPE]))  # redrawn at the station
        third = sync_store(station, region)
        assert third.new == 0
        assert stored_zones(region, station="ulaan-1")[1].polygon_wgs84.equals(
            shapely.Polygon(L_SHAPE))


def test_zones_stored_at_the_region_for_a_station_are_taken_over_by_its_sync(tmp_path,
                                                                             store_where):
    with Store(store_where, station="ulaan-1") as region:
        store_zones(region, zone_set([L_SHAPE]))
    with Store(tmp_path / "ulaan.sqlite", station="ulaan-1") as station, \
            Store(store_where, station="region") as region:
        store_zones(station, zone_set())
        sync_store(station, region)
        assert sync_store(station, region).new == 0
        held = stored_zones(region)
        assert len(held) == 3
        assert held[1].polygon_wgs84.equals(zone_set().get("pa-l").geometry)


def test_places_in_a_region_are_the_unfiltered_places_it_covers(store_where):
    zones = zone_set()
    patrol = zones.get("pa-l").geometry
    rng = random.Random(7)
    with Store(store_where, station="ulaan-1") as store:
        store.add_findings(planted(rng))
        found = store.findings()
        for i, (lat, lon) in enumerate(ON_EDGE + JUST_OUTSIDE +
                                       [(rng.uniform(44.69, 44.75), rng.uniform(88.59, 88.65))
                                        for _ in range(40)]):
            add_case(store, NewCase(CaseKind.COAL_SELF_IGNITION, CaseSource.PHONE, lat, lon,
                                    1500.0 + i, "duty"))
        add_case(store, NewCase(CaseKind.COAL_SELF_IGNITION, CaseSource.DRONE, found[0].lat_deg,
                                found[0].lon_deg, 1500.0, "duty", finding_id=found[0].id))
        store_zones(store, zones)
        everything = places(store, 0.0, 1e12)
        expected = covered(patrol, everything)
        assert any(p.source.startswith("case:") for p in expected)
        assert 50 < len(expected) < len(everything) - 50
        assert places(store, 0.0, 1e12, region=zone_id(store, "pa-l")) == expected
        assert places(store, 0.0, 1e12, region=patrol) == expected
        window = places(store, 1100.0, 1200.0)
        assert places(store, 1100.0, 1200.0, region=patrol) == covered(patrol, window)
        with pytest.raises(StoreError, match=r"region: a Point has no area"):
            places(store, 0.0, 1e12, region=shapely.Point(88.6, 44.7))


def test_with_postgis_zones_have_indexed_wgs84_multipolygons(store_where):
    with Store(store_where, station="ulaan-1") as store:
        if not store.spatial:
            pytest.skip("needs PostGIS")
        store_zones(store, zone_set())
        db = store._db
        assert db.execute("SELECT type, srid FROM geometry_columns WHERE f_table_name = 'zones' "
                          "AND f_geometry_column = 'geom'") == [("MULTIPOLYGON", 4326)]
        assert db.execute("SELECT ST_Equals(geom, ST_Multi(ST_GeomFromText(?, 4326))) FROM zones "
                          "WHERE zone_ref = 'pa-l'", (shapely.Polygon(L_SHAPE, [HOLE]).wkt,)
                          ) == [(True,)]
        index = db.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'zones_geom'")
        assert "USING gist (geom)" in index[0][0]
        db.execute("SET enable_seqscan = off")  # too few rows to choose it by cost
        plan = db.execute("EXPLAIN SELECT id FROM findings WHERE "
                          "ST_Covers((SELECT geom FROM zones WHERE id = ?), geom)",
                          (zone_id(store, "pa-l"),))
        assert "findings_geom" in " ".join(row[0] for row in plan)


def test_store_zones_on_the_command_line_is_safe_to_repeat(tmp_path, store_where):
    path = tmp_path / "zones.geojson"
    zones = zone_set()
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        feature(z.id, z.kind.value, shapely.geometry.mapping(z.geometry),
                **{k: v for k, v in z.properties.items() if k not in ("id", "name", "kind")})
        for z in zones]}))
    args = ["store", "zones", "--zones", str(path), "--store", str(store_where),
            "--station", "ulaan-1", "--json"]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert sorted(json.loads(first.output)["added"]) == ["nfz-depot", "op-area", "pa-l"]
    again = CliRunner().invoke(app, args)
    assert json.loads(again.output)["added"] == []
    with Store(store_where, station="ulaan-1") as store:
        assert len(stored_zones(store)) == 3


CENTRE = (88.62, 44.72)  # (lon, lat)


@st.composite
def star_polygons(draw: st.DrawFn) -> shapely.Polygon:
    """A simple (often concave) polygon: vertices at rising angles round a centre."""
    count = draw(st.integers(3, 12))
    angles = sorted(draw(st.lists(st.floats(0, 6.28), min_size=count, max_size=count,
                                  unique=True)))
    radii = draw(st.lists(st.floats(1e-4, 0.03), min_size=count, max_size=count))
    polygon = shapely.Polygon([(CENTRE[0] + r * math.cos(a), CENTRE[1] + r * math.sin(a))
                               for a, r in zip(angles, radii, strict=True)])
    assume(polygon.is_valid and polygon.area > 1e-10)
    return polygon


def test_a_zone_covers_in_sql_exactly_the_points_shapely_says(store_where):
    """Random points, the vertices, and points on (or a rounding off) the edges."""
    with Store(store_where, station="ulaan-1") as store:
        made = iter(range(10_000))

        @settings(max_examples=40, deadline=None,
                  suppress_health_check=[HealthCheck.filter_too_much])
        @given(polygon=star_polygons(), spread=st.lists(st.tuples(st.floats(0, 1),
                                                                   st.floats(0, 1)),
                                                         min_size=1, max_size=30),
               along=st.lists(st.floats(0, 1), max_size=30))
        def check(polygon: shapely.Polygon, spread: list[tuple[float, float]],
                  along: list[float]) -> None:
            n = next(made)
            west, south, east, north = polygon.bounds
            points = [(west + x * (east - west), south + y * (north - south)) for x, y in spread]
            points += list(polygon.exterior.coords)
            points += [polygon.exterior.interpolate(f, normalized=True).coords[0] for f in along]
            mission = store.add_mission(MissionKind.PATROL, f"p{n}", launched_by="o",
                                        reason="r")
            store.add_findings(Finding(FindingKind.HOTSPOT, lat, lon, 1.0, 0.5, 1.0, 2.0,
                                       mission_id=mission.id) for lon, lat in points)
            store_zones(store, [Zone(f"z{n}", f"zone {n}", ZoneKind.PATROL_AREA, polygon, {})])
            stored = store.findings(mission_id=mission.id)
            got = findings_in_zone(store, zone_id(store, f"z{n}"), mission_id=mission.id)
            assert [f.id for f in got] == [f.id for f in covered(polygon, stored)]

        check()
