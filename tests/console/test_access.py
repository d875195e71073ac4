"""Log-in throttling and the end of a session's live stream, over a real SQLite store:
the HTTP answers through the app, and the live stream over real HTTP from uvicorn."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from dronewatch.console import live
from dronewatch.console.auth import COOKIE, CSRF_HEADER
from dronewatch.console.throttle import (
    LOCKOUT_S,
    MAX_FAILURES,
    MAX_FAILURES_PER_CLIENT,
    WINDOW_S,
    refusal,
)
from dronewatch.store.logins import LoginOutcome, login_attempts, record_login
from tests.console.conftest import PASSWORD, serving

WRONG, OK = LoginOutcome.WRONG, LoginOutcome.OK


@pytest.fixture
def client(app_of):
    app, _ = app_of()
    with TestClient(app) as client:
        yield client


def attempt(client, name, password):
    return client.post("/api/login", json={"name": name, "password": password})


def test_a_run_of_wrong_passwords_locks_that_name_out_with_429_and_is_audited(client, store):
    for _ in range(MAX_FAILURES):
        assert attempt(client, "olga", "wrong password").status_code == 401
    refused = attempt(client, "olga", PASSWORD)  # the right one: not even checked now
    assert refused.status_code == 429 and COOKIE not in refused.cookies
    assert f"{MAX_FAILURES} wrong passwords for olga" in refused.json()["detail"]
    assert 0 < int(refused.headers["Retry-After"]) <= LOCKOUT_S
    assert client.get("/api/me").status_code == 401
    assert attempt(client, "vera", PASSWORD).status_code == 200  # only that name is locked
    audit = login_attempts(store)
    assert [(a.user_name, a.outcome) for a in audit] == (
        [("olga", WRONG)] * MAX_FAILURES + [("olga", LoginOutcome.REFUSED), ("vera", OK)])
    assert {a.client for a in audit} == {"testclient"}


def test_the_login_audit_is_for_operators_only(client, store):
    assert client.get("/api/logins").status_code == 401
    attempt(client, "nobody", "guess one")
    attempt(client, "vera", PASSWORD)
    answer = client.get("/api/logins")
    assert answer.status_code == 403 and "only an operator" in answer.json()["detail"]
    attempt(client, "olga", PASSWORD)
    shown = client.get("/api/logins?limit=2").json()
    assert [(a["user_name"], a["outcome"]) for a in shown] == [("olga", "ok"), ("vera", "ok")]
    assert client.get("/api/logins?limit=0").status_code == 422
    assert client.get("/api/logins?limit=lots").status_code == 422
    assert len(login_attempts(store)) == 3  # reading the audit adds nothing to it


def test_the_lock_out_ends_and_a_success_starts_the_count_again(store):
    t0 = 1.79e9
    for k in range(MAX_FAILURES - 1):
        record_login(store, "olga", "10.0.0.9", WRONG, t0 + k)
    assert refusal(store, "olga", "10.0.0.9", t0 + 10) is None  # one short of the limit
    record_login(store, "olga", "10.0.0.9", OK, t0 + 11)
    record_login(store, "olga", "10.0.0.9", WRONG, t0 + 12)
    assert refusal(store, "olga", "10.0.0.9", t0 + 13) is None  # counted from the success
    for k in range(MAX_FAILURES - 1):
        record_login(store, "olga", "10.0.0.9", WRONG, t0 + 20 + k)
    locked = refusal(store, "olga", "10.0.0.9", t0 + 30)
    assert locked is not None and locked.wait_s == pytest.approx(LOCKOUT_S - 7)
    record_login(store, "olga", "10.0.0.9", LoginOutcome.REFUSED, t0 + 40)  # not counted
    assert refusal(store, "olga", "10.0.0.9", t0 + 23 + LOCKOUT_S - 1) is not None
    assert refusal(store, "olga", "10.0.0.9", t0 + 23 + LOCKOUT_S + 1) is None
    assert refusal(store, "olga", "10.0.0.7", t0 + 30) is None  # her own desk still works


def test_failures_spread_wider_than_the_window_do_not_lock(store):
    t0 = 1.79e9
    step = WINDOW_S / (MAX_FAILURES - 1) + 1  # any five failures span more than the window
    for k in range(MAX_FAILURES * 2):
        record_login(store, "olga", "10.0.0.9", WRONG, t0 + k * step)
        assert refusal(store, "olga", "10.0.0.9", t0 + k * step + 1) is None


def test_guessing_many_names_from_one_address_locks_the_address(store):
    t0 = 1.79e9
    for k in range(MAX_FAILURES_PER_CLIENT):
        record_login(store, f"user{k}", "10.0.0.66", WRONG, t0 + k)
    locked = refusal(store, "olga", "10.0.0.66", t0 + 30)
    assert locked is not None and f"{MAX_FAILURES_PER_CLIENT} wrong log-ins" in locked.reason
    record_login(store, "guest", "10.0.0.66", OK, t0 + 31)  # a success does not clear it
    assert refusal(store, "vera", "10.0.0.66", t0 + 32) is not None
    assert refusal(store, "olga", "10.0.0.5", t0 + 30) is None


def _log_in(base: str, http: httpx.Client) -> dict[str, str]:
    answer = http.post(f"{base}/api/login", json={"name": "vera", "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {CSRF_HEADER: answer.json()["csrf"]}


def _events_until_closed(http: httpx.Client, url: str, within_s: float) -> tuple[list[str],
                                                                                   float]:
    """The event names a stream sent before the server ended it, and how long it ran."""
    names, started = [], time.monotonic()
    with http.stream("GET", url, timeout=httpx.Timeout(5.0, read=within_s)) as stream:
        assert stream.status_code == 200
        for line in stream.iter_lines():
            if line.startswith("event: "):
                names.append(line.removeprefix("event: "))
            assert time.monotonic() - started < within_s, names[-5:]
    return names, time.monotonic() - started


def test_the_live_stream_ends_when_the_session_expires(app_of):
    app, _ = app_of(ttl_s=1.5)
    with serving(app) as base, httpx.Client() as http:
        _log_in(base, http)
        names, ran_s = _events_until_closed(http, f"{base}/api/events", within_s=20)
        assert names[-1] == "session" and 1.0 < ran_s < 8.0, (names[-3:], ran_s)
        assert http.get(f"{base}/api/events").status_code == 401  # no new stream either


def test_the_live_stream_ends_soon_after_a_log_out_elsewhere(app_of, monkeypatch):
    monkeypatch.setattr(live, "SESSION_CHECK_S", 0.3)
    app, _ = app_of()
    with serving(app) as base, httpx.Client() as http:
        csrf = _log_in(base, http)
        with httpx.Client(cookies=http.cookies) as other_tab:
            timer = threading.Timer(1.0, lambda: other_tab.post(
                f"{base}/api/logout", json={}, headers=csrf))
            timer.start()
            names, ran_s = _events_until_closed(http, f"{base}/api/events", within_s=20)
            timer.join()
        assert names[-1] == "session" and 0.8 < ran_s < 8.0, (names[-3:], ran_s)
