"""Each store test runs on SQLite, and on PostgreSQL and PostGIS when their URLs are given.

Set ``DRONEWATCH_TEST_POSTGRES_URL`` (e.g. ``postgresql://dronewatch@127.0.0.1:5432/dwtest``)
to run the PostgreSQL part: a database where PostGIS cannot be added (a role that may not
create it), so the store stays plain there. Set ``DRONEWATCH_TEST_POSTGIS_URL`` to a
database with PostGIS for the spatial part. The tests empty the dronewatch tables first.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

POSTGRES_URL = os.environ.get("DRONEWATCH_TEST_POSTGRES_URL", "")
POSTGIS_URL = os.environ.get("DRONEWATCH_TEST_POSTGIS_URL", "")
TABLES = ("zones", "finding_reviews", "console_logins", "console_sessions", "console_users",
          "warnings", "case_events", "cases", "case_owners", "alerts", "patrol_runs", "findings",
          "track_points", "flights", "missions", "dronewatch_schema")


def _empty_postgres(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        for table in TABLES:
            db.execute(f"DROP TABLE IF EXISTS {table} CASCADE")


@contextlib.contextmanager
def _only_user_of(url: str) -> Iterator[None]:
    """Hold the test database for this test alone, across processes.

    Why: ``make test`` runs two pytest workers (pytest-xdist, one file each at a time),
    and every test here empties the one test database first.
    """
    digest = hashlib.sha256(url.encode()).hexdigest()[:12]
    with open(Path(tempfile.gettempdir()) / f"dronewatch-test-db-{digest}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@pytest.fixture(params=["sqlite", "postgresql", "postgis"])
def store_where(request, tmp_path):
    """Where a fresh store lives: a SQLite file, or a test PostgreSQL database."""
    if request.param == "sqlite":
        yield tmp_path / "store.sqlite"
        return
    url, variable = ((POSTGRES_URL, "DRONEWATCH_TEST_POSTGRES_URL") if request.param == "postgresql"
                     else (POSTGIS_URL, "DRONEWATCH_TEST_POSTGIS_URL"))
    if not url:
        pytest.skip(f"no {request.param} server: set {variable} to run")
    with _only_user_of(url):
        _empty_postgres(url)
        yield url
