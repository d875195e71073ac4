"""Post-flight analysis of real DJI shots.

A DJI aircraft writes no MAVLink, DataFlash or ULog log: its R-JPEGs carry their own
pose, and the analysis runs without a log. A shot that carries a laser range takes its
height from it; the report says which did, and warns (naming the file) where the range
was refused or the drone's own laser spot disagrees with the pose."""

from __future__ import annotations

import json
import math
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from typer.testing import CliRunner

from dronewatch.cli import app
from dronewatch.config import DEFAULT_TIMEZONE
from dronewatch.geo import LocalFrame, camera_preset
from dronewatch.ops.analyse import analyse_flight
from dronewatch.store import Store
from dronewatch.thermal import Frame, PixelUnit, read_frame, write_frame
from dronewatch.zones import parse_zones
from tests.ops.logwriters import write_ulog
from tests.thermal.test_dji_xmp import H20T, with_dji_xmp
from tests.thermal.test_laserrange import _plane_dem

pytestmark = pytest.mark.skipif(not H20T.is_file(), reason="../shared/data/thermal-jpeg absent")

TAKEOFF_M = 221.404 - 16.508  # the file's AbsoluteAltitude - RelativeAltitude
PITCH, YAW = -10.5, 32.5  # its gimbal pitch and (earth) yaw


def _zones_document(lat: float, lon: float) -> dict:
    ring = [[lon - 0.02, lat - 0.02], [lon + 0.02, lat - 0.02], [lon + 0.02, lat + 0.02],
            [lon - 0.02, lat + 0.02], [lon - 0.02, lat - 0.02]]
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
         "properties": {"id": "area", "name": "Area", "kind": "operating_area",
                        "max_alt_agl_m": 120}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
         "properties": {"id": "pad", "name": "Pad", "kind": "launch_site",
                        "home_alt_amsl_m": TAKEOFF_M, "heading_deg": 0}}]}


def _zones(lat: float, lon: float):
    return parse_zones(_zones_document(lat, lon))


def _log(path, when: float, lat: float, lon: float):
    """A PX4 log of the drone hovering where the shot was taken, a minute either side."""
    messages = []
    for k in range(-60, 61):
        messages.append((when + k, {"mavpackettype": "GLOBAL_POSITION_INT",
                                    "lat": round(lat * 1e7), "lon": round(lon * 1e7),
                                    "alt": round(221.404 * 1000)}))
        messages.append((when + k + 0.5, {"mavpackettype": "ATTITUDE", "roll": 0.0,
                                          "pitch": 0.0, "yaw": math.radians(30.3)}))
    return write_ulog(messages, path)


@pytest.mark.parametrize(("ground_m", "camera_m", "spot_off_m", "posed_by", "warning"), [
    (0.0, 10.508, 0.0, "own pose, height from its laser", None),  # written 6 m high
    (-200.0, 16.508, 0.0, "own pose", "laser range not used: the laser puts the camera -200 m"),
    # the laser refused, and the written altitude 183 m under the ground: nothing to place
    (200.0, 16.508, 0.0, None, "laser range not used: the laser puts the camera +200 m"),
    (0.0, 10.508, 40.0, "own pose, height from its laser", "check the pose"),
])
def test_an_analysis_says_which_frames_took_their_height_from_the_laser(
        tmp_path, ground_m, camera_m, spot_off_m, posed_by, warning):
    """``ground_m`` is the ground's height over take-off, ``camera_m`` the camera's over
    the ground (the file writes 16.5 m), ``spot_off_m`` how far beyond the true spot the
    drone wrote its laser spot."""
    pose = read_frame(H20T).pose
    distance = camera_m / math.sin(math.radians(-PITCH))
    ahead = distance * math.cos(math.radians(PITCH)) + spot_off_m
    spot = LocalFrame(pose.lat_deg, pose.lon_deg).to_wgs84(
        ahead * math.sin(math.radians(YAW)), ahead * math.cos(math.radians(YAW)))
    frames = tmp_path / "frames"
    frames.mkdir()
    picture = with_dji_xmp(H20T, frames / "DJI_0001_R.JPG", {
        "LRFStatus": "Normal", "LRFTargetDistance": f"{distance:.3f}",
        "LRFTargetLon": f"{float(spot[1]):.7f}", "LRFTargetLat": f"{float(spot[0]):.7f}"})
    said: list[str] = []
    with _plane_dem(tmp_path / "dem.tif", pose.lat_deg, pose.lon_deg,
                    TAKEOFF_M + ground_m) as terrain, Store(tmp_path / "store.sqlite") as store:
        report = analyse_flight([frames], _log(tmp_path / "flight.ulg",
                                               read_frame(picture).time_unix_s,
                                               pose.lat_deg, pose.lon_deg),
                                _zones(pose.lat_deg, pose.lon_deg), terrain, store,
                                tmp_path / "map.html", announce=lambda a: said.append(a.text))
    if posed_by is None:
        assert dict(report.skipped) == {"camera below the ground": 1}
        assert any("puts the camera 183 m below the ground" in s for s in said), said
    else:
        assert dict(report.posed_by) == {posed_by: 1} and report.frames_skipped == 0
    # the H20T's EXIF time has no zone; the log (written around it as UTC) says which
    assert "1 frame(s) stamped in wall-clock time without a zone (EXIF, DJI subtitles): " \
           "read as UTC time, which puts them in the log's time" in said
    laser_warnings = [s for s in said if "laser" in s]
    if warning is None:
        assert laser_warnings == []
    else:
        assert len(laser_warnings) == 1 and warning in laser_warnings[0]
        assert laser_warnings[0].startswith(str(picture))


