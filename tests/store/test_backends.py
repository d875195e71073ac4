"""Store URLs: unknown schemes refused, passwords never shown, SQLite URLs understood."""

from __future__ import annotations

import socket
import threading

import pytest

from dronewatch.store import Store, StoreError
from dronewatch.store.backends import redact_url
from dronewatch.store.schema import SCHEMA_VERSION


@pytest.mark.parametrize("url", ["mysql://root:hunter2@db.local/dw", "mariadb://db/dw",
                                 "http://example.org/store"])
def test_an_unknown_scheme_is_refused_and_no_file_is_made(url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StoreError, match="unknown store scheme") as err:
        Store(url)
    assert "hunter2" not in str(err.value)
    assert list(tmp_path.rglob("*")) == []


def test_redact_url_hides_passwords_and_keeps_the_rest():
    assert redact_url("postgresql://ops:s3cr%40t@10.0.0.5:5432/dw") == \
        "postgresql://ops:***@10.0.0.5:5432/dw"
    assert redact_url("store postgres://u:p@h/d failed; password=abc host=h") == \
        "store postgres://u:***@h/d failed; password=*** host=h"
    assert redact_url("postgresql://ops@host/dw") == "postgresql://ops@host/dw"
    assert redact_url("out/dronewatch.sqlite") == "out/dronewatch.sqlite"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_postgres_store_that_cannot_be_reached_never_shows_its_password():
    pytest.importorskip("psycopg")
    url = f"postgresql://ops:TopSecret42@127.0.0.1:{_closed_port()}/dw?connect_timeout=2"
    with pytest.raises(StoreError) as err:
        Store(url)
    assert "TopSecret42" not in str(err.value)
    assert "ops:***@127.0.0.1" in str(err.value)


def test_sqlite_urls_open_the_file_they_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with Store("sqlite:///sub/db.sqlite") as db:
        assert db.backend == "sqlite"
    assert (tmp_path / "sub" / "db.sqlite").is_file()
    with pytest.raises(StoreError, match="three slashes"):
        Store("sqlite://db.sqlite")


def test_stores_opening_a_fresh_database_at_once_all_open_it(store_where):
    """A console and a mission started together both migrate a new store: neither may
    fail on tables the other has just made (it did: "table console_users already exists")."""
    start = threading.Barrier(6)
    failures: list[BaseException] = []

    def open_store() -> None:
        start.wait()
        try:
            with Store(store_where) as store:
                assert store.schema_version == SCHEMA_VERSION
        except BaseException as exc:  # collected and reported below
            failures.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with Store(store_where) as store:
        assert store.schema_version == SCHEMA_VERSION
