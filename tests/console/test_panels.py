"""The console's panels over a real SQLite store, the station's real zones, DEM and
detector: detection boxes on the live frame, patrols started now and their hotspot
warnings, the export of dismissed findings, and the map's relief, hotspot history and
planned routes."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from dronewatch.config import default_zones_path
from dronewatch.console.auth import CSRF_HEADER
from dronewatch.zones import load_zones
from tests.console.conftest import log_in, person


def test_the_flights_own_detections_are_boxed_on_the_live_frame(client_of, terrain):
    import cv2

    from dronewatch.geo import CameraPose, camera_preset
    from dronewatch.ops.feed import DetectionTap
    from dronewatch.thermal import Frame, PixelUnit, detect

    client, station = client_of(urls=["udpout:127.0.0.1:9"])
    site = station.zones.launch_sites[0]
    camera = camera_preset("dji-m30t")
    pixels = np.full((camera.height_px, camera.width_px), 27315 + 500, np.uint16)
    pixels[100:112, 200:208] = 27315 + 3300  # a person, 33 °C on 5 °C ground
    pose = CameraPose(site.lat_deg, site.lon_deg, terrain.elevation_at(site.lat_deg,
                                                                       site.lon_deg) + 60)
    frames = [Frame(pixels, PixelUnit.CENTI_KELVIN, 1.79e9 + k, camera).with_pose(pose)
              for k in range(2)]
    watched = station.frames.watch("drone-1", lambda _, time_s: frames[int(time_s - 1.79e9)])
    assert isinstance(watched, DetectionTap)  # so ops.shots tells it what it detected
    log_in(client, "vera")

    first = watched(pose, 1.79e9)
    answer = client.get("/api/drones/drone-1/frame.png?palette=white-hot")
    assert answer.headers["X-Detections"] == ""  # not looked at yet: no boxes, no claim
    found = detect(first, terrain)  # what ops.shots does with each frame, then tells
    watched.saw(first, found)
    answer = client.get("/api/drones/drone-1/frame.png?palette=white-hot")
    assert answer.status_code == 200 and answer.headers["X-Detections"] == "1"
    picture = cv2.imdecode(np.frombuffer(answer.content, np.uint8), cv2.IMREAD_COLOR)
    x, y, _, h = (round(v) for v in found[0].box_px)
    green = (0, 255, 0)
    assert tuple(picture[y + h // 2, x]) == green  # the box's left edge, in BGR
    assert tuple(picture[500, 600]) != green  # and nothing elsewhere
    watched(pose, 1.79e9 + 1)
    watched.saw(first, found)  # late news of an older frame: not put on the newer one
    assert client.get("/api/drones/drone-1/frame.png").headers["X-Detections"] == ""


def _dismiss_and_confirm(client, store, zones, csrf):
    false_alarm = store.add_finding(person(zones, 0.001))
    real = store.add_finding(person(zones))
    client.post(f"/api/findings/{false_alarm.id}/review",
                json={"state": "dismissed", "note": "a sheep, \"woolly\", by the well"},
                headers=csrf)
    client.post(f"/api/findings/{real.id}/review", json={"state": "confirmed"}, headers=csrf)
    return false_alarm, real


def test_dismissed_findings_are_exported_as_geojson_and_csv(client_of, store):
    import csv
    import io
    import json

    client, station = client_of()
    assert client.get("/api/findings/dismissed").status_code == 401
    false_alarm, _ = _dismiss_and_confirm(client, store, station.zones, log_in(client, "olga"))
    log_in(client, "vera")  # reading the false alarms is for everyone
    answer = client.get("/api/findings/dismissed")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith(
        "application/geo+json")
    assert "attachment" in answer.headers["content-disposition"]
    collection = json.loads(answer.text)
    [feature] = collection["features"]  # the confirmed person is not a false alarm
    assert feature["id"] == false_alarm.id
    assert feature["geometry"]["coordinates"] == [round(false_alarm.lon_deg, 7),
                                                  round(false_alarm.lat_deg, 7)]
    props = feature["properties"]
    assert (props["dismissed_by"], props["note"], props["review"]) == (
        "olga", 'a sheep, "woolly", by the well', "dismissed")
    rows = list(csv.DictReader(io.StringIO(client.get(
        "/api/findings/dismissed?format=csv").text)))
    assert [(r["id"], r["kind"], r["dismissed_by"], r["note"]) for r in rows] == [
        (str(false_alarm.id), "person", "olga", 'a sheep, "woolly", by the well')]
    assert client.get("/api/findings/dismissed?format=kmz").status_code == 422


@pytest.fixture
def patrol_specs():
    from dronewatch.config import default_zones_path
    from dronewatch.ops.patrolspec import load_patrols
    from dronewatch.zones import load_zones
    from tests.conftest import REPO

    zones = load_zones(default_zones_path())
    return lambda: load_patrols(REPO / "missions", zones)


class PatrolRuns:
    """Plans with the real ``ops.patrol.plan_patrol``; records what would have flown (the
    flight itself is ``ops.patrol.run_patrol``, flown in the ops tests)."""

    def __init__(self, zones, terrain):
        from dronewatch.config import Settings
        from dronewatch.ops.patrol import plan_patrol
        from dronewatch.ops.station import station_equipment

        self.flown = []
        self.release = threading.Event()
        self.plan = lambda spec: plan_patrol(spec, zones, terrain, station_equipment(
            Settings(), camera=spec.camera, airframe=spec.airframe))

    def fly(self, vehicle, spec, plan, drone_id, operator):
        self.flown.append((spec.name, plan.name, drone_id, operator))
        self.release.wait(30)
        return "done"


def test_a_patrol_is_started_now_by_an_operator_on_its_own_drone(client_of, terrain,
                                                                  patrol_specs):
    from dronewatch.console.patrols import PatrolFlights
    from tests.console.test_app import StubVehicle

    runs = PatrolRuns(load_zones(default_zones_path()), terrain)
    client, station = client_of(urls=["udpout:127.0.0.1:14550", "udp:b:2"],
                                connect=StubVehicle, patrols=patrol_specs,
                                patrol_flights=PatrolFlights(runs.plan, runs.fly))
    log_in(client, "vera")
    _wait_connected(client)
    start = "/api/patrols/hongsha-coal-faces/start"
    viewer = client.post(start, json={"confirm": True},
                         headers={CSRF_HEADER: client.get("/api/me").json()["csrf"]})
    assert viewer.status_code == 403
    csrf = log_in(client, "olga")
    listed = {p["name"]: p for p in client.get("/api/patrols").json()}
    assert listed["hongsha-coal-faces"]["console_drone"] == "drone-1"
    assert listed["south-gobi-rescue"]["console_drone"] is None  # udpout:...:14560
    for path, body, headers, code in (
            (start, {"confirm": True}, {}, 403),  # no CSRF token
            (start, {}, csrf, 422), (start, {"confirm": False}, csrf, 422),
            (start, {"confirm": True, "drone": ""}, csrf, 422),
            (start, {"confirm": True, "drone": "drone-7"}, csrf, 404),
            ("/api/patrols/no-such-patrol/start", {"confirm": True}, csrf, 404),
            ("/api/patrols/south-gobi-rescue/start", {"confirm": True}, csrf, 409)):
        answer = client.post(path, json=body, headers=headers)
        assert answer.status_code == code, (path, body, answer.text)
    assert runs.flown == [] and client.get("/api/routes").json() == {}
    answer = client.post(start, json={"confirm": True}, headers=csrf)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["drone"], answer.json()["launched_by"]) == ("drone-1", "olga")
    again = client.post(start, json={"confirm": True}, headers=csrf)
    assert again.status_code == 409 and "already flying" in again.json()["detail"]
    other = client.post("/api/patrols/south-gobi-rescue/start",
                        json={"confirm": True, "drone": "drone-2"}, headers=csrf)
    assert other.status_code == 200
    assert runs.flown == [("hongsha-coal-faces", "patrol hongsha-coal-faces", "drone-1", "olga"),
                          ("south-gobi-rescue", "patrol south-gobi-rescue", "drone-2", "olga")]
    shown = client.get("/api/routes").json()  # the planned routes, for the map
    assert shown["drone-1"]["mission"] == "patrol hongsha-coal-faces"
    assert shown["drone-1"]["route"] == answer.json()["route"] and len(
        shown["drone-1"]["route"]) > 3
    runs.release.set()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (station.fleet.busy("drone-1")
                                           or station.fleet.busy("drone-2")):
        time.sleep(0.05)
    assert client.get("/api/routes").json() == {}  # landed: no route to draw


def test_a_console_without_patrol_flights_says_so(client_of, patrol_specs):
    client, _ = client_of(patrols=patrol_specs)
    answer = client.post("/api/patrols/hongsha-coal-faces/start", json={"confirm": True},
                         headers=log_in(client, "olga"))
    assert answer.status_code == 503


def _wait_connected(client):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not all(v["connected"] for v in
                                                  client.get("/api/drones").json()):
        time.sleep(0.05)


def _patrol_hotspots(store, spec, mission_name, when, peaks):
    """What a patrol run leaves in the store: a mission, its run, its hotspots, and the
    warnings ``ops.patrol.hotspot_warnings`` raised for them (as ``run_patrol`` does)."""
    from dronewatch.ops.patrol import hotspot_warnings
    from dronewatch.store import Finding, FindingKind, MissionKind

    mission = store.add_mission(MissionKind.PATROL, mission_name, launched_by="scheduler",
                                reason="test")
    run = store.add_patrol_run(spec.name, when, "flying")
    store.update_patrol_run(run, "done", mission_id=mission.id)
    found = tuple(store.add_finding(Finding(
        FindingKind.HOTSPOT, 44.70 + 0.002 * k, 88.60, 3.0, 0.99, when, when + 1, 2, peak,
        area, mission.id)) for k, (peak, area) in enumerate(peaks))
    for text, finding in hotspot_warnings(store, found, mission.id, spec):
        store.add_alert("warning", text, finding.id)
    return found


def test_growing_hotspots_warn_and_their_history_is_named_by_patrol(client_of, store,
                                                                     patrol_specs):
    client, _ = client_of(patrols=patrol_specs)
    spec = next(s for s in patrol_specs() if s.name == "hongsha-coal-faces")
    _patrol_hotspots(store, spec, spec.name, 1.79e9, [(80.0, 10.0), (70.0, 8.0)])
    later = _patrol_hotspots(store, spec, spec.name, 1.79e9 + 86400,
                             [(110.0, 10.0), (71.0, 8.5)])  # the first: 30 °C hotter
    store.add_alert("warning", "camera blind: lens cap")  # not a hotspot's warning
    assert client.get("/api/patrols/warnings").status_code == 401
    log_in(client, "vera")
    warned = client.get("/api/patrols/warnings").json()
    assert [w["finding_id"] for w in warned[:1]] == [later[0].id]
    assert "grew since the last patrol" in warned[0]["text"] and "80 → 110 °C" in warned[0][
        "text"]
    assert all("camera blind" not in w["text"] for w in warned)
    assert len(warned) == 3  # two new ones on the first run, the grown one on the second
    assert len(client.get("/api/patrols/warnings?limit=1").json()) == 1
    assert client.get("/api/patrols/warnings?limit=0").status_code == 422
    history = client.get("/api/hotspots").json()
    assert [(h["patrol"], h["peak_temp_c"]) for h in history] == [
        ("hongsha-coal-faces", 80.0), ("hongsha-coal-faces", 70.0),
        ("hongsha-coal-faces", 110.0), ("hongsha-coal-faces", 71.0)]


def test_the_relief_of_the_stations_dem_is_served_for_the_map(client_of):
    import cv2

    client, station = client_of()
    assert client.get("/api/relief").status_code == 401
    log_in(client, "vera")
    shown = client.get("/api/relief").json()
    (south, west), (north, east) = shown["bounds"]
    area_west, area_south, area_east, area_north = station.zones.operating_area.geometry.bounds
    assert south < area_south < area_north < north and west < area_west < area_east < east
    answer = client.get(shown["image"])
    picture = cv2.imdecode(np.frombuffer(answer.content, np.uint8), cv2.IMREAD_UNCHANGED)
    assert answer.headers["content-type"] == "image/png" and picture.shape[2] == 4
    assert picture[..., 3].max() == 255 and picture[..., :3].std() > 5  # shaded, not flat
