"""The store's schema, as numbered migrations.

Why migrations from the first version: a station's database outlives many releases;
each version's SQL is kept and applied in order on open, so an old file is brought up
to date instead of being refused or silently misread.
"""

from __future__ import annotations

__all__ = ["MIGRATIONS", "SCHEMA_VERSION"]

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (  # version 1
        """CREATE TABLE missions (
            id INTEGER PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL,
            launched_by TEXT NOT NULL, reason TEXT NOT NULL, created_unix_s REAL NOT NULL,
            plan_json TEXT NOT NULL DEFAULT '')""",
        """CREATE TABLE flights (
            id INTEGER PRIMARY KEY, mission_id INTEGER NOT NULL REFERENCES missions(id),
            vehicle TEXT NOT NULL, started_unix_s REAL NOT NULL, ended_unix_s REAL,
            outcome TEXT NOT NULL DEFAULT '')""",
        """CREATE TABLE track_points (
            flight_id INTEGER NOT NULL REFERENCES flights(id), time_unix_s REAL NOT NULL,
            lat_deg REAL NOT NULL, lon_deg REAL NOT NULL, alt_amsl_m REAL NOT NULL)""",
        """CREATE TABLE findings (
            id INTEGER PRIMARY KEY, mission_id INTEGER REFERENCES missions(id),
            kind TEXT NOT NULL, lat_deg REAL NOT NULL, lon_deg REAL NOT NULL,
            accuracy_m REAL NOT NULL, confidence REAL NOT NULL,
            first_seen_unix_s REAL NOT NULL, last_seen_unix_s REAL NOT NULL,
            evidence_count INTEGER NOT NULL, peak_temp_c REAL, area_m2 REAL,
            thumbnail_png BLOB)""",
        "CREATE INDEX findings_mission ON findings(mission_id)",
        "CREATE INDEX findings_place ON findings(lat_deg, lon_deg)",
        """CREATE TABLE patrol_runs (
            id INTEGER PRIMARY KEY, patrol TEXT NOT NULL, due_unix_s REAL NOT NULL,
            mission_id INTEGER REFERENCES missions(id), status TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '')""",
        """CREATE TABLE alerts (
            id INTEGER PRIMARY KEY, time_unix_s REAL NOT NULL, level TEXT NOT NULL,
            message TEXT NOT NULL, finding_id INTEGER REFERENCES findings(id))""",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)
