"""Real radiometric JPEGs (FLIR and DJI) read into frames, checked against ExifTool.

The files are in ../shared/data/thermal-jpeg (see its README); each NAME.txt beside a
picture is ExifTool's dump of it. Some pictures there were re-saved after their dump
was made (the M3T and five M30T files lost their XMP and GPS): a dump is used only
where its file size matches the picture's.
"""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from rasterio.transform import from_origin
from scipy.stats import spearmanr

from dronewatch.geo import LocalFrame, Terrain, pixel_to_ground
from dronewatch.thermal import FrameTally, PixelUnit, read_frame, read_frames
from dronewatch.thermal.sources import (
    PaletteError,
    overlay_mask,
    palette_to_intensity,
    read_thermal_jpeg,
)
from dronewatch.thermal.sources._segments import read_segments
from dronewatch.thermal.sources.dji import dji_raw_counts
from tests.conftest import write_geotiff

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
DATA = SHARED / "thermal-jpeg"
pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data/thermal-jpeg absent")

FLIR_FORMAT = ("DJI_XT2.jpg", "DJI_XTR.jpg", "FLIR.jpg", "FLIR_AX8.jpg", "FLIR_B60.jpg",
               "FLIR_E40.jpg", "FLIR_T640.jpg")


def pictures() -> list[Path]:
    if not DATA.is_dir():
        return []
    return sorted(p for p in DATA.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg"))


def dump(picture: Path) -> dict[str, str] | None:
    """ExifTool's dump of a picture (UTF-16 with BOM, or UTF-8), when it is of this file."""
    raw = picture.with_suffix(".txt").read_bytes()
    text = raw.decode("utf-16") if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else raw.decode()
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    size = re.fullmatch(r"([\d.]+) (KiB|MiB)", fields["File Size"])
    assert size is not None
    kib = float(size[1]) * (1024 if size[2] == "MiB" else 1)
    return fields if abs(kib - picture.stat().st_size / 1024) <= 1.0 else None


def dms(text: str) -> float:
    deg, minutes, seconds, ref = re.fullmatch(
        r"(\d+) deg (\d+)' ([\d.]+)\" ([NSEW])", text).groups()  # type: ignore[union-attr]
    value = float(deg) + float(minutes) / 60 + float(seconds) / 3600
    return -value if ref in "SW" else value


def read(picture: Path):
    return read_thermal_jpeg(picture.read_bytes(), str(picture))


@pytest.mark.parametrize("picture", pictures(), ids=lambda p: str(p.relative_to(DATA)))
def test_every_thermal_jpeg_reads_with_the_unit_its_format_allows(picture):
    frame = read(picture)
    if picture.name in FLIR_FORMAT:
        assert frame.unit is PixelUnit.CELSIUS and np.isfinite(frame.pixels).all()
    else:  # DJI R-JPEG: raw counts, never passed off as a temperature
        assert frame.unit is PixelUnit.RAW_COUNTS and not frame.unit.radiometric
        with pytest.raises(ValueError):
            frame.celsius()
    info = dump(picture)
    if info is not None and "Raw Thermal Image Width" in info:
        assert frame.pixels.shape == (int(info["Raw Thermal Image Height"]),
                                      int(info["Raw Thermal Image Width"]))
    if info is not None and info.get("Field Of View", "0.0 deg") != "0.0 deg" \
            and picture.name.startswith("FLIR"):
        assert frame.camera.hfov_deg == pytest.approx(float(info["Field Of View"].split()[0]),
                                                      abs=0.05)


@pytest.mark.parametrize("name", ["DJI_XT2.jpg", "DJI_XTR.jpg"])
def test_dji_flir_cored_raw_values_match_the_cameras_own_span(name):
    """XT2/XT-R store the raw span they saw; our decode of the little-endian FFF must agree."""
    from dronewatch.thermal.sources.flir import read_flir
    info = dump(DATA / name)
    raw = read_flir((DATA / name).read_bytes()).raw.astype(int)
    assert raw.max() - raw.min() == int(info["Raw Value Range"])
    assert (raw.max() + raw.min()) / 2 == pytest.approx(int(info["Raw Value Median"]), abs=0.5)


# What each camera itself showed on its picture: the spot meter at the image centre
# (B60: 19.0 °F, E40: "Spot 20.9 °C") and the AX8's maximum (25.5 °C).
CAMERA_READOUTS = [("FLIR_B60.jpg", "centre", (19.0 - 32) / 1.8),
                   ("FLIR_E40.jpg", "centre", 20.9), ("FLIR_AX8.jpg", "max", 25.5)]


@pytest.mark.parametrize(("name", "where", "shown_c"), CAMERA_READOUTS)
def test_flir_temperatures_match_what_the_camera_showed(name, where, shown_c):
    celsius = read(DATA / name).pixels
    h, w = celsius.shape
    value = celsius[h // 2 - 1:h // 2 + 1, w // 2 - 1:w // 2 + 1].mean() if where == "centre" \
        else celsius.max()
    assert value == pytest.approx(shown_c, abs=0.3)


def posed_dji_files() -> list[Path]:
    return [p for p in pictures() if p.name.startswith("DJI") and p.name not in FLIR_FORMAT[:2]
            and (info := dump(p)) is not None and "Absolute Altitude" in info] \
        + [DATA / n for n in FLIR_FORMAT[:2] if DATA.is_dir()]


@pytest.mark.parametrize("picture", posed_dji_files(), ids=lambda p: p.name)
def test_dji_pose_matches_exiftool(picture):
    info = dump(picture)
    frame = read(picture)
    pose = frame.pose
    assert pose is not None
    lat, lon = (dms(v.strip()) for v in info["GPS Position"].split(","))
    assert (pose.lat_deg, pose.lon_deg) == pytest.approx((lat, lon), abs=1e-5)
    assert pose.alt_amsl_m == pytest.approx(float(info["Absolute Altitude"]), abs=1e-3)
    assert pose.attitude.yaw_deg == pytest.approx(float(info["Flight Yaw Degree"]))
    assert pose.gimbal.pitch_deg == pytest.approx(float(info["Gimbal Pitch Degree"]))
    earth_yaw = pose.attitude.yaw_deg + pose.gimbal.yaw_deg  # gimbal yaw is earth-referenced
    assert (earth_yaw - float(info["Gimbal Yaw Degree"]) + 180) % 360 - 180 == pytest.approx(0)


def with_dumped_xmp(picture: Path, tmp_path: Path) -> Path:
    """A copy whose DJI XMP (stripped from the shared file) is put back from its dump.

    The shared M3T pictures lost their XMP after ExifTool dumped them; the dump still
    holds what the drone wrote, so the packet is rebuilt the way DJI lays it out.
    """
    text = picture.with_suffix(".txt").read_text()
    fields = dict((k.strip(), v.strip()) for k, _, v in
                  (line.partition(":") for line in text.splitlines()))
    lat, lon = (dms(v.strip()) for v in fields["GPS Position"].split(","))
    attrs = {"GpsLatitude": f"{lat:+.9f}", "GpsLongitude": f"{lon:+.9f}"}
    for key in ("Absolute Altitude", "Relative Altitude", "Gimbal Roll Degree",
                "Gimbal Yaw Degree", "Gimbal Pitch Degree", "Flight Roll Degree",
                "Flight Yaw Degree", "Flight Pitch Degree"):
        attrs[key.replace(" ", "")] = fields[key]
    body = "\n".join(f'   drone-dji:{k}="{v}"' for k, v in attrs.items())
    packet = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf='
              '"http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about='
              f'"DJI Meta Data" xmlns:drone-dji="http://www.dji.com/drone-dji/1.0/"\n{body}>'
              "</rdf:Description></rdf:RDF></x:xmpmeta>").encode()
    payload = b"http://ns.adobe.com/xap/1.0/\x00" + packet
    data = picture.read_bytes()
    segment = b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload
    out = tmp_path / picture.name
    out.write_bytes(data[:2] + segment + data[2:])
    return out


@pytest.fixture(scope="module")
def flat_dem(tmp_path_factory):
    """A factory of flat DEMs at a given height around a given point."""
    made = []

    def make(lat, lon, height_m):
        frame = LocalFrame(lat, lon)
        path = write_geotiff(tmp_path_factory.mktemp("flat") / "flat.tif",
                             np.full((400, 400), height_m), crs=frame.crs.to_wkt(),
                             transform=from_origin(-2000.0, 2000.0, 10.0, 10.0))
        terrain = Terrain(path)
        made.append(terrain)
        return terrain

    yield make
    for terrain in made:
        terrain.close()


CENTRE_CASES = [("DJI_H20T.jpg", False), ("M3T/DJI_0001_R.JPG", True),
                ("M3T/DJI_0003_R.JPG", True), ("M3T/DJI_0005_R.JPG", True)]


@pytest.mark.parametrize(("name", "restore"), CENTRE_CASES)
def test_image_centre_lands_where_the_metadata_pose_says(name, restore, tmp_path, flat_dem):
    """Flat ground at take-off height; pitch below the horizon, yaw from north (earth)."""
    picture = with_dumped_xmp(DATA / name, tmp_path) if restore else DATA / name
    frame = read_frame(picture)
    info = dump(DATA / name) if not restore else dict(
        (k.strip(), v.strip()) for k, _, v in (line.partition(":") for line in
                                               (DATA / name).with_suffix(".txt")
                                               .read_text().splitlines()))
    relative = float(info["Relative Altitude"])
    takeoff = float(info["Absolute Altitude"]) - relative
    pitch = float(info["Gimbal Pitch Degree"])
    yaw = float(info["Gimbal Yaw Degree"])  # earth-referenced: NOT added to the flight yaw
    distance = relative / math.tan(math.radians(-pitch))
    pose = frame.pose
    terrain = flat_dem(pose.lat_deg, pose.lon_deg, takeoff)
    u, v = frame.camera.principal_point_px
    hit = pixel_to_ground(terrain, frame.camera, pose, [u], [v])
    assert hit.hit[0]
    east, north = LocalFrame(pose.lat_deg, pose.lon_deg).to_local(hit.lat_deg[0],
                                                                 hit.lon_deg[0])
    tolerance = 0.01 * distance + 1.0
    assert east == pytest.approx(distance * math.sin(math.radians(yaw)), abs=tolerance)
    assert north == pytest.approx(distance * math.cos(math.radians(yaw)), abs=tolerance)
    assert hit.alt_amsl_m[0] == pytest.approx(takeoff, abs=0.5)


def test_a_camera_looking_above_the_horizon_meets_no_flat_ground(flat_dem):
    frame = read(DATA / "DJI_XTS.jpg")  # gimbal pitch +19.9°
    pose = frame.pose
    terrain = flat_dem(pose.lat_deg, pose.lon_deg, pose.alt_amsl_m - 37.7)
    u, v = frame.camera.principal_point_px
    assert not pixel_to_ground(terrain, frame.camera, pose, [u], [v]).hit[0]


GREY_DJI = [p for p in pictures() if p.parent.name in ("M30T", "M3T", "H20T", "XTS")]


@pytest.mark.parametrize("picture", GREY_DJI, ids=lambda p: str(p.relative_to(DATA)))
def test_dji_raw_counts_follow_the_picture_or_its_palette_is_refused(picture):
    """Raw counts are laid out as the picture; a palette picture is inverted or refused."""
    from PIL import Image
    raw = dji_raw_counts(read_segments(picture.read_bytes()))
    description = Image.open(picture).getexif().get(0x010E, "")
    try:
        levels = palette_to_intensity(cv2.imread(str(picture)), description=description).levels
    except PaletteError:
        return  # refused, not silently wrong
    small = cv2.resize(levels, raw.shape[::-1], interpolation=cv2.INTER_AREA)
    # XT S pictures are contrast-enhanced locally, hence their lower rank agreement
    assert spearmanr(small.ravel(), raw.ravel())[0] >= (0.75 if "XTS" in str(picture) else 0.9)


def test_a_known_palette_is_inverted_back_to_the_sensor_order():
    raw = dji_raw_counts(read_segments((DATA / "M3T/DJI_0001_R.JPG").read_bytes()))
    grey = cv2.normalize(raw.astype(np.float32), None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    _, jpeg = cv2.imencode(".jpg", cv2.applyColorMap(grey, cv2.COLORMAP_INFERNO),
                            [cv2.IMWRITE_JPEG_QUALITY, 90])
    result = palette_to_intensity(cv2.imdecode(jpeg, cv2.IMREAD_COLOR))
    assert result.palette == "inferno"
    assert spearmanr(result.levels.ravel(), raw.ravel())[0] >= 0.98


def test_an_unknown_palette_is_refused_with_the_reason():
    with pytest.raises(PaletteError, match="unknown palette"):
        palette_to_intensity(cv2.imread(str(DATA / "DJI_H20T.jpg")))  # DJI rainbow


OSD = (slice(14, 56), slice(24, 260))  # where the M30T writes date and position


@pytest.mark.parametrize("name", ["M30T/DJI_0013_R.JPG", "M30T/DJI_0014_R.JPG"])
def test_burned_in_text_is_masked(name):
    levels = cv2.imread(str(DATA / name), cv2.IMREAD_GRAYSCALE)
    mask = overlay_mask(levels)
    bright_text = (levels[OSD] >= 200) & (cv2.morphologyEx(
        levels, cv2.MORPH_TOPHAT, np.ones((15, 15), np.uint8))[OSD] >= 80)
    assert mask[OSD][bright_text].mean() >= 0.95
    outside = mask.copy()
    outside[OSD] = False
    assert outside.mean() <= 0.02


def test_a_word_of_touching_letters_is_text_and_two_strokes_below_it_are_not():
    # one thin zigzag (anti-aliased letters run together: one component, seven letters
    # wide) above and right of two lone strokes. Letters were once counted in labelling
    # order but read in left-to-right order: the strokes got the word's seven letters
    # and were masked, the word got one and was not.
    levels = np.full((240, 320), 60, np.uint8)
    zigzag = np.array([(200 + 4 * k, 30 if k % 2 else 40) for k in range(11)], np.int32)
    cv2.polylines(levels, [zigzag], False, 255, 1)
    for x in (20, 34):
        cv2.line(levels, (x, 150), (x + 4, 160), 255, 1)
    mask = overlay_mask(levels)
    assert mask[30:41, 200:241].all()
    assert not mask[140:170, 10:50].any()


@pytest.mark.parametrize("name", ["M30T/DJI_0001_R.JPG", "M30T/DJI_0003_R.JPG",
                                  "M30T/DJI_0015_R.JPG", "M3T/DJI_0002_R.JPG"])
def test_scenes_without_text_keep_nearly_all_their_pixels(name):
    levels = cv2.imread(str(DATA / name), cv2.IMREAD_GRAYSCALE)
    assert overlay_mask(levels).mean() <= 0.005


@pytest.mark.skipif(not (SHARED / "hit-uav").is_dir(), reason="HIT-UAV absent")
def test_people_in_real_thermal_frames_are_not_taken_for_text():
    data = json.loads((SHARED / "hit-uav/annotations/val.json").read_text())
    names = {im["id"]: im["filename"] for im in data["images"]}
    people: dict[int, list] = {}
    for ann in data["annotation"]:
        if ann["category_id"] == 0:
            people.setdefault(ann["image_id"], []).append(ann["bbox"])
    masked = total = 0
    for image_id, boxes in sorted(people.items())[:120]:
        levels = cv2.imread(str(SHARED / "hit-uav/val" / names[image_id]), cv2.IMREAD_GRAYSCALE)
        mask = overlay_mask(levels)
        for x, y, w, h in boxes:
            total += 1
            masked += bool(mask[int(y + h / 2), int(x + w / 2)])
    assert total > 300 and masked / total <= 0.01


def test_read_frames_recognises_radiometric_jpegs_and_skips_bad_ones(tmp_path):
    for name in ("FLIR_E40.jpg", "DJI_H20T.jpg", "M3T/DJI_0002_R.JPG"):
        shutil.copy(DATA / name, tmp_path / Path(name).name.replace("DJI_", "x-"))
    truncated = tmp_path / "y-truncated.jpg"
    truncated.write_bytes((DATA / "DJI_XT2.jpg").read_bytes()[:3000])
    shutil.copy(DATA / "FLIR_B60.jpg", tmp_path / "z-renamed.jpeg")
    tally = FrameTally()
    frames = list(read_frames([tmp_path], tally))
    assert sorted(f.unit.value for f in frames) == ["celsius", "celsius", "raw-counts",
                                                    "raw-counts"]
    assert tally.read == 4 and [Path(e.path).name for e in tally.skipped] == ["y-truncated.jpg"]
