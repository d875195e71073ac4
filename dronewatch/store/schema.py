"""The store's schema, as numbered migrations.

Why migrations from the first version: a station's database outlives many releases;
each version's SQL is kept and applied in order on open, so an old file is brought up
to date instead of being refused or silently misread.
"""

from __future__ import annotations

__all__ = ["MIGRATIONS", "SCHEMA_VERSION"]

# {id}, {real} and {blob} are the backend's types (SQLite: INTEGER PRIMARY KEY, REAL,
# BLOB; PostgreSQL: an identity column, DOUBLE PRECISION, BYTEA).

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (  # version 1
        """CREATE TABLE missions (
            id {id}, kind TEXT NOT NULL, name TEXT NOT NULL,
            launched_by TEXT NOT NULL, reason TEXT NOT NULL, created_unix_s {real} NOT NULL,
            plan_json TEXT NOT NULL DEFAULT '')""",
        """CREATE TABLE flights (
            id {id}, mission_id BIGINT NOT NULL REFERENCES missions(id),
            vehicle TEXT NOT NULL, started_unix_s {real} NOT NULL, ended_unix_s {real},
            outcome TEXT NOT NULL DEFAULT '')""",
        """CREATE TABLE track_points (
            flight_id BIGINT NOT NULL REFERENCES flights(id), time_unix_s {real} NOT NULL,
            lat_deg {real} NOT NULL, lon_deg {real} NOT NULL, alt_amsl_m {real} NOT NULL)""",
        """CREATE TABLE findings (
            id {id}, mission_id BIGINT REFERENCES missions(id),
            kind TEXT NOT NULL, lat_deg {real} NOT NULL, lon_deg {real} NOT NULL,
            accuracy_m {real} NOT NULL, confidence {real} NOT NULL,
            first_seen_unix_s {real} NOT NULL, last_seen_unix_s {real} NOT NULL,
            evidence_count INTEGER NOT NULL, peak_temp_c {real}, area_m2 {real},
            thumbnail_png {blob})""",
        "CREATE INDEX findings_mission ON findings(mission_id)",
        "CREATE INDEX findings_place ON findings(lat_deg, lon_deg)",
        """CREATE TABLE patrol_runs (
            id {id}, patrol TEXT NOT NULL, due_unix_s {real} NOT NULL,
            mission_id BIGINT REFERENCES missions(id), status TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '')""",
        """CREATE TABLE alerts (
            id {id}, time_unix_s {real} NOT NULL, level TEXT NOT NULL,
            message TEXT NOT NULL, finding_id BIGINT REFERENCES findings(id))""",
    ),
    (  # version 2: a person is an alarm or a candidate "to check"; the rest are noted
        "ALTER TABLE findings ADD COLUMN status TEXT NOT NULL DEFAULT 'noted'",
        "UPDATE findings SET status = 'alarm' WHERE kind = 'person'",
    ),
    (  # version 3: what came from the journal keeps its journal key, so a journal
        # replayed twice (or again after a crash mid-replay) is stored once
        "ALTER TABLE findings ADD COLUMN journal_key TEXT",
        "CREATE UNIQUE INDEX findings_journal_key ON findings(journal_key)",
        "ALTER TABLE alerts ADD COLUMN journal_key TEXT",
        "CREATE UNIQUE INDEX alerts_journal_key ON alerts(journal_key)",
    ),
    (  # version 4: cases followed until verified (case_events is the audit: only ever
        # inserted into), the owners a case can be given to, and published warnings
        """CREATE TABLE case_owners (
            name TEXT PRIMARY KEY, added_unix_s {real} NOT NULL)""",
        """CREATE TABLE cases (
            id {id}, kind TEXT NOT NULL, status TEXT NOT NULL, source TEXT NOT NULL,
            finding_id BIGINT REFERENCES findings(id),
            lat_deg {real} NOT NULL, lon_deg {real} NOT NULL,
            reported_unix_s {real} NOT NULL, description TEXT NOT NULL DEFAULT '',
            owner TEXT REFERENCES case_owners(name), due_unix_s {real},
            created_by TEXT NOT NULL, created_unix_s {real} NOT NULL)""",
        "CREATE INDEX cases_status ON cases(status)",
        "CREATE INDEX cases_finding ON cases(finding_id)",
        """CREATE TABLE case_events (
            id {id}, case_id BIGINT NOT NULL REFERENCES cases(id),
            time_unix_s {real} NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
            status_before TEXT, status_after TEXT NOT NULL, note TEXT NOT NULL DEFAULT '',
            finding_id BIGINT REFERENCES findings(id), mission_id BIGINT REFERENCES missions(id),
            peak_temp_c {real}, area_m2 {real})""",
        "CREATE INDEX case_events_case ON case_events(case_id)",
        """CREATE TABLE warnings (
            id {id}, published_unix_s {real} NOT NULL, kind TEXT NOT NULL,
            text TEXT NOT NULL, evidence TEXT NOT NULL, lat_deg {real}, lon_deg {real},
            case_id BIGINT REFERENCES cases(id), dedupe_key TEXT NOT NULL UNIQUE)""",
    ),
    (  # version 5: the operator console's accounts and sessions, and each finding's
        # review (new -> confirmed / dismissed -> closed) as rows only ever inserted into
        """CREATE TABLE console_users (
            name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL,
            created_unix_s {real} NOT NULL)""",
        """CREATE TABLE console_sessions (
            token_sha256 TEXT PRIMARY KEY, user_name TEXT NOT NULL REFERENCES console_users(name),
            csrf_token TEXT NOT NULL, expires_unix_s {real} NOT NULL)""",
        """CREATE TABLE finding_reviews (
            id {id}, finding_id BIGINT NOT NULL REFERENCES findings(id),
            time_unix_s {real} NOT NULL, operator TEXT NOT NULL, state TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '')""",
        "CREATE INDEX finding_reviews_finding ON finding_reviews(finding_id)",
    ),
    (  # version 6: every console log-in attempt (only ever inserted into): the audit of
        # who tried from where, and what the log-in throttle counts
        """CREATE TABLE console_logins (
            id {id}, time_unix_s {real} NOT NULL, user_name TEXT NOT NULL,
            client TEXT NOT NULL, outcome TEXT NOT NULL)""",
        "CREATE INDEX console_logins_time ON console_logins(time_unix_s)",
    ),
    (  # version 7: each row tagged with the station that wrote it; station_id is the
        # row's id in that station's own store when it came by sync (NULL when written
        # here), so a sync repeated or resumed finds the rows it copied before
        *(statement.format(table=table) for table in (
            "missions", "flights", "track_points", "findings", "patrol_runs", "alerts",
            "cases", "case_events", "warnings", "finding_reviews")
          for statement in (
            "ALTER TABLE {table} ADD COLUMN station TEXT NOT NULL DEFAULT ''",
            "ALTER TABLE {table} ADD COLUMN station_id BIGINT",
            "CREATE UNIQUE INDEX {table}_station_id ON {table}(station, station_id)")),
    ),
    (  # version 8: the ground a flight's camera saw inside its planned region (m²),
        # for the weekly report's "area covered"; NULL for flights before it was kept
        "ALTER TABLE flights ADD COLUMN covered_m2 {real}",
    ),
    (  # version 9: the station's zones (areas only), each polygon as WGS84 WKB, so a
        # regional database can answer "findings in this zone" for every station; one
        # row per (station, the zone's id in its zone file), replaced when it changes
        """CREATE TABLE zones (
            id {id}, station TEXT NOT NULL DEFAULT '', station_id BIGINT,
            zone_ref TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL,
            polygon_wkb {blob} NOT NULL, created_unix_s {real} NOT NULL,
            updated_unix_s {real} NOT NULL)""",
        "CREATE UNIQUE INDEX zones_station_ref ON zones(station, zone_ref)",
        "CREATE UNIQUE INDEX zones_station_id ON zones(station, station_id)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)
