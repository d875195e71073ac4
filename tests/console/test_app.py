"""The console's API over a real SQLite store and the station's real zones and planner:
who may do what, and that a refused or malformed request changes nothing."""

from __future__ import annotations

import math
import time

from fastapi.testclient import TestClient

from dronewatch.config import default_zones_path
from dronewatch.console.auth import COOKIE, CSRF_HEADER
from dronewatch.console.live import Hub
from dronewatch.link import VehicleState
from dronewatch.store.reviews import ReviewState, reviews
from dronewatch.store.users import get_user
from dronewatch.zones import load_zones
from tests.console.conftest import PASSWORD, Flights, log_in, person

CHANGES = [  # every state-changing endpoint, with a well-formed body
    ("/api/logout", {}),
    ("/api/findings/1/review", {"state": "confirmed", "note": "team on the way"}),
    ("/api/alarm/plan", {"lat_deg": 44.67, "lon_deg": 88.58, "radius_m": 300}),
    ("/api/drones/drone-1/launch", {"plan_id": "abc"}),
    ("/api/drones/drone-1/command", {"action": "rtl", "confirm": True}),
]
READS = ["/api/me", "/api/findings", "/api/drones", "/api/zones", "/api/findings/1/reviews"]


def test_anonymous_users_read_nothing_and_change_nothing(client_of, store):
    client, station = client_of(urls=["udpout:127.0.0.1:9"])
    stored = store.add_finding(person(station.zones))
    assert client.get("/").status_code == 200  # the page itself, with its log-in form
    for path in READS:
        assert client.get(path).status_code == 401, path
    for path, body in CHANGES:
        answer = client.post(path, json=body, headers={CSRF_HEADER: "anything"})
        assert answer.status_code == 401, path
        assert "log in" in answer.json()["detail"]
    assert reviews(store, stored.id) == [] and station.plans == {}


def test_a_viewer_reads_everything_and_changes_nothing(client_of, store):
    client, station = client_of(urls=["udpout:127.0.0.1:9"])
    store.add_finding(person(station.zones))
    csrf = log_in(client, "vera")
    for path in READS:
        assert client.get(path).status_code == 200, path
    for path, body in CHANGES[1:]:
        answer = client.post(path, json=body, headers=csrf)
        assert answer.status_code == 403, (path, answer.text)
        assert "only an operator" in answer.json()["detail"]
    assert reviews(store) == [] and station.plans == {}
    assert client.post("/api/logout", json={}, headers=csrf).status_code == 200
    assert client.get("/api/me").status_code == 401


def test_wrong_passwords_and_unknown_names_get_no_session(client_of):
    client, _ = client_of()
    for name, password in (("olga", "wrong password"), ("nobody", PASSWORD), ("olga", "")):
        answer = client.post("/api/login", json={"name": name, "password": password})
        assert answer.status_code in (401, 422)
        assert COOKIE not in answer.cookies
    assert client.get("/api/me").status_code == 401


def test_forged_or_missing_csrf_tokens_are_refused_and_change_nothing(client_of, store):
    client, station = client_of()
    stored = store.add_finding(person(station.zones))
    log_in(client, "olga")
    body = {"state": "confirmed"}
    for headers in ({}, {CSRF_HEADER: "forged"}, {CSRF_HEADER: ""}):
        answer = client.post(f"/api/findings/{stored.id}/review", json=body, headers=headers)
        assert answer.status_code == 403 and CSRF_HEADER in answer.json()["detail"]
    other = TestClient(client.app)  # another user's token is no good either
    assert client.post(f"/api/findings/{stored.id}/review", json=body,
                       headers=log_in(other, "vera")).status_code == 403
    assert reviews(store) == []


def test_an_expired_session_is_refused(client_of, store):
    client, station = client_of(ttl_s=0.5)
    stored = store.add_finding(person(station.zones))
    csrf = log_in(client, "olga")
    time.sleep(0.7)
    assert client.get("/api/me").status_code == 401
    answer = client.post(f"/api/findings/{stored.id}/review", json={"state": "confirmed"},
                         headers=csrf)
    assert answer.status_code == 401 and reviews(store) == []


