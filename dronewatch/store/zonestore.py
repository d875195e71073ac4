"""The station's zones in the store, and the "inside this zone?" queries over them.

Why zones are stored at all: the zone file lives at the station, but a regional
database gathering many stations' findings can answer "what was found in the Hongsha
patrol area" only if the zones travel with the findings. Each zone is one row per
(station, its id in the zone file): storing the same file again changes nothing, a
redrawn zone gets its new polygon in the same row (its id, which queries and sync
name, stays), and a zone dropped from the file stays stored (sync never deletes).

Why WKB on every backend: SQLite and a plain PostgreSQL have no geometry type, so the
polygon's bytes are the truth everywhere; with PostGIS the database derives an indexed
``geom`` from them (:mod:`dronewatch.store.spatial`) and the containment test runs
there. A point on a zone's edge is inside (covers) on every backend alike.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NoReturn

import shapely

from dronewatch.store.backends import StoreError
from dronewatch.store.models import Finding
from dronewatch.store.spatial import box_clauses, within_clauses
from dronewatch.store.sqlstore import Store, _filters
from dronewatch.zones import Zone, ZoneKind

__all__ = ["Region", "StoredZone", "ZonesStored", "findings_in_zone", "region_clauses",
           "store_zones", "stored_zone", "stored_zones"]

Region = int | shapely.Geometry  # a stored zone's id, or a (Multi)Polygon in lon/lat
_AREAS = ("Polygon", "MultiPolygon")
_COLUMNS = "id, station, zone_ref, name, kind, polygon_wkb, created_unix_s, updated_unix_s"


@dataclass(frozen=True, slots=True)
class StoredZone:
    """A zone as the store holds it; ``ref`` is its id in the station's zone file."""

    id: int
    station: str
    ref: str
    name: str
    kind: ZoneKind
    polygon_wgs84: shapely.Geometry  # (lon, lat)
    created_unix_s: float
    updated_unix_s: float


@dataclass(frozen=True, slots=True)
class ZonesStored:
    """What storing a zone set did, by zone file id."""

    added: tuple[str, ...]
    changed: tuple[str, ...]
    unchanged: tuple[str, ...]
    skipped: tuple[str, ...]  # points (launch sites): no area, nothing is found inside one


def store_zones(store: Store, zones: Iterable[Zone]) -> ZonesStored:
    """Store the areas of a zone set for ``store.station``, in one transaction.

    A zone already stored with the same name, kind and polygon is left alone (its
    ``updated_unix_s`` too); one whose name, kind or polygon changed is replaced.

    Raises
    ------
    StoreError
        Two zones share a zone file id (a :class:`~dronewatch.zones.ZoneSet` never
        does); the message names the id.
    """
    wanted: dict[str, tuple[str, str, bytes]] = {}
    skipped = []
    for zone in zones:
        if zone.geometry.geom_type not in _AREAS:
            skipped.append(zone.id)
            continue
        if zone.id in wanted:
            raise StoreError(f"zone {zone.id!r}: given twice; a zone file id names one zone")
        wanted[zone.id] = (zone.name, ZoneKind(zone.kind).value, _wkb(zone.geometry))
    now = time.time()
    with store._write() as db:
        held = {ref: (name, kind, bytes(wkb)) for ref, name, kind, wkb in db.execute(
            "SELECT zone_ref, name, kind, polygon_wkb FROM zones WHERE station = ?",
            (store.station,))}
        added = [ref for ref in wanted if ref not in held]
        changed = [ref for ref in wanted if ref in held and held[ref] != wanted[ref]]
        db.executemany(
            "INSERT INTO zones (station, zone_ref, name, kind, polygon_wkb, created_unix_s, "
            "updated_unix_s) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (station, zone_ref) "
            "DO UPDATE SET name = excluded.name, kind = excluded.kind, "
            "polygon_wkb = excluded.polygon_wkb, updated_unix_s = excluded.updated_unix_s",
            [(store.station, ref, *wanted[ref], now, now) for ref in added + changed])
    unchanged = [ref for ref in wanted if ref not in added and ref not in changed]
    return ZonesStored(tuple(added), tuple(changed), tuple(unchanged), tuple(skipped))