def test_shots_that_carry_their_own_pose_are_analysed_without_a_log(tmp_path):
    """``dronewatch analyse FRAMES`` with no --log, as for a DJI aircraft: the shot with
    its pose (and laser) is placed, a frame without a pose of its own is skipped and
    counted, and the flown track is drawn through the shots' own positions."""
    pose = read_frame(H20T).pose
    distance = 10.508 / math.sin(math.radians(-PITCH))
    frames = tmp_path / "frames"
    frames.mkdir()
    with_dji_xmp(H20T, frames / "DJI_0001_R.JPG", {"LRFStatus": "Normal",
                                                 "LRFTargetDistance": f"{distance:.3f}"})
    write_frame(Frame(np.full((512, 640), 30000, np.uint16), PixelUnit.CENTI_KELVIN,
                      read_frame(H20T).time_unix_s + 2.0, camera_preset("dji-h20t")),
                frames / "unposed.tiff")
    mapdata = tmp_path / "mapdata"
    mapdata.mkdir()
    (mapdata / "zones.geojson").write_text(json.dumps(_zones_document(pose.lat_deg,
                                                                      pose.lon_deg)))
    _plane_dem(mapdata / "dem.tif", pose.lat_deg, pose.lon_deg, TAKEOFF_M).close()
    result = CliRunner().invoke(app, [
        "analyse", str(frames), "--store", str(tmp_path / "s.sqlite"), "--out-dir",
        str(tmp_path / "out"), "--json"], env={"DRONEWATCH_MAPDATA": str(mapdata)})
    assert result.exit_code == 3, result.output  # 3: no person raised the alarm
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["log"] is None and report["frames"] == 1
    assert report["posed_by"] == {"own pose, height from its laser": 1}
    assert report["skipped"] == {"no pose of its own, and no log": 1}
    with Store(tmp_path / "s.sqlite") as store:
        (flight,) = store.flights(report["mission_id"])
        (point,) = store.track(flight.id)
    assert (point.lat_deg, point.lon_deg) == pytest.approx((pose.lat_deg, pose.lon_deg))
    # the H20T's EXIF time has no zone: it is read as the station's wall-clock time
    station = datetime(2021, 5, 28, 10, 33, 46, tzinfo=ZoneInfo(DEFAULT_TIMEZONE))
    assert point.time_unix_s == pytest.approx(station.timestamp())
    assert "Flown track" in (tmp_path / "out" / "analysis-map.html").read_text()
    # the same frames against another area's DEM: skipped and said, not looked at in vain
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "zones.geojson").write_text(json.dumps(_zones_document(44.6, 88.6)))
    _plane_dem(elsewhere / "dem.tif", 44.6, 88.6, 900.0).close()
    result = CliRunner().invoke(app, [
        "analyse", str(frames), "--store", str(tmp_path / "s.sqlite"), "--out-dir",
        str(tmp_path / "out")], env={"DRONEWATCH_MAPDATA": str(elsewhere), "COLUMNS": "200"})
    assert result.exit_code == 1
    assert "taken outside the DEM" in result.output
    assert "no frame could be analysed (1 no pose of its own, and no log; 1 taken outside " \
           "the DEM)" in result.output
