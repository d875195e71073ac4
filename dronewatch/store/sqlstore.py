"""The store: missions, flights, tracks, findings, patrol runs and alerts, in SQL.

Why every write is its own committed transaction: a finding reported as stored must
survive the process being killed (or the power failing) the next instant. On SQLite
that is WAL with synchronous=FULL; on PostgreSQL, a commit. Readers never block the
writer. The SQL is shared; :mod:`dronewatch.store.backends` holds what differs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from os import PathLike
from types import TracebackType
from typing import Self

import shapely

from dronewatch.store.backends import Backend, StoreError, open_backend, redact_url
from dronewatch.store.models import (
    Alert,
    Finding,
    FindingKind,
    FindingStatus,
    Flight,
    Mission,
    MissionKind,
    PatrolRun,
    TrackPoint,
)
from dronewatch.store.schema import MIGRATIONS, SCHEMA_VERSION
from dronewatch.store.spatial import (
    add_geometry,
    box_clauses,
    near_clauses,
    near_radii_deg,
    within_clauses,
)

__all__ = ["Store"]

_FINDING_COLUMNS = ("mission_id, kind, lat_deg, lon_deg, accuracy_m, confidence, "
                    "first_seen_unix_s, last_seen_unix_s, evidence_count, peak_temp_c, "
                    "area_m2, thumbnail_png, status")


class Store:
    """The station's records, in a SQLite file (a path) or PostgreSQL (a URL).

    Parameters
    ----------
    where
        A file path or ``sqlite:///path`` for SQLite (the default, one file), or
        ``postgresql://user@host/db`` for PostgreSQL.
    station
        The station every row written here is tagged with (default: the ``station``
        setting), so one database can gather many stations' rows.

    ``spatial`` is True when the database has PostGIS: findings, tracks and cases then
    carry geometry columns and the spatial queries run in the database.
    """

    def __init__(self, where: str | PathLike[str], *, station: str | None = None) -> None:
        self._lock = threading.Lock()
        self.station = _station(station, where)
        try:
            self._db: Backend = open_backend(where)
        except StoreError:
            raise
        except Exception as exc:  # sqlite3.Error, psycopg.Error, OSError
            raise StoreError(f"{where}: cannot open the store: {exc}") from exc
        self.where = self._db.where
        try:
            self._migrate()
            self.spatial = self._db.postgis()
            if self.spatial:
                with self._write() as db:
                    db.lock_schema()
                    add_geometry(db)
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(f"{self.where}: cannot migrate the store: {exc}") from exc

    @property
    def backend(self) -> str:
        return self._db.name

    def _migrate(self) -> None:
        """Bring the schema up to date, one migration per transaction.

        Why the version is read under the write lock: two processes opening a new store
        at once would otherwise both migrate it, the second failing on the first's tables.
        """
        while True:
            with self._write() as db:
                db.lock_schema()
                version = db.schema_version()
                if version > SCHEMA_VERSION:
                    raise StoreError(f"{self.where}: schema version {version} is newer than"
                                     f" this dronewatch knows ({SCHEMA_VERSION}); upgrade it")
                if version == SCHEMA_VERSION:
                    return
                for statement in MIGRATIONS[version]:
                    db.execute(statement.format(**db.types))
                db.set_schema_version(version + 1)

    @contextmanager
    def _write(self) -> Iterator[Backend]:
        with self._lock, self._db.transaction():
            yield self._db

    def _insert(self, sql: str, args: tuple) -> int:
        with self._write() as db:
            return int(db.execute(sql + " RETURNING id", args)[0][0])

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return self._db.schema_version()

    # -- missions and flights ----------------------------------------------------------
    def add_mission(self, kind: MissionKind | str, name: str, *, launched_by: str,
                    reason: str, plan_json: str = "") -> Mission:
        """Record a mission before it flies.

        Raises
        ------
        ValueError
            ``kind`` is not a :class:`MissionKind`.
        """
        kind = MissionKind(kind)
        now = time.time()
        mission_id = self._insert("INSERT INTO missions (kind, name, launched_by, reason, "
                                  "created_unix_s, plan_json, station) VALUES "
                                  "(?, ?, ?, ?, ?, ?, ?)", (kind.value, name, launched_by,
                                                            reason, now, plan_json, self.station))
        return Mission(mission_id, kind, name, launched_by, reason, now, plan_json)

    def start_flight(self, mission_id: int, vehicle: str) -> Flight:
        now = time.time()
        flight_id = self._insert("INSERT INTO flights (mission_id, vehicle, started_unix_s, "
                                 "station) VALUES (?, ?, ?, ?)",
                                 (mission_id, vehicle, now, self.station))
        return Flight(flight_id, mission_id, vehicle, now)

    def end_flight(self, flight_id: int, outcome: str, *,
                   covered_m2: float | None = None) -> None:
        """Close a flight with its outcome and, when it flew a plan, the ground of the
        planned region its camera saw (m²)."""
        with self._write() as db:
            db.execute("UPDATE flights SET ended_unix_s = ?, outcome = ?, covered_m2 = "
                       "COALESCE(?, covered_m2) WHERE id = ?",
                       (time.time(), outcome, covered_m2, flight_id))

    def flights(self, mission_id: int | None = None) -> list[Flight]:
        sql = ("SELECT id, mission_id, vehicle, started_unix_s, ended_unix_s, outcome, "
               "covered_m2 FROM flights")
        rows = (self._db.execute(sql + " WHERE mission_id = ? ORDER BY id", (mission_id,))
                if mission_id is not None else self._db.execute(sql + " ORDER BY id"))
        return [Flight(*row) for row in rows]

    def open_flights(self) -> list[Flight]:
        """Flights started and never ended: their ground process died mid-flight."""
        return [Flight(*row) for row in self._db.execute(
            "SELECT id, mission_id, vehicle, started_unix_s, ended_unix_s, outcome, "
            "covered_m2 FROM flights WHERE ended_unix_s IS NULL ORDER BY id")]

    def close_open_flights(self, outcome: str = "interrupted") -> list[Flight]:
        """End every open flight with ``outcome``; the flights as they were found.

        Why at start-up: a flight row left open by a crash would otherwise look like a
        drone still in the air to every later report.
        """
        found = self.open_flights()
        for flight in found:
            self.end_flight(flight.id, outcome)
        return found

    def add_track(self, flight_id: int,
                  points: Iterable[tuple[float, float, float, float]]) -> None:
        """(time_unix_s, lat, lon, alt_amsl) points of the flown track."""
        with self._write() as db:
            db.executemany("INSERT INTO track_points (flight_id, time_unix_s, lat_deg, "
                           "lon_deg, alt_amsl_m, station) VALUES (?, ?, ?, ?, ?, ?)",
                           [(flight_id, *p, self.station) for p in points])

    def track(self, flight_id: int) -> list[TrackPoint]:
        """The flown track, oldest first."""
        return [TrackPoint(*r) for r in self._db.execute(
            "SELECT time_unix_s, lat_deg, lon_deg, alt_amsl_m FROM track_points "
            "WHERE flight_id = ? ORDER BY time_unix_s", (flight_id,))]

    # -- findings ------------------------------------------------------------------------
    def add_finding(self, finding: Finding, *, journal_key: str | None = None) -> Finding:
        """Store a new finding; it is on disk when this returns.

        ``journal_key`` marks a finding replayed from the journal (unique: see
        :meth:`finding_id_for`).
        """
        finding_id = self._insert(
            f"INSERT INTO findings ({_FINDING_COLUMNS}, journal_key, station) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (finding.mission_id, finding.kind.value, finding.lat_deg, finding.lon_deg,
             finding.accuracy_m, finding.confidence, finding.first_seen_unix_s,
             finding.last_seen_unix_s, finding.evidence_count, finding.peak_temp_c,
             finding.area_m2, finding.thumbnail_png, finding.status.value, journal_key,
             self.station))
        return replace(finding, id=finding_id)

    def add_findings(self, findings: Iterable[Finding]) -> None:
        """Store many findings in one transaction (an import, a simulated year)."""
        rows = [(f.mission_id, f.kind.value, f.lat_deg, f.lon_deg, f.accuracy_m, f.confidence,
                 f.first_seen_unix_s, f.last_seen_unix_s, f.evidence_count, f.peak_temp_c,
                 f.area_m2, f.thumbnail_png, f.status.value, self.station) for f in findings]
        with self._write() as db:
            db.executemany(f"INSERT INTO findings ({_FINDING_COLUMNS}, station) VALUES "
                           "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def finding_id_for(self, journal_key: str) -> int | None:
        """The finding a journal entry was already replayed into, if it was.

        Why: a replay run twice, or again after a crash half-way, must update what it
        stored the first time rather than store it again.
        """
        rows = self._db.execute("SELECT id FROM findings WHERE journal_key = ?", (journal_key,))
        return int(rows[0][0]) if rows else None

    def update_finding(self, finding: Finding) -> None:
        """Record more evidence for a stored finding (same id)."""
        if finding.id is None:
            raise StoreError("update_finding needs a stored finding (with an id)")
        with self._write() as db:
            db.execute(
                "UPDATE findings SET lat_deg=?, lon_deg=?, accuracy_m=?, confidence=?, "
                "last_seen_unix_s=?, evidence_count=?, peak_temp_c=?, area_m2=?, "
                "thumbnail_png=COALESCE(?, thumbnail_png), status=? WHERE id=?",
                (finding.lat_deg, finding.lon_deg, finding.accuracy_m, finding.confidence,
                 finding.last_seen_unix_s, finding.evidence_count, finding.peak_temp_c,
                 finding.area_m2, finding.thumbnail_png, finding.status.value, finding.id))

    def findings(self, *, mission_id: int | None = None, kind: FindingKind | None = None,
                 bbox: tuple[float, float, float, float] | None = None,
                 since_unix_s: float | None = None,
                 until_unix_s: float | None = None,
                 station: str | None = None) -> list[Finding]:
        """Findings by mission, kind, (west, south, east, north) box, time window and the
        station that wrote them (a regional database holds many)."""
        return self._findings_where(*_filters(self.spatial, mission_id, kind, bbox,
                                              since_unix_s, until_unix_s, station))

    def _findings_where(self, where: list[str], args: list[object]) -> list[Finding]:
        sql = f"SELECT id, {_FINDING_COLUMNS} FROM findings"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return [_finding(row) for row in self._db.execute(sql + " ORDER BY id", args)]

    def finding(self, finding_id: int) -> Finding | None:
        """One stored finding by id, or None."""
        rows = self._db.execute(f"SELECT id, {_FINDING_COLUMNS} FROM findings WHERE id = ?",
                                (finding_id,))
        return _finding(rows[0]) if rows else None

    def findings_in(self, polygon_wgs84: shapely.Geometry, **filters: object) -> list[Finding]:
        """Findings inside (or on the edge of) a zone polygon (lon/lat), with the same
        filters as :meth:`findings`; with PostGIS, tested in the database."""
        if self.spatial:
            where, args = _filters(self.spatial, **filters)  # type: ignore[arg-type]
            clauses, more = within_clauses(polygon_wgs84)
            return self._findings_where(where + clauses, args + more)
        shapely.prepare(polygon_wgs84)
        candidates = self.findings(bbox=polygon_wgs84.bounds, **filters)  # type: ignore[arg-type]
        return [f for f in candidates
                if polygon_wgs84.covers(shapely.Point(f.lon_deg, f.lat_deg))]

    def hotspot_history(self, lat_deg: float, lon_deg: float,
                        radius_m: float = 30.0) -> list[Finding]:
        """One hotspot across patrols: every hotspot finding within ``radius_m`` of the
        place, oldest sighting first (its peak °C, area and mission are on each)."""
        return sorted(self.hotspots_near(lat_deg, lon_deg, radius_m),
                      key=lambda f: (f.last_seen_unix_s, f.id))

    def hotspots_near(self, lat_deg: float, lon_deg: float, radius_m: float) -> list[Finding]:
        """Every hotspot finding within ``radius_m`` of a place (any mission), on the
        local ellipse of :func:`~dronewatch.store.spatial.near_radii_deg`; with PostGIS,
        found in the database through its index."""
        where, args = _filters(self.spatial, kind=FindingKind.HOTSPOT)
        if self.spatial:
            clauses, more = near_clauses(lat_deg, lon_deg, radius_m)
            return self._findings_where(where + clauses, args + more)
        d_lat, d_lon = near_radii_deg(lat_deg, radius_m)
        near = self.findings(kind=FindingKind.HOTSPOT,
                             bbox=(lon_deg - d_lon, lat_deg - d_lat, lon_deg + d_lon,
                                   lat_deg + d_lat))
        return [f for f in near
                if ((f.lat_deg - lat_deg) / d_lat) * ((f.lat_deg - lat_deg) / d_lat)
                + ((f.lon_deg - lon_deg) / d_lon) * ((f.lon_deg - lon_deg) / d_lon) <= 1]

    # -- patrols and alerts --------------------------------------------------------------
    def add_patrol_run(self, patrol: str, due_unix_s: float, status: str, *,
                       mission_id: int | None = None, detail: str = "") -> int:
        return self._insert("INSERT INTO patrol_runs (patrol, due_unix_s, mission_id, status,"
                            " detail, station) VALUES (?, ?, ?, ?, ?, ?)",
                            (patrol, due_unix_s, mission_id, status, detail, self.station))

    def update_patrol_run(self, run_id: int, status: str, *, mission_id: int | None = None,
                          detail: str = "") -> None:
        with self._write() as db:
            db.execute("UPDATE patrol_runs SET status = ?, detail = ?, "
                       "mission_id = COALESCE(?, mission_id) WHERE id = ?",
                       (status, detail, mission_id, run_id))

    def patrol_runs(self, patrol: str) -> list[PatrolRun]:
        """Every run of a patrol, by due time."""
        return [PatrolRun(*r) for r in self._db.execute(
            "SELECT id, due_unix_s, mission_id, status, detail FROM patrol_runs "
            "WHERE patrol = ? ORDER BY due_unix_s, id", (patrol,))]

    def add_alert(self, level: str, message: str, finding_id: int | None = None, *,
                  journal_key: str | None = None) -> int:
        return self._insert("INSERT INTO alerts (time_unix_s, level, message, finding_id, "
                            "journal_key, station) VALUES (?, ?, ?, ?, ?, ?)",
                            (time.time(), level, message, finding_id, journal_key,
                             self.station))

    def alert_id_for(self, journal_key: str) -> int | None:
        """The alert a journal entry was already replayed into, if it was."""
        rows = self._db.execute("SELECT id FROM alerts WHERE journal_key = ?", (journal_key,))
        return int(rows[0][0]) if rows else None

    def alerts(self) -> list[Alert]:
        """Every alert, oldest first."""
        return [Alert(*r) for r in self._db.execute(
            "SELECT id, time_unix_s, level, message, finding_id FROM alerts ORDER BY id")]


def _filters(spatial: bool, mission_id: int | None = None, kind: FindingKind | None = None,
             bbox: tuple[float, float, float, float] | None = None,
             since_unix_s: float | None = None,
             until_unix_s: float | None = None,
             station: str | None = None) -> tuple[list[str], list[object]]:
    """The SQL conditions (and their arguments) of :meth:`Store.findings`' filters
    (``spatial``: the box through the PostGIS index too)."""
    where: list[str] = []
    args: list[object] = []
    if mission_id is not None:
        where.append("mission_id = ?")
        args.append(mission_id)
    if kind is not None:
        where.append("kind = ?")
        args.append(FindingKind(kind).value)
    if bbox is not None:
        clauses, more = box_clauses(*bbox, spatial=spatial)
        where += clauses
        args += more
    if since_unix_s is not None:
        where.append("last_seen_unix_s >= ?")
        args.append(since_unix_s)
    if until_unix_s is not None:
        where.append("first_seen_unix_s <= ?")
        args.append(until_unix_s)
    if station is not None:
        where.append("station = ?")
        args.append(station)
    return where, args


def _station(station: str | None, where: object) -> str:
    """``station``, or the ``station`` setting when None.

    Raises
    ------
    StoreError
        The name is not a station name (the message names the store).
    """
    from dronewatch.config import check_station, load_settings  # settings read only if needed

    name = load_settings().station if station is None else station
    problem = check_station(name)
    if problem:
        raise StoreError(f"{redact_url(str(where))}: station: {problem}")
    return name


def _finding(row: tuple) -> Finding:
    (fid, mission_id, kind, lat, lon, accuracy, confidence, first, last, count, peak, area,
     thumb, status) = row
    return Finding(FindingKind(kind), lat, lon, accuracy, confidence, first, last, count, peak,
                   area, mission_id, bytes(thumb) if thumb is not None else None, fid,
                   FindingStatus(status))
