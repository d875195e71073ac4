"""Each store test runs on SQLite, and on PostgreSQL when a server URL is given.

Set ``DRONEWATCH_TEST_POSTGRES_URL`` (e.g. ``postgresql://postgres@127.0.0.1:5432/dwtest``)
to run the PostgreSQL half; the tests empty that database's dronewatch tables first.
"""

from __future__ import annotations

import os

import pytest

POSTGRES_URL = os.environ.get("DRONEWATCH_TEST_POSTGRES_URL", "")
TABLES = ("finding_reviews", "console_logins", "console_sessions", "console_users", "warnings",
          "case_events", "cases", "case_owners", "alerts", "patrol_runs", "findings",
          "track_points", "flights", "missions", "dronewatch_schema")


def _empty_postgres(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        for table in TABLES:
            db.execute(f"DROP TABLE IF EXISTS {table} CASCADE")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_where(request, tmp_path):
    """Where a fresh store lives: a SQLite file, or the test PostgreSQL database."""
    if request.param == "sqlite":
        return tmp_path / "store.sqlite"
    if not POSTGRES_URL:
        pytest.skip("no PostgreSQL server: set DRONEWATCH_TEST_POSTGRES_URL to run")
    _empty_postgres(POSTGRES_URL)
    return POSTGRES_URL
