"""The console's panels over a real SQLite store, the station's real zones, DEM and
detector: detection boxes on the live frame, patrols started now and their hotspot
warnings, the export of dismissed findings, and the map's relief, hotspot history and
planned routes."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from dronewatch.console.auth import CSRF_HEADER
from tests.console.conftest import PASSWORD


def log_in(client, name):
    answer = client.post("/api/login", json={"name": name, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {CSRF_HEADER: answer.json()["csrf"]}


@pytest.fixture
def client_of(app_of):
    clients = []

    def build(**kwargs):
        app, station = app_of(**kwargs)
        client = TestClient(app).__enter__()
        clients.append(client)
        return client, station

    yield build
    for client in clients:
        client.__exit__(None, None, None)


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
