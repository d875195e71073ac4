"""A station's own store copied up to the regional database when the link comes back.

Why keyed by (station, the row's id in the station's store): ids of two stations'
stores overlap (both have finding #1), so the regional copy gets its own ids and keeps
``station`` and ``station_id`` beside them. Every row is an upsert on that key, so
syncing twice adds nothing, and a finding whose status changed at the station since
the last sync is updated, not copied again. References (a finding's mission, a case's
finding) are translated to the regional ids of the rows they name.

Why batches, each its own transaction, parents before children: a sync cut half-way
(the link drops again) leaves whole batches behind, never a row without the rows it
refers to; the next sync resumes. Rows only ever inserted (track points, alerts, case
events, warnings, reviews) resume after the last one copied; the rest are compared
again, which is how a change made at the station meanwhile reaches the region. The
station's store is read in one snapshot, so rows it writes during the sync wait for
the next one instead of arriving half.

Zones travel too, so the region can answer "found in which zone", keyed by the zone
file's id rather than the row id. Console accounts, sessions and log-ins stay at the
station: they are its own security records, and a password hash has no business
travelling.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from dronewatch.store.backends import Backend, StoreError, redact_url
from dronewatch.store.sqlstore import Store

__all__ = ["SyncReport", "TableCount", "sync_store"]


@dataclass(frozen=True, slots=True)
class _Table:
    """How one table is copied."""

    name: str
    columns: tuple[str, ...]
    refs: tuple[tuple[str, str], ...] = ()  # (column, table): ids translated to regional ids
    append_only: bool = False  # never updated at the station: resume after the last copied
    key: str = "id"  # the station's own row id (track points have only SQLite's rowid)
    # per-station text keys (journal and warning keys), made unique in the region by
    # "station/" before them
    per_station: tuple[str, ...] = ()
    # the column that, beside ``station``, names one row in the region: the station's
    # row id, or (zones) the zone file's id, so zones stored at the region under the
    # station's name before are taken over by the sync instead of clashing with it
    unique: str = "station_id"


_MISSION = (("mission_id", "missions"),)
_FINDING = (("finding_id", "findings"),)
TABLES = (
    _Table("missions", ("kind", "name", "launched_by", "reason", "created_unix_s",
                        "plan_json")),
    _Table("flights", ("mission_id", "vehicle", "started_unix_s", "ended_unix_s", "outcome",
                       "covered_m2"),
           _MISSION),
    _Table("track_points", ("flight_id", "time_unix_s", "lat_deg", "lon_deg", "alt_amsl_m"),
           (("flight_id", "flights"),), append_only=True, key="rowid"),
    _Table("findings", ("mission_id", "kind", "lat_deg", "lon_deg", "accuracy_m", "confidence",
                        "first_seen_unix_s", "last_seen_unix_s", "evidence_count",
                        "peak_temp_c", "area_m2", "thumbnail_png", "status", "journal_key"),
           _MISSION, per_station=("journal_key",)),
    _Table("patrol_runs", ("patrol", "due_unix_s", "mission_id", "status", "detail"), _MISSION),
    _Table("alerts", ("time_unix_s", "level", "message", "finding_id", "journal_key"), _FINDING,
           append_only=True, per_station=("journal_key",)),
    _Table("cases", ("kind", "status", "source", "finding_id", "lat_deg", "lon_deg",
                     "reported_unix_s", "description", "owner", "due_unix_s", "created_by",
                     "created_unix_s"), _FINDING),
    _Table("case_events", ("case_id", "time_unix_s", "actor", "action", "status_before",
                           "status_after", "note", "finding_id", "mission_id", "peak_temp_c",
                           "area_m2"),
           (("case_id", "cases"), *_FINDING, *_MISSION), append_only=True),
    _Table("warnings", ("published_unix_s", "kind", "text", "evidence", "lat_deg", "lon_deg",
                        "case_id", "dedupe_key"), (("case_id", "cases"),), append_only=True,
           per_station=("dedupe_key",)),
    _Table("finding_reviews", ("finding_id", "time_unix_s", "operator", "state", "note"),
           _FINDING, append_only=True),
    _Table("zones", ("zone_ref", "name", "kind", "polygon_wkb", "created_unix_s",
                     "updated_unix_s"), unique="zone_ref"),
)


@dataclass(frozen=True, slots=True)
class TableCount:
    """One table's part of a sync: rows the station holds, and how many were new here."""

    table: str
    rows: int
    new: int


@dataclass(frozen=True, slots=True)
class SyncReport:
    station: str
    tables: tuple[TableCount, ...]

    @property
    def new(self) -> int:
        return sum(t.new for t in self.tables)


