"""What DJI writes in a shot's XMP beyond its pose: the laser range and which camera took it.

The fields are written into a real DJI H20T R-JPEG's XMP the way DJI lays them out.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from dronewatch.thermal import FrameError, PixelUnit, read_frame
from dronewatch.thermal.laserrange import LaserRange
from dronewatch.thermal.sources import read_metadata

H20T = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "thermal-jpeg" \
    / "DJI_H20T.jpg"
pytestmark = pytest.mark.skipif(not H20T.is_file(), reason="../shared/data/thermal-jpeg absent")


def _xmp_packet(picture: Path) -> tuple[bytes, int, int]:
    """(packet, start, end) of the picture's XMP APP1 segment."""
    data, head, at = picture.read_bytes(), b"http://ns.adobe.com/xap/1.0/\x00", 2
    while data[at] == 0xFF and data[at + 1] != 0xDA:
        length = int.from_bytes(data[at + 2:at + 4], "big")
        if data[at + 1] == 0xE1 and data[at + 4:at + 4 + len(head)] == head:
            return data[at + 4 + len(head):at + 2 + length], at, at + 2 + length
        at += 2 + length
    raise AssertionError(f"{picture}: no XMP")


def with_dji_xmp(picture: Path, out: Path, fields: dict[str, str]) -> Path:
    """A copy of a DJI picture with more fields in its XMP, laid out as DJI writes them."""
    packet, start, end = _xmp_packet(picture)
    text = packet.decode()
    anchor = "   drone-dji:FlightRollDegree="
    assert anchor in text
    added = "".join(f'   drone-dji:{key}="{value}"\n' for key, value in fields.items())
    body = b"http://ns.adobe.com/xap/1.0/\x00" + text.replace(anchor, added + anchor, 1).encode()
    data = picture.read_bytes()
    out.write_bytes(data[:start] + b"\xff\xe1" + (len(body) + 2).to_bytes(2, "big") + body
                    + data[end:])
    return out


@pytest.mark.parametrize(("status", "distance", "kept"), [
    ("Normal", "57.612", True), ("NORMAL", "57.612", True), ("TooFar", "57.612", False),
    ("NoSignal", "0.000", False), ("Normal", "0.000", False), ("Normal", "nan", False)])
def test_only_a_normal_laser_status_with_a_range_is_a_measurement(tmp_path, status,
                                                                   distance, kept):
    picture = with_dji_xmp(H20T, tmp_path / "shot.jpg", {
        "LRFStatus": status, "LRFTargetDistance": distance, "LRFTargetLon": "-79.7645",
        "LRFTargetLat": "40.5642", "LRFTargetAbsAlt": "204.900"})
    laser = read_metadata(picture.read_bytes()).laser
    assert (laser is not None) is kept
    if kept:
        assert laser == LaserRange(57.612, 40.5642, -79.7645, 204.9)


@pytest.mark.parametrize(("source", "refused"), [
    ("WideCamera", True), ("ZoomCamera", True), ("VisibleCamera", True),
    ("InfraredCamera", False)])
def test_a_dji_payloads_visible_light_photo_is_skipped_with_its_camera_named(
        tmp_path, source, refused):
    """An H20T or M30T saves each shot once per camera in one folder (_W, _Z beside _T):
    the visible ones are said to be what they are, not refused as an unknown palette."""
    picture = with_dji_xmp(H20T, tmp_path / "DJI_0001_W.JPG", {"ImageSource": source})
    if refused:
        with pytest.raises(FrameError, match=rf"visible-light photo: taken by the drone's "
                                             rf"{source}"):
            read_frame(picture)
    else:
        assert read_frame(picture).unit is PixelUnit.RAW_COUNTS


@pytest.mark.parametrize(("name", "refused"), [
    ("DJI_0001_W.JPG", True), ("DJI_20240131222504_0002_Z.jpg", True),
    ("DJI_0003_V.JPG", True), ("DJI_0004_T.JPG", False), ("DJI_0005_R.JPG", False),
    ("W.JPG", False)])
def test_a_dji_visible_photo_without_its_camera_in_the_xmp_is_known_by_its_name(
        tmp_path, name, refused):
    picture = tmp_path / name
    picture.write_bytes(H20T.read_bytes())  # this file's XMP names no camera
    if refused:
        with pytest.raises(FrameError, match=r"visible-light photo: a DJI _[WZV] file"):
            read_frame(picture)
    else:
        assert read_frame(picture).unit is PixelUnit.RAW_COUNTS


def test_an_exif_time_without_a_zone_is_said_to_be_one_and_dji_utc_is_not():
    """The H20T writes only EXIF DateTimeOriginal, local wall-clock time of no stated
    zone: the frame says so, for whoever knows the camera's zone (the analysis reads it
    in the station's). Newer DJI drones also write UTCAtExposure, which is UTC."""
    frame = read_frame(H20T)
    assert not frame.time_zone_known
    assert frame.time_unix_s == datetime(2021, 5, 28, 10, 33, 46, tzinfo=UTC).timestamp()


def test_dji_utc_at_exposure_is_a_time_with_its_zone(tmp_path):
    picture = with_dji_xmp(H20T, tmp_path / "shot.jpg",
                           {"UTCAtExposure": "2021:05:28 02:33:46.250000"})
    frame = read_frame(picture)
    assert frame.time_zone_known
    assert frame.time_unix_s == datetime(2021, 5, 28, 2, 33, 46, 250000, tzinfo=UTC).timestamp()

