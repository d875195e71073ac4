"""The counts and places the analysis and the weekly report read, straight from SQL.

Why plain aggregates here: the report's numbers must be the store's, computed where
the data is (SQLite or PostgreSQL alike), not re-derived from objects in memory; and
a year of 50,000 findings read as (lat, lon, time) rows costs a fraction of building
50,000 ``Finding`` values.
"""

from __future__ import annotations

from dataclasses import dataclass

import shapely

from dronewatch.store.cases import CaseStatus
from dronewatch.store.spatial import box_clauses, near_radii_deg
from dronewatch.store.sqlstore import Store
from dronewatch.store.zonestore import Region, region_clauses

__all__ = ["Place", "WeekTally", "last_flown_near", "places", "week_tally"]


@dataclass(frozen=True, slots=True)
class Place:
    lat_deg: float
    lon_deg: float
    time_unix_s: float
    source: str  # "finding:hotspot", "case:intrusion", ...


@dataclass(frozen=True, slots=True)
class WeekTally:
    """The summary row of a week (``since`` inclusive, ``until`` exclusive)."""

    flights: int
    flight_hours: float
    area_covered_km2: float  # ground the flights' cameras saw in their plans, summed
    persons_found: int
    hotspots_found: int
    hazards_found: int  # hazard cases opened
    hazards_rectified: int
    hazards_verified: int
    hazards_overdue: int  # at the end of the week
    leads: int  # cases reported without a finding
    warnings: int


def places(store: Store, since_unix_s: float, until_unix_s: float, *,
           region: Region | None = None) -> list[Place]:
    """Findings first seen in the window, and cases reported in it that no finding
    stands for (a finding with a case counts once), each by id.

    ``region`` (a stored zone's id, or a Polygon/MultiPolygon in lon/lat) keeps the
    places in or on it: with PostGIS tested in the database through the spatial index,
    else narrowed to its box in SQL and tested with shapely (the same answer).

    Raises
    ------
    StoreError
        ``region`` names no stored zone, or is not an area.
    """
    where: list[str] = []
    args: list[object] = []
    polygon = None
    if region is not None:
        where, args, polygon = region_clauses(store, region)
    within = "".join(f" AND {clause}" for clause in where)
    db = store._db
    rows = db.execute("SELECT lat_deg, lon_deg, first_seen_unix_s, kind FROM findings "
                      f"WHERE first_seen_unix_s >= ? AND first_seen_unix_s < ?{within} "
                      "ORDER BY id", (since_unix_s, until_unix_s, *args))
    found = [Place(lat, lon, t, f"finding:{kind}") for lat, lon, t, kind in rows]
    rows = db.execute("SELECT lat_deg, lon_deg, reported_unix_s, kind FROM cases WHERE "
                      "finding_id IS NULL AND reported_unix_s >= ? AND reported_unix_s < ?"
                      f"{within} ORDER BY id", (since_unix_s, until_unix_s, *args))
    found += [Place(lat, lon, t, f"case:{kind}") for lat, lon, t, kind in rows]
    if polygon is None:
        return found
    return [p for p in found if polygon.covers(shapely.Point(p.lon_deg, p.lat_deg))]


def last_flown_near(store: Store, lat_deg: float, lon_deg: float,
                    radius_m: float) -> float | None:
    """When a flight's track last passed within ``radius_m`` (a box) of a place (with
    PostGIS, found through the tracks' spatial index)."""
    d_lat, d_lon = near_radii_deg(lat_deg, radius_m)
    where, args = box_clauses(lon_deg - d_lon, lat_deg - d_lat, lon_deg + d_lon,
                              lat_deg + d_lat, spatial=store.spatial)
    value = store._db.execute("SELECT MAX(time_unix_s) FROM track_points WHERE "
                              + " AND ".join(where), args)[0][0]
    return None if value is None else float(value)


def _one(store: Store, sql: str, args: tuple) -> float:
    value = store._db.execute(sql, args)[0][0]
    return float(value or 0)


def week_tally(store: Store, since_unix_s: float, until_unix_s: float,
               hazard_kinds: tuple[str, ...]) -> WeekTally:
    """Counts for the window; "hazards" are cases of ``hazard_kinds``."""
    w = (since_unix_s, until_unix_s)
    kinds = ", ".join("?" * len(hazard_kinds))

    def events(action: CaseStatus) -> int:
        return int(_one(store, "SELECT COUNT(DISTINCT e.case_id) FROM case_events e JOIN cases c "
                        f"ON c.id = e.case_id WHERE c.kind IN ({kinds}) AND e.status_after = ? "
                        "AND e.status_before <> e.status_after AND e.time_unix_s >= ? "
                        "AND e.time_unix_s < ?", (*hazard_kinds, action.value, *w)))

    return WeekTally(
        flights=int(_one(store, "SELECT COUNT(*) FROM flights WHERE started_unix_s >= ? AND "
                     "started_unix_s < ?", w)),
        flight_hours=_one(store, "SELECT SUM(ended_unix_s - started_unix_s) FROM flights "
                          "WHERE started_unix_s >= ? AND started_unix_s < ? AND "
                          "ended_unix_s IS NOT NULL", w) / 3600.0,
        area_covered_km2=_one(store, "SELECT SUM(covered_m2) FROM flights WHERE "
                              "started_unix_s >= ? AND started_unix_s < ?", w) / 1e6,
        persons_found=int(_one(store, "SELECT COUNT(*) FROM findings WHERE kind = 'person' "
                          "AND status = 'alarm' AND first_seen_unix_s >= ? AND "
                          "first_seen_unix_s < ?", w)),
        hotspots_found=int(_one(store, "SELECT COUNT(*) FROM findings WHERE kind = 'hotspot' "
                           "AND first_seen_unix_s >= ? AND first_seen_unix_s < ?", w)),
        hazards_found=int(_one(store, f"SELECT COUNT(*) FROM cases WHERE kind IN ({kinds}) "
                          "AND created_unix_s >= ? AND created_unix_s < ?", (*hazard_kinds, *w))),
        hazards_rectified=events(CaseStatus.RECTIFIED),
        hazards_verified=events(CaseStatus.VERIFIED),
        hazards_overdue=int(_one(store, f"SELECT COUNT(*) FROM cases WHERE kind IN ({kinds}) "
                            "AND status IN ('open', 'assigned') AND due_unix_s < ?",
                            (*hazard_kinds, until_unix_s))),
        leads=int(_one(store, "SELECT COUNT(*) FROM cases WHERE finding_id IS NULL AND "
                       "reported_unix_s >= ? AND reported_unix_s < ?", w)),
        warnings=int(_one(store, "SELECT COUNT(*) FROM warnings WHERE published_unix_s >= ? "
                          "AND published_unix_s < ?", w)))
