"""PostGIS when the server has it: geometry columns, GiST indexes, spatial SQL.

Why optional and derived: SQLite (the station's default) and a plain PostgreSQL have
no spatial types, and the store must work on them as before. So the latitude and
longitude columns stay the truth on every backend; with PostGIS each spatial table
also gets ``geom``, a WGS84 (SRID 4326) point the database computes from them (a
stored generated column, so no writer, sync included, can leave it stale), indexed
with GiST. Zones keep their polygon as WKB on every backend; with PostGIS their
``geom`` is a MultiPolygon generated from it the same way. The queries here filter
with that index and then apply the very test the plain path applies in Python, so
every backend gives the same answer.
"""

from __future__ import annotations

import shapely

from dronewatch.geo.metric import metres_per_degree
from dronewatch.store.backends import Backend

__all__ = ["SPATIAL_TABLES", "add_geometry", "box_clauses", "near_clauses", "near_radii_deg",
           "within_clauses"]

SPATIAL_TABLES = ("findings", "track_points", "cases")
_POINT = "ST_SetSRID(ST_MakePoint(lon_deg, lat_deg), 4326)"
_GEOMETRY = {**{table: ("Point", _POINT) for table in SPATIAL_TABLES},
             "zones": ("MultiPolygon", "ST_Multi(ST_GeomFromWKB(polygon_wkb, 4326))")}


def add_geometry(db: Backend) -> None:
    """Give each spatial table (and the zones) its ``geom`` column and GiST index, once."""
    for table, (kind, expression) in _GEOMETRY.items():
        if not db.execute("SELECT 1 FROM information_schema.columns WHERE table_schema = "
                          "current_schema() AND table_name = ? AND column_name = 'geom'",
                          (table,)):
            db.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS geom "
                       f"geometry({kind}, 4326) GENERATED ALWAYS AS ({expression}) STORED")
        db.execute(f"CREATE INDEX IF NOT EXISTS {table}_geom ON {table} USING GIST (geom)")


def within_clauses(polygon_wgs84: shapely.Geometry) -> tuple[list[str], list[object]]:
    """SQL conditions (and their arguments) for a finding inside or on a zone polygon."""
    return ["ST_Covers(ST_GeomFromWKB(?, 4326), geom)"], [shapely.to_wkb(polygon_wgs84)]


def box_clauses(west: float, south: float, east: float, north: float, *,
                spatial: bool) -> tuple[list[str], list[object]]:
    """SQL conditions for a point in a box, edges included. With PostGIS (``spatial``)
    the GiST index's test comes first; it compares boxes rounded outward to single
    precision, so it may let a point just outside through: the exact test follows."""
    exact = ["lon_deg BETWEEN ? AND ? AND lat_deg BETWEEN ? AND ?"], [west, east, south, north]
    if not spatial:
        return exact
    return (["geom && ST_MakeEnvelope(?, ?, ?, ?, 4326)", *exact[0]],
            [west, south, east, north, *exact[1]])


def near_radii_deg(lat_deg: float, radius_m: float) -> tuple[float, float]:
    """``radius_m`` as degrees of latitude and of longitude at ``lat_deg``."""
    north_m, east_m = metres_per_degree(lat_deg)
    return radius_m / north_m, radius_m / max(east_m, 1e-3)


def near_clauses(lat_deg: float, lon_deg: float,
                 radius_m: float) -> tuple[list[str], list[object]]:
    """SQL conditions for a point within ``radius_m`` of a place: the index's box, then
    the same local ellipse the plain path tests (the index's rounding cannot reach it)."""
    d_lat, d_lon = near_radii_deg(lat_deg, radius_m)
    return (["geom && ST_MakeEnvelope(?, ?, ?, ?, 4326)",
             "((lat_deg - ?) / ?) * ((lat_deg - ?) / ?) + "
             "((lon_deg - ?) / ?) * ((lon_deg - ?) / ?) <= 1"],
            [lon_deg - d_lon, lat_deg - d_lat, lon_deg + d_lon, lat_deg + d_lat,
             lat_deg, d_lat, lat_deg, d_lat, lon_deg, d_lon, lon_deg, d_lon])