def stored_zones(store: Store, *, station: str | None = None) -> list[StoredZone]:
    """Every stored zone (of one station when given), by id."""
    sql = f"SELECT {_COLUMNS} FROM zones"
    rows = (store._db.execute(sql + " WHERE station = ? ORDER BY id", (station,))
            if station is not None else store._db.execute(sql + " ORDER BY id"))
    return [_zone(row) for row in rows]


def stored_zone(store: Store, zone_id: int) -> StoredZone:
    """One stored zone by id.

    Raises
    ------
    StoreError
        ``zone_id`` is not an integer, or no zone has it; the message names it.
    """
    rows = store._db.execute(f"SELECT {_COLUMNS} FROM zones WHERE id = ?",
                             (_checked_id(store, zone_id),))
    if not rows:
        _missing(store, zone_id)
    return _zone(rows[0])


def findings_in_zone(store: Store, zone_id: int, **filters: object) -> list[Finding]:
    """Findings inside (or on the edge of) a stored zone, with the filters of
    :meth:`Store.findings`; with PostGIS, tested in the database against the zone's
    indexed ``geom``, else in Python with shapely (the same answer).

    Raises
    ------
    StoreError
        No zone has ``zone_id``.
    """
    where, args = _filters(store.spatial, **filters)  # type: ignore[arg-type]
    more, more_args, polygon = region_clauses(store, _checked_id(store, zone_id))
    found = store._findings_where(where + more, args + more_args)
    if polygon is None:
        return found
    return [f for f in found if polygon.covers(shapely.Point(f.lon_deg, f.lat_deg))]


def region_clauses(store: Store, region: Region) -> tuple[list[str], list[object],
                                                          shapely.Geometry | None]:
    """SQL conditions for a row's point (``lat_deg``, ``lon_deg``; ``geom`` with PostGIS)
    in or on ``region``, and the polygon each row must still be tested against in Python
    (None when the SQL test is already exact: with PostGIS).

    Why a pair: without PostGIS the database can only narrow to the region's box; the
    exact test is then shapely's, the same GEOS predicate PostGIS's ``ST_Covers`` is.

    Raises
    ------
    StoreError
        ``region`` is neither a stored zone's id nor a Polygon/MultiPolygon, or no zone
        has that id.
    """
    if isinstance(region, shapely.Geometry):
        if region.geom_type not in _AREAS:
            raise StoreError(f"region: a {region.geom_type} has no area; give a Polygon or "
                             "MultiPolygon (lon, lat) or a stored zone's id")
        if store.spatial:
            return (*within_clauses(region), None)
        polygon = region
    elif store.spatial:
        zone_id = _checked_id(store, region)
        if not store._db.execute("SELECT 1 FROM zones WHERE id = ?", (zone_id,)):
            _missing(store, zone_id)
        return ["ST_Covers((SELECT geom FROM zones WHERE id = ?), geom)"], [zone_id], None
    else:
        polygon = stored_zone(store, region).polygon_wgs84
    shapely.prepare(polygon)
    where, args = box_clauses(*polygon.bounds, spatial=False)
    return where, args, polygon


def _wkb(geometry: shapely.Geometry) -> bytes:
    """The same bytes for the same polygon on every machine (so "unchanged" is exact)."""
    return shapely.to_wkb(geometry, byte_order=1, output_dimension=2)


def _checked_id(store: Store, zone_id: object) -> int:
    if isinstance(zone_id, bool) or not isinstance(zone_id, int):
        raise StoreError(f"{store.where}: zone id {zone_id!r} is not a stored zone's id "
                         "(an integer; see stored_zones)")
    return zone_id


def _missing(store: Store, zone_id: int) -> NoReturn:
    known = [str(r[0]) for r in store._db.execute("SELECT id FROM zones ORDER BY id LIMIT 11")]
    listed = ", ".join(known[:10]) + (", ..." if len(known) > 10 else "") or "none"
    raise StoreError(f"{store.where}: no stored zone has id {zone_id} (stored zone ids: "
                     f"{listed})")


def _zone(row: tuple) -> StoredZone:
    zone_id, station, ref, name, kind, wkb, created, updated = row
    return StoredZone(int(zone_id), station, ref, name, ZoneKind(kind),
                      shapely.from_wkb(bytes(wkb)), created, updated)
