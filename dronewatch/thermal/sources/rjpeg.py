"""A radiometric JPEG from a thermal camera, read into a :class:`Frame`.

What each format gives (see the package docstring for the table):

- FLIR FFF (FLIR's own cameras, DJI Zenmuse XT/XT-R/XT2): temperatures in °C
  through flyr, with the file's calibration; camera from the stored field of view or
  the EXIF focal length; pose from DJI's XMP where present.
- DJI R-JPEG (H20T/H20N/H30T, M30T, M3T/M3TD, M2EA, M4T, XT S): raw 16-bit counts as
  :attr:`PixelUnit.RAW_COUNTS` (uncalibrated: DJI's SDK is not available), camera
  from EXIF focal length (times any digital zoom) and the core's pixel pitch, pose
  and laser range from XMP/EXIF.
- Any other JPEG: the 8-bit picture, grey as it is or a palette inverted to grey
  (refused when no known palette fits), with burned-in text masked.
"""

from __future__ import annotations

import re
from pathlib import PurePath

import cv2
import numpy as np

from dronewatch.geo.camera import CameraModel
from dronewatch.thermal.frame import Frame, PixelUnit
from dronewatch.thermal.sources._segments import JpegError, read_segments
from dronewatch.thermal.sources.camera import camera_for
from dronewatch.thermal.sources.dji import dji_raw_counts
from dronewatch.thermal.sources.flir import FlirError, read_flir
from dronewatch.thermal.sources.metadata import ShotMetadata, read_metadata
from dronewatch.thermal.sources.overlay import overlay_mask
from dronewatch.thermal.sources.palette import PaletteError, grey_levels, palette_to_intensity

__all__ = ["JpegFrameError", "read_thermal_jpeg"]

#: DJI's multi-camera payloads (H20T, M30T, M3T) save each shot once per camera in the
#: same folder (``_W``, ``_Z``, ``_V`` beside ``_T``/``_R``) and name the camera in their
#: XMP; files whose XMP does not say are known by that name
VISIBLE_CAMERAS = frozenset({"WideCamera", "ZoomCamera", "VisibleCamera"})
_VISIBLE_NAME = re.compile(r"DJI_\w*_([WZV])\.(?:jpe?g|mp4|mov)", re.IGNORECASE)


def visible_camera_letter(name: str) -> str | None:
    """W, Z or V when a DJI file's name says a visible-light camera took it, else None."""
    found = _VISIBLE_NAME.fullmatch(PurePath(name).name)
    return found[1].upper() if found else None


class JpegFrameError(ValueError):
    """A thermal JPEG that cannot become a frame; ``kind`` is the short reason."""

    def __init__(self, kind: str, detail: str) -> None:
        self.kind = kind
        super().__init__(f"{kind}: {detail}")


def _camera(meta: ShotMetadata, shape: tuple[int, int], camera: CameraModel | None,
            hfov_deg: float | None = None) -> CameraModel:
    height, width = shape
    if camera is not None:
        if (camera.width_px, camera.height_px) != (width, height):
            raise JpegFrameError("mismatched", f"image is {width}x{height}, camera "
                                 f"{camera.name!r} is {camera.width_px}x{camera.height_px}")
        return camera
    found = camera_for(meta.model, width, height, focal_length_mm=meta.focal_length_mm,
                       digital_zoom=meta.digital_zoom,
                       hfov_deg=hfov_deg)
    if found is None:
        raise JpegFrameError("no camera", f"camera model {meta.model!r} is not known and the "
                             "file states no field of view; name one in a sidecar or by argument")
    return found


def read_thermal_jpeg(data: bytes, source: str = "", *, camera: CameraModel | None = None,
                      time_unix_s: float | None = None) -> Frame:
    """A frame from a thermal JPEG's bytes; the keyword arguments fill what the file lacks.

    Raises
    ------
    JpegFrameError
        Not a JPEG, a visible-light photo of a DJI multi-camera payload, a palette
        picture in an unknown palette, an unknown camera, or a corrupt radiometric
        payload.
    """
    try:
        segments = read_segments(data)
    except JpegError as exc:
        raise JpegFrameError("unreadable", str(exc)) from exc
    meta = read_metadata(data)
    if meta.image_source in VISIBLE_CAMERAS:
        raise JpegFrameError("visible-light photo", f"taken by the drone's "
                             f"{meta.image_source}, not its thermal camera")
    letter = visible_camera_letter(source)
    if not meta.image_source and letter:
        raise JpegFrameError("visible-light photo", f"a DJI _{letter} file (wide, zoom or "
                             "visible camera), not the thermal camera's")
    when = meta.time_unix_s if meta.time_unix_s is not None else time_unix_s
    zone_known = meta.time_unix_s is None or meta.time_zone_known
    when = 0.0 if when is None else when
    pose = meta.pose()
    if segments.starting_with(0xE1, b"FLIR\x00"):
        try:
            flir = read_flir(data)
        except FlirError as exc:
            raise JpegFrameError("bad radiometric data", str(exc)) from exc
        cam = _camera(meta, flir.celsius.shape, camera, flir.hfov_deg)
        return Frame(flir.celsius, PixelUnit.CELSIUS, when, cam, pose, source, laser=meta.laser,
                     time_zone_known=zone_known)
    raw = dji_raw_counts(segments)
    if raw is not None:
        if not raw.any():
            raise JpegFrameError("bad pixels", "all raw counts are zero (sensor dropout)")
        return Frame(raw, PixelUnit.RAW_COUNTS, when, _camera(meta, raw.shape, camera), pose,
                     source, laser=meta.laser, time_zone_known=zone_known)
    picture = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if picture is None or picture.dtype != np.uint8 or picture.ndim not in (2, 3):
        raise JpegFrameError("unreadable", "not a decodable image (truncated or corrupt?)")
    try:
        if picture.ndim == 2:  # a grey JPEG (one channel): no palette to invert
            levels = grey_levels(picture, meta.description)
        else:
            levels = palette_to_intensity(picture[..., :3], description=meta.description)
    except PaletteError as exc:
        raise JpegFrameError("unknown palette", str(exc)) from exc
    mask = overlay_mask(levels.levels, extra=levels.off_palette)
    cam = _camera(meta, levels.levels.shape, camera)
    return Frame(levels.levels, PixelUnit.AGC_8BIT, when, cam, pose, source,
                 mask if mask.any() else None, meta.laser, zone_known)
