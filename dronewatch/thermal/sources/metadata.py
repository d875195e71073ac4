"""What a drone wrote about a shot: where it was, how the camera pointed, when, with what.

Why: a radiometric JPEG from a drone is only useful to a search if its pixels can be
put on the ground, and the drone already wrote the pose into the file: GPS in EXIF,
and (DJI) absolute and relative altitude, flight and gimbal attitude in XMP. EXIF is
read with Pillow; XMP with Pillow too, but DJI writes some packets that are not
well-formed XML (the XT S repeats its namespace declaration), so those are read
leniently, field by field, as ExifTool does, instead of being refused.

DJI's angles: ``GimbalYawDegree`` is the camera's heading from true north (earth
frame), not an angle relative to the airframe; ``GimbalPitchDegree`` is from the
horizon (0 level, -90 straight down) and the gimbal holds it whatever the airframe
does. Hence the pose is a stabilised gimbal whose yaw is the earth yaw minus the
flight yaw, so that :class:`~dronewatch.geo.attitude.GimbalAttitude` adds the
flight yaw back.

DJI's laser rangefinder (H20T/H30T, M30T): ``LRFStatus``, ``LRFTargetDistance`` (along
the camera's axis, metres) and the target DJI computed from it (``LRFTargetLat``,
``LRFTargetLon``, ``LRFTargetAbsAlt``). Only a "Normal" status is a measurement; the
others (too close, too far, no return) leave a zero or stale distance behind.
"""

from __future__ import annotations

import calendar
import io
import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.etree.ElementTree import ParseError

from PIL import ExifTags, Image

from dronewatch.geo.attitude import Attitude, GimbalAttitude
from dronewatch.geo.projection import CameraPose
from dronewatch.thermal.laserrange import LaserRange

__all__ = ["ShotMetadata", "read_metadata"]

_ATTR = re.compile(r"([A-Za-z][\w.-]*):([A-Za-z]\w*)\s*=\s*\"([^\"]*)\"")
_ELEM = re.compile(r"<([A-Za-z][\w.-]*):([A-Za-z]\w*)>([^<]*)</\1:\2>")


#: DJI's rangefinders measure about 3-1,200 m; outside this span a value is no range
LASER_RANGE_M = (1.0, 2000.0)


@dataclass(frozen=True, slots=True)
class ShotMetadata:
    """The metadata of one shot that placing it needs; None where the file is silent.

    ``time_zone_known`` is False when the file gives only a local wall-clock time
    (EXIF ``DateTimeOriginal`` without an offset): the time is then read as UTC.
    """

    make: str = ""
    model: str = ""
    description: str = ""
    time_unix_s: float | None = None
    time_zone_known: bool = False
    focal_length_mm: float | None = None
    digital_zoom: float | None = None  # EXIF DigitalZoomRatio: the picture is a zoomed crop
    lat_deg: float | None = None
    lon_deg: float | None = None
    alt_amsl_m: float | None = None
    relative_alt_m: float | None = None
    flight_rpy_deg: tuple[float, float, float] | None = None
    gimbal_rpy_deg: tuple[float, float, float] | None = None
    laser: LaserRange | None = None
    image_source: str = ""  # DJI XMP ImageSource: "InfraredCamera", "WideCamera", ...

    @property
    def takeoff_alt_amsl_m(self) -> float | None:
        """Height of the take-off point: absolute minus relative altitude."""
        if self.alt_amsl_m is None or self.relative_alt_m is None:
            return None
        return self.alt_amsl_m - self.relative_alt_m

    def pose(self) -> CameraPose | None:
        """The camera pose, or None without position, altitude and gimbal angles."""
        if None in (self.lat_deg, self.lon_deg, self.alt_amsl_m) or self.gimbal_rpy_deg is None:
            return None
        roll, pitch, yaw = self.flight_rpy_deg or (0.0, 0.0, 0.0)
        g_roll, g_pitch, g_yaw = self.gimbal_rpy_deg
        relative_yaw = (g_yaw - yaw + 180.0) % 360.0 - 180.0
        try:
            return CameraPose(self.lat_deg, self.lon_deg, self.alt_amsl_m,  # type: ignore[arg-type]
                              Attitude(roll, pitch, yaw),
                              GimbalAttitude(g_pitch, g_roll, relative_yaw, stabilised=True))
        except ValueError:
            return None