def test_findings_go_new_confirmed_closed_by_a_named_operator_with_an_audit(client_of, store):
    client, station = client_of()
    hotspot_like = store.add_finding(person(station.zones, 0.001))
    found = store.add_finding(person(station.zones))
    csrf = log_in(client, "olga")
    url = f"/api/findings/{found.id}/review"
    shown = client.post(url, json={"state": "confirmed", "note": "seen by the team",
                                   "expected": "new"}, headers=csrf).json()
    assert (shown["review"], shown["reviewed_by"], shown["next"]) == ("confirmed", "olga",
                                                                      ["closed"])
    first = client.get("/api/findings").json()
    assert [f["id"] for f in first] == [found.id, hotspot_like.id]  # confirmed person on top
    # out of order, stale, malformed: refused, and the audit is unchanged
    for body, code in (({"state": "dismissed"}, 409),
                       ({"state": "closed", "expected": "new"}, 409),
                       ({"state": "deleted"}, 422),
                       ({"state": "closed", "note": "x" * 2001}, 422),
                       ({"note": "no state"}, 422)):
        answer = client.post(url, json=body, headers=csrf)
        assert answer.status_code == code, (body, answer.text)
    assert client.post("/api/findings/999/review", json={"state": "confirmed"},
                       headers=csrf).status_code == 404
    assert client.post("/api/findings/abc/review", json={"state": "confirmed"},
                       headers=csrf).status_code == 422
    assert [r.state for r in reviews(store)] == [ReviewState.CONFIRMED]
    client.post(url, json={"state": "closed", "note": "reached at 03:10"}, headers=csrf)
    client.post(f"/api/findings/{hotspot_like.id}/review", json={"state": "dismissed",
                "note": "a sheep"}, headers=csrf)
    audit = client.get(f"/api/findings/{found.id}/reviews").json()
    assert [(a["state"], a["operator"], a["note"]) for a in audit] == [
        ("confirmed", "olga", "seen by the team"), ("closed", "olga", "reached at 03:10")]
    listed = client.get("/api/findings").json()
    assert [(f["id"], f["review"]) for f in listed] == [(hotspot_like.id, "dismissed"),
                                                         (found.id, "closed")]


def test_an_alarm_is_planned_by_ops_and_bad_alarms_change_nothing(client_of):
    client, station = client_of(urls=["udpout:127.0.0.1:9"])
    csrf = log_in(client, "olga")
    site = station.zones.launch_sites[0]
    for body, code in (({"lat_deg": 95, "lon_deg": 88.6}, 422),
                       ({"lat_deg": 44.6, "lon_deg": 88.6, "radius_m": -5}, 422),
                       ({"lat_deg": 44.6, "lon_deg": 88.6, "radius_m": 1e9}, 422),
                       ({"lat_deg": 44.6, "lon_deg": 88.6, "lost_hours": -1}, 422),
                       ({"lat_deg": 44.6, "lon_deg": 88.6, "pattern": "spiral"}, 422),
                       ({"lat_deg": "north", "lon_deg": 88.6}, 422),
                       ({"lat_deg": 40.0, "lon_deg": 88.0}, 400)):
        answer = client.post("/api/alarm/plan", json=body, headers=csrf)
        assert answer.status_code == code, (body, answer.text)
    assert station.plans == {}
    answer = client.post("/api/alarm/plan", headers=csrf, json={
        "lat_deg": site.lat_deg + 0.003, "lon_deg": site.lon_deg + 0.003, "radius_m": 200})
    assert answer.status_code == 200, answer.text
    plan = answer.json()
    assert plan["sorties"] >= 1 and len(plan["route"]) > 3 and 0 < plan["pod"] <= 1
    assert plan["launch_site"] == site.id
    launch = client.post("/api/drones/drone-9/launch", json={"plan_id": plan["plan_id"]},
                         headers=csrf)
    assert launch.status_code == 404
    launch = client.post("/api/drones/drone-1/launch", json={"plan_id": plan["plan_id"]},
                         headers=csrf)
    assert launch.status_code == 409 and "not connected" in launch.json()["detail"]
    assert client.post("/api/drones/drone-1/launch", json={"plan_id": "nope"},
                       headers=csrf).status_code == 404


class StubVehicle:
    """A connected drone for the launch rule (its flight is the Flights stand-in)."""

    def __init__(self, url):
        self.commands = []

    @property
    def state(self):
        return VehicleState(1, mode="GUIDED", lat_deg=44.6, lon_deg=88.6, stale=False,
                            last_heartbeat_s=time.monotonic(), battery_remaining_pct=88.0)

    def return_to_launch(self):
        self.commands.append("RTL")

    def set_mode(self, name):
        self.commands.append(name)

    def close(self):
        pass


