"""A console over a real SQLite store, with the station's real zones and planner."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from dronewatch.config import default_dem_path, default_zones_path
from dronewatch.console import Fleet, Station, create_app
from dronewatch.console.auth import CSRF_HEADER, create_user
from dronewatch.geo import Terrain
from dronewatch.link import NoHeartbeatError
from dronewatch.map.assets import assets_dir
from dronewatch.ops import plan_for_alarm
from dronewatch.store import Finding, FindingKind, FindingStatus, Store
from dronewatch.zones import load_zones

PASSWORD = "correct horse battery"


def unreachable(url):
    raise NoHeartbeatError(f"{url}: no heartbeat")


def person(zones, offset_deg=0.0, **extra) -> Finding:
    site = zones.launch_sites[0]
    return Finding(FindingKind.PERSON, site.lat_deg + 0.004 + offset_deg, site.lon_deg + 0.003,
                   3.5, 0.9, 1.79e9, 1.79e9 + 5, 3, status=FindingStatus.ALARM, **extra)


class Flights:
    """Stands in for ops.run_search in the API tests: records what would have flown."""

    def __init__(self):
        self.flown = []
        self.release = threading.Event()

    def __call__(self, vehicle, request, plan, drone_id):
        self.flown.append((drone_id, request, plan))
        self.release.wait(30)
        return "landed"


@pytest.fixture(scope="module")
def terrain():
    with Terrain(default_dem_path()) as t:
        yield t


def make_station(store, urls=(), connect=unreachable, terrain=None, fly=None,
                 ttl_s=3600.0, patrols=list, **more) -> Station:
    zones = load_zones(default_zones_path())
    lock = threading.Lock()

    def plan(request):
        with lock:
            return plan_for_alarm(zones, terrain, request)

    return Station(store, Fleet(urls, connect), zones, default_zones_path(), plan,
                   fly or Flights(), assets_dir(), session_ttl_s=ttl_s, patrols=patrols,
                   **more)


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "store.sqlite") as db:
        create_user(db, "olga", "operator", PASSWORD)
        create_user(db, "vera", "viewer", PASSWORD)
        yield db


@pytest.fixture
def app_of(store, terrain):
    stations = []

    def build(**kwargs):
        station = make_station(store, terrain=terrain, **kwargs)
        stations.append(station)
        return create_app(station), station

    yield build
    for station in stations:
        station.fleet.close()


@contextlib.contextmanager
def serving(app) -> Iterator[str]:
    """The app on a real uvicorn server on a free local port; its base URL."""
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", timeout_graceful_shutdown=1))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def log_in(client, name):
    """Log ``name`` in; the CSRF header its state-changing requests must carry."""
    answer = client.post("/api/login", json={"name": name, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {CSRF_HEADER: answer.json()["csrf"]}


@pytest.fixture
def client_of(app_of):
    """Build test clients on an app (closed at the end of the test)."""
    clients = []

    def build(**kwargs):
        app, station = app_of(**kwargs)
        client = TestClient(app).__enter__()
        clients.append(client)
        return client, station

    yield build
    for client in clients:
        client.__exit__(None, None, None)