def sync_store(source: Store, target: Store, *, batch_rows: int = 500,
               on_batch: Callable[[str, int], None] | None = None) -> SyncReport:
    """Copy ``source`` (a station's SQLite store) into ``target`` (the regional database).

    Rows are tagged with ``source.station``; untagged rows (written before stores tagged
    them) become that station's too. ``on_batch(table, rows)`` is told of every batch
    committed (progress for the operator).

    Raises
    ------
    StoreError
        The source is not a SQLite store, holds rows another station wrote, or the
        target failed mid-way (whole batches copied so far stay; sync again to resume).
    """
    if source.backend != "sqlite":
        raise StoreError(f"{source.where}: sync copies a station's SQLite store; this is "
                         f"{source.backend}")
    if batch_rows < 1:
        raise StoreError(f"batch_rows: {batch_rows} is not a positive number of rows")
    station = source.station
    counts = []
    try:
        with _snapshot(source._db) as rows_of:
            for table in TABLES:
                _check_station(source, table.name, station)
            _copy_owners(rows_of, target)
            for table in TABLES:
                counts.append(_copy(table, rows_of, target, station, batch_rows, on_batch))
    except StoreError:
        raise
    except Exception as exc:  # psycopg.Error, sqlite3.Error: the link or a server failed
        raise StoreError(f"sync of {source.where} to {target.where} stopped: "
                         f"{redact_url(str(exc).strip())}; what was copied is kept, sync "
                         "again to resume") from exc
    return SyncReport(station, tuple(counts))


@contextmanager
def _snapshot(db: Backend) -> Iterator[Callable[..., list[tuple]]]:
    """Reads of the station's store, all from one moment (a SQLite read transaction)."""
    db.execute("BEGIN")
    try:
        yield db.execute
    finally:
        db.execute("ROLLBACK")  # read only: nothing to keep


def _check_station(source: Store, table: str, station: str) -> None:
    other = source._db.execute(f"SELECT DISTINCT station FROM {table} "
                               "WHERE station NOT IN ('', ?) LIMIT 1", (station,))
    if other:
        raise StoreError(f"{source.where}: {table} holds rows of station {other[0][0]!r}, "
                         f"not {station!r}; sync it with --station {other[0][0]}")


def _copy_owners(rows_of: Callable[..., list[tuple]], target: Store) -> None:
    """Case owners are the district's companies and offices, one row per name."""
    owners = rows_of("SELECT name, added_unix_s FROM case_owners ORDER BY name")
    with target._write() as db:
        db.executemany("INSERT INTO case_owners (name, added_unix_s) VALUES (?, ?) "
                       "ON CONFLICT (name) DO NOTHING", owners)


def _copy(table: _Table, rows_of: Callable[..., list[tuple]], target: Store, station: str,
          batch_rows: int, on_batch: Callable[[str, int], None] | None) -> TableCount:
    """Upsert every row of ``table`` (after the last copied, when append-only)."""
    name = table.name
    before = _count(target, name, station)
    after_key = -1
    if table.append_only:
        after_key = int(target._db.execute(f"SELECT max(station_id) FROM {name} "
                                           "WHERE station = ?", (station,))[0][0] or -1)
    columns = ", ".join(table.columns)
    select = (f"SELECT {table.key}, {columns} FROM {name} "
              f"WHERE {table.key} > ? ORDER BY {table.key} LIMIT ?")
    insert = _upsert_sql(table)
    total = int(rows_of(f"SELECT count(*) FROM {name}")[0][0])
    while batch := rows_of(select, (after_key, batch_rows)):
        with target._write() as db:
            rows = _regional_rows(db, table, station, batch)
            db.executemany(insert, rows)
        after_key = batch[-1][0]
        if on_batch is not None:
            on_batch(name, len(batch))
    return TableCount(name, total, _count(target, name, station) - before)


def _upsert_sql(table: _Table) -> str:
    columns = ", ".join(table.columns)
    marks = ", ".join("?" * (len(table.columns) + 2))
    sql = (f"INSERT INTO {table.name} (station, station_id, {columns}) VALUES ({marks}) "
           f"ON CONFLICT (station, {table.unique}) DO ")
    if table.append_only:
        return sql + "NOTHING"
    updated = ("station_id", *table.columns) if table.unique != "station_id" else table.columns
    changed = " OR ".join(f"{table.name}.{c} IS DISTINCT FROM excluded.{c}" for c in updated)
    return sql + (f"UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in updated)} "
                  f"WHERE {changed}")


def _regional_rows(db: Backend, table: _Table, station: str,
                   batch: Sequence[tuple]) -> list[tuple]:
    """The batch as regional rows: tagged, references translated, keys made per-station."""
    index = {column: i + 1 for i, column in enumerate(table.columns)}
    maps = {column: _regional_ids(db, ref, station, {r[index[column]] for r in batch})
            for column, ref in table.refs}
    rows = []
    for row in batch:
        values: list[Any] = list(row[1:])
        for column, ids in maps.items():
            local = row[index[column]]
            if local is not None:
                if local not in ids:
                    raise StoreError(f"{table.name} #{row[0]} of station {station!r} refers to "
                                     f"{column} {local}, which the region does not hold")
                values[index[column] - 1] = ids[local]
        for column in table.per_station:
            if values[index[column] - 1] is not None:
                values[index[column] - 1] = f"{station}/{values[index[column] - 1]}"
        rows.append((station, row[0], *values))
    return rows


def _regional_ids(db: Backend, table: str, station: str, local: set[Any]) -> dict[int, int]:
    wanted = sorted(i for i in local if i is not None)
    if not wanted:
        return {}
    marks = ", ".join("?" * len(wanted))
    return {int(s): int(r) for s, r in db.execute(
        f"SELECT station_id, id FROM {table} WHERE station = ? "
        f"AND station_id IN ({marks})", (station, *wanted))}


def _count(target: Store, table: str, station: str) -> int:
    return int(target._db.execute(f"SELECT count(*) FROM {table} "
                                  "WHERE station = ? AND station_id IS NOT NULL",
                                  (station,))[0][0])