def test_one_mission_per_drone_and_commands_need_confirmation(client_of):
    flights = Flights()
    client, station = client_of(urls=["udp:a:1", "udp:b:2"], connect=StubVehicle, fly=flights)
    csrf = log_in(client, "olga")
    site = station.zones.launch_sites[0]
    plan = client.post("/api/alarm/plan", headers=csrf, json={
        "lat_deg": site.lat_deg + 0.003, "lon_deg": site.lon_deg + 0.003,
        "radius_m": 200}).json()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not all(v["connected"] for v in
                                                  client.get("/api/drones").json()):
        time.sleep(0.05)
    first = client.post("/api/drones/drone-1/launch", json={"plan_id": plan["plan_id"]},
                        headers=csrf)
    assert first.status_code == 200 and first.json()["launched_by"] == "olga"
    again = client.post("/api/drones/drone-1/launch", json={"plan_id": plan["plan_id"]},
                        headers=csrf)
    assert again.status_code == 409 and "already flying" in again.json()["detail"]
    assert client.post("/api/drones/drone-2/launch", json={"plan_id": plan["plan_id"]},
                       headers=csrf).status_code == 200
    assert [(d, r.launched_by) for d, r, _ in flights.flown] == [("drone-1", "olga"),
                                                                  ("drone-2", "olga")]
    vehicle = station.fleet.vehicle("drone-1")
    for body in ({"action": "rtl"}, {"action": "rtl", "confirm": False},
                 {"action": "selfdestruct", "confirm": True}):
        assert client.post("/api/drones/drone-1/command", json=body,
                           headers=csrf).status_code == 422
    assert vehicle.commands == []
    for action, sent in (("hold", "LOITER"), ("resume", "AUTO"), ("rtl", "RTL")):
        assert client.post("/api/drones/drone-1/command", json={"action": action,
                           "confirm": True}, headers=csrf).status_code == 200
        assert vehicle.commands[-1] == sent
    flights.release.set()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and station.fleet.busy("drone-1"):
        time.sleep(0.05)
    shown = client.get("/api/drones").json()[0]
    assert shown["mission"] == "" and shown["last_outcome"].endswith("landed")
    assert shown["battery_pct"] == 88.0 and shown["track"]


def test_the_live_hub_sees_a_finding_stored_from_anywhere(app_of, store):
    _, station = app_of()
    hub = Hub(store, station.fleet, lambda fid: {"id": fid})
    hub._versions, hub._review_id = hub._baseline()
    assert hub._changes() == []
    stored = store.add_finding(person(station.zones))
    assert [e for e in hub._changes() if f'"id":{stored.id}' in e]
    assert hub._changes() == []  # told once


def test_passwords_are_stored_as_argon2_hashes_only(store):
    user = get_user(store, "olga")
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    assert not math.isnan(user.created_unix_s)


def test_the_patrol_panel_shows_the_missions_folder_and_the_stored_runs(client_of, store):
    from dronewatch.ops.patrolspec import load_patrols
    from tests.conftest import REPO

    zones = load_zones(default_zones_path())
    client, _ = client_of(patrols=lambda: load_patrols(REPO / "missions", zones))
    name = load_patrols(REPO / "missions", zones)[0].name
    store.add_patrol_run(name, 1.79e9, "skipped", detail="wind 15 m/s above 12")
    assert client.get("/api/patrols").status_code == 401
    log_in(client, "vera")
    shown = {p["name"]: p for p in client.get("/api/patrols").json()}
    assert shown[name]["runs"] == [{"due_unix_s": 1.79e9, "mission_id": None,
                                    "status": "skipped", "detail": "wind 15 m/s above 12"}]
    assert shown[name]["next_run_unix_s"] > time.time() - 60


def test_the_camera_panel_shows_the_newest_frame_of_a_flight_in_a_palette(client_of,
                                                                           tmp_path):
    import cv2
    import numpy as np

    from dronewatch.geo import camera_preset
    from dronewatch.thermal import Frame, PixelUnit

    client, station = client_of(urls=["udpout:127.0.0.1:9"])
    camera = camera_preset("dji-m30t")
    pixels = np.full((camera.height_px, camera.width_px), 27315 + 500, np.uint16)
    pixels[100:120, 200:210] = 27315 + 3600  # a warm body
    taken = []

    def source(pose, time_s):  # the flight's camera, as ops calls it
        taken.append(time_s)
        return Frame(pixels, PixelUnit.CENTI_KELVIN, time_s, camera)

    watched = station.frames.watch("drone-1", source)
    assert client.get("/api/drones/drone-1/frame.png").status_code == 401
    log_in(client, "vera")
    assert client.get("/api/drones/drone-1/frame.png").status_code == 404  # none yet
    watched(None, 1.79e9)
    watched(None, 1.79e9 + 1)
    answer = client.get("/api/drones/drone-1/frame.png?palette=white-hot")
    assert answer.status_code == 200 and answer.headers["X-Frame-Number"] == "2"
    picture = cv2.imdecode(np.frombuffer(answer.content, np.uint8), cv2.IMREAD_GRAYSCALE)
    scale = picture.shape[1] / camera.width_px
    assert picture[int(110 * scale), int(205 * scale)] > picture[5, 5] + 100  # warm is light
    assert client.get("/api/drones/drone-1/frame.png?palette=rainbow").status_code == 422
    assert client.get("/api/drones/drone-7/frame.png").status_code == 404
    assert taken == [1.79e9, 1.79e9 + 1]
    from dronewatch.ops.feed import FrameArchive, directory_source

    folder = station.frames.watch("drone-1", directory_source(tmp_path))
    assert isinstance(folder, FrameArchive)  # lost shots are still looked up in the folder