def _flatten(value: Any, out: dict[str, str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str):
                out.setdefault(key, item)
            else:
                _flatten(item, out)
    elif isinstance(value, list | tuple):
        for item in value:
            _flatten(item, out)


def _xmp_fields(image: Image.Image) -> dict[str, str]:
    packet = image.info.get("xmp")
    if not packet:
        return {}
    out: dict[str, str] = {}
    try:
        _flatten(image.getxmp(), out)
    except (ParseError, ValueError):  # DJI's malformed packets: read field by field
        text = packet.decode("utf-8", "replace") if isinstance(packet, bytes) else str(packet)
        for _, key, value in (*_ATTR.findall(text), *_ELEM.findall(text)):
            out.setdefault(key, value.strip())
    return out


def _float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _dms(value: Any, ref: Any) -> float | None:
    try:
        deg, minutes, seconds = (float(v) for v in value)
    except (TypeError, ValueError):
        return None
    sign = -1.0 if str(ref).strip().upper() in ("S", "W") else 1.0
    result = sign * (deg + minutes / 60.0 + seconds / 3600.0)
    return result if math.isfinite(result) else None


def _exif_time(exif: dict[str, Any]) -> tuple[float | None, bool]:
    stamp = exif.get("DateTimeOriginal") or exif.get("DateTime")
    if not isinstance(stamp, str):
        return None, False
    offset = exif.get("OffsetTimeOriginal")
    text = stamp.strip().replace("-", ":", 2)
    try:
        when = datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None, False
    seconds = float(calendar.timegm(when.timetuple()))
    sub = str(exif.get("SubsecTimeOriginal") or "").strip()
    if sub.isdigit():
        seconds += float(f"0.{sub}")
    known = False
    if isinstance(offset, str) and re.fullmatch(r"[+-]\d\d:\d\d", offset.strip()):
        sign = -1 if offset.strip()[0] == "-" else 1
        hours, minutes = offset.strip()[1:].split(":")
        seconds -= sign * (int(hours) * 3600 + int(minutes) * 60)
        known = True
    return seconds, known


def _utc_time(value: str | None) -> float | None:
    if not value:
        return None
    try:
        when = datetime.strptime(value.strip()[:26], "%Y:%m:%d %H:%M:%S.%f")
    except ValueError:
        return None
    return calendar.timegm(when.timetuple()) + when.microsecond / 1e6


def _triple(xmp: dict[str, str], prefix: str) -> tuple[float, float, float] | None:
    values = [_float(xmp.get(f"{prefix}{axis}Degree")) for axis in ("Roll", "Pitch", "Yaw")]
    if any(v is None for v in values):
        return None
    return values[0], values[1], values[2]  # type: ignore[return-value]


def _laser(xmp: dict[str, str]) -> LaserRange | None:
    if xmp.get("LRFStatus", "").strip().lower() != "normal":
        return None
    distance = _float(xmp.get("LRFTargetDistance"))
    if distance is None or not LASER_RANGE_M[0] <= distance <= LASER_RANGE_M[1]:
        return None
    lat, lon = _float(xmp.get("LRFTargetLat")), _float(xmp.get("LRFTargetLon"))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180) \
            or lat == lon == 0.0:
        lat = lon = None
    return LaserRange(distance, lat, lon, _float(xmp.get("LRFTargetAbsAlt")))


def read_metadata(data: bytes) -> ShotMetadata:
    """EXIF and XMP of a JPEG's bytes, as far as they are present and readable."""
    try:
        image = Image.open(io.BytesIO(data))
        raw_exif = image.getexif()
        exif: dict[str, Any] = {ExifTags.TAGS.get(k, str(k)): v for k, v in raw_exif.items()}
        exif.update({ExifTags.TAGS.get(k, str(k)): v
                     for k, v in raw_exif.get_ifd(ExifTags.IFD.Exif).items()})
        gps = {ExifTags.GPSTAGS.get(k, str(k)): v
               for k, v in raw_exif.get_ifd(ExifTags.IFD.GPSInfo).items()}
        xmp = _xmp_fields(image)
    except (OSError, ValueError, SyntaxError):
        return ShotMetadata()
    lat = _float(xmp.get("GpsLatitude") or xmp.get("Latitude"))
    lon = _float(xmp.get("GpsLongitude") or xmp.get("Longitude"))
    if lat is None or lon is None:
        lat = _dms(gps.get("GPSLatitude"), gps.get("GPSLatitudeRef"))
        lon = _dms(gps.get("GPSLongitude"), gps.get("GPSLongitudeRef"))
    alt = _float(xmp.get("AbsoluteAltitude"))
    if alt is None and _float(gps.get("GPSAltitude")) is not None:
        below = gps.get("GPSAltitudeRef") in (b"\x01", 1, "1")
        alt = -_float(gps["GPSAltitude"]) if below else _float(gps["GPSAltitude"])  # type: ignore[operator]
    when: float | None = _utc_time(xmp.get("UTCAtExposure"))
    known = when is not None
    if when is None:
        when, known = _exif_time(exif)
    return ShotMetadata(
        make=str(exif.get("Make") or "").strip("\x00 "),
        model=str(exif.get("Model") or xmp.get("Model") or "").strip("\x00 "),
        description=str(exif.get("ImageDescription") or "").strip("\x00 "),
        time_unix_s=when, time_zone_known=known,
        focal_length_mm=_float(exif.get("FocalLength")),
        digital_zoom=_float(exif.get("DigitalZoomRatio")),
        lat_deg=lat, lon_deg=lon, alt_amsl_m=alt,
        relative_alt_m=_float(xmp.get("RelativeAltitude")),
        flight_rpy_deg=_triple(xmp, "Flight"), gimbal_rpy_deg=_triple(xmp, "Gimbal"),
        laser=_laser(xmp), image_source=str(xmp.get("ImageSource", "")).strip())
