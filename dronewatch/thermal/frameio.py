"""Reading and writing frame files, where a bad file is skipped and counted, never fatal.

Why sidecars: 16-bit TIFF/PNG and ``.npy`` hold pixels but not the pose or the unit,
and camera vendors each hide those in their own metadata. A small JSON file beside
each frame (``frame.tiff`` + ``frame.json``) is the one format every source can be
converted to, and a person can read and fix it. Ordinary 8-bit JPEG/PNG video grabs
are read as AGC frames; their sidecar, when present, adds time and pose.

JPEGs go through :mod:`dronewatch.thermal.sources`: radiometric ones (FLIR FFF, DJI
R-JPEG) are recognised by their content, whatever their name, and give temperatures
or raw counts with the pose and camera written in the file; palette pictures are
inverted to grey or refused; burned-in text is masked (``Frame.overlay_mask``).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from dronewatch.errors import DronewatchError
from dronewatch.geo.attitude import Attitude, GimbalAttitude
from dronewatch.geo.camera import CameraModel, camera_preset
from dronewatch.geo.projection import CameraPose
from dronewatch.thermal.frame import Frame, PixelUnit
from dronewatch.thermal.sources import JpegFrameError, read_thermal_jpeg

__all__ = ["FrameError", "FrameTally", "read_frame", "read_frames", "write_frame"]

FRAME_SUFFIXES = (".tif", ".tiff", ".png", ".npy", ".jpg", ".jpeg")


class FrameError(DronewatchError, ValueError):
    """A frame file that cannot be used; names the file and what is wrong with it."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{path}: {reason}")


@dataclass
class FrameTally:
    """How many frames were read, and which were skipped and why."""

    read: int = 0
    skipped: list[FrameError] = field(default_factory=list)

    @property
    def reasons(self) -> Counter[str]:
        return Counter(error.reason.split(":")[0] for error in self.skipped)


# What a sidecar edited by hand or by another tool raises when read: a member missing
# (KeyError), of another JSON type (TypeError, AttributeError), not a number (ValueError),
# an infinite number where a whole one belongs (OverflowError).
_SIDECAR_MISTAKES = (KeyError, TypeError, AttributeError, ValueError, OverflowError)


def _finite(value: Any) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"time_unix_s {value!r} is not a finite number")
    return number


def sidecar_path(path: Path) -> Path:
    return path.with_suffix(".json")


def _pose_from_json(data: dict[str, Any]) -> CameraPose:
    att = data.get("attitude", {})
    gim = data.get("gimbal", {})
    return CameraPose(
        float(data["lat_deg"]), float(data["lon_deg"]), float(data["alt_amsl_m"]),
        Attitude(float(att.get("roll_deg", 0)), float(att.get("pitch_deg", 0)),
                 float(att.get("yaw_deg", 0))),
        GimbalAttitude(float(gim.get("pitch_deg", -90)), float(gim.get("roll_deg", 0)),
                       float(gim.get("yaw_deg", 0)), bool(gim.get("stabilised", True))))


def _pose_to_json(pose: CameraPose) -> dict[str, Any]:
    a, g = pose.attitude, pose.gimbal
    return {"lat_deg": pose.lat_deg, "lon_deg": pose.lon_deg, "alt_amsl_m": pose.alt_amsl_m,
            "attitude": {"roll_deg": a.roll_deg, "pitch_deg": a.pitch_deg, "yaw_deg": a.yaw_deg},
            "gimbal": {"pitch_deg": g.pitch_deg, "roll_deg": g.roll_deg, "yaw_deg": g.yaw_deg,
                       "stabilised": g.stabilised}}


def _camera_from_json(value: Any) -> CameraModel:
    if isinstance(value, str):
        return camera_preset(value)
    return CameraModel(int(value["width_px"]), int(value["height_px"]),
                       float(value["hfov_deg"]), str(value.get("name", "camera")))


def _camera_to_json(camera: CameraModel) -> dict[str, Any]:
    return {"width_px": camera.width_px, "height_px": camera.height_px,
            "hfov_deg": camera.hfov_deg, "name": camera.name}


def _read_pixels(path: Path) -> NDArray:
    if path.suffix.lower() == ".npy":
        try:
            return np.load(path, allow_pickle=False)
        except (ValueError, OSError, EOFError) as exc:
            raise FrameError(path, f"unreadable: {exc}") from exc
    pixels = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if pixels is None:
        raise FrameError(path, "unreadable: not a decodable image (truncated or corrupt?)")
    if pixels.ndim == 3:  # 8-bit grabs are often saved as three equal channels
        if pixels.dtype != np.uint8:
            raise FrameError(path, f"unsupported: {pixels.dtype} colour image")
        pixels = cv2.cvtColor(pixels[..., :3], cv2.COLOR_BGR2GRAY)
    return pixels


def _check_pixels(path: Path, pixels: NDArray, unit: PixelUnit) -> None:
    if pixels.dtype != unit.dtype:
        raise FrameError(path, f"mismatched: {unit.value} frames are {unit.dtype}, "
                               f"the file holds {pixels.dtype}")
    if pixels.dtype.kind == "f" and not np.isfinite(pixels).all():
        raise FrameError(path, "bad pixels: NaN or infinite values")
    if not pixels.any():
        raise FrameError(path, "bad pixels: all zero (sensor dropout)")


def read_frame(path: Path | str, *, camera: CameraModel | None = None,
               unit: PixelUnit | None = None, time_unix_s: float | None = None) -> Frame:
    """Read one frame and its sidecar; the keyword arguments fill what the files lack.

    Raises
    ------
    FrameError
        The file or its sidecar is unreadable, corrupt, or does not match (size, unit).
    """
    path = Path(path)
    meta: dict[str, Any] = {}
    side = sidecar_path(path)
    if side.exists():
        try:
            meta = json.loads(side.read_text())
            if not isinstance(meta, dict):
                raise ValueError("not a JSON object")
        except (ValueError, OSError) as exc:
            raise FrameError(side, f"bad sidecar: {exc}") from exc
    if path.suffix.lower() in (".jpg", ".jpeg"):
        return _read_jpeg(path, meta, camera, time_unix_s)
    pixels = _read_pixels(path)
    if pixels.ndim != 2:
        raise FrameError(path, f"mismatched: expected a 2-D image, got shape {pixels.shape}")
    try:
        if "unit" in meta:
            unit = PixelUnit(meta["unit"])
        cam = _camera_from_json(meta["camera"]) if "camera" in meta else camera
        pose = _pose_from_json(meta["pose"]) if "pose" in meta else None
        when = _finite(meta.get("time_unix_s", time_unix_s if time_unix_s is not None else 0.0))
    except _SIDECAR_MISTAKES as exc:
        raise FrameError(side, f"bad sidecar: {type(exc).__name__}: {exc}") from exc
    if unit is None:
        unit = PixelUnit.AGC_8BIT if pixels.dtype == np.uint8 else None
        if unit is None:
            raise FrameError(path, f"no unit: {pixels.dtype} pixels need a sidecar naming "
                                   "their unit")
    _check_pixels(path, pixels, unit)
    if cam is None:
        raise FrameError(path, "no camera: name one in the sidecar or by argument")
    if pixels.shape != (cam.height_px, cam.width_px):
        raise FrameError(path, f"mismatched: image is {pixels.shape[1]}x{pixels.shape[0]}, "
                               f"camera {cam.name!r} is {cam.width_px}x{cam.height_px}")
    return Frame(pixels, unit, when, cam, pose, str(path))


def _read_jpeg(path: Path, meta: dict[str, Any], camera: CameraModel | None,
               time_unix_s: float | None) -> Frame:
    """A JPEG through the thermal sources; the sidecar's camera, pose and time win."""
    side = sidecar_path(path)
    try:
        cam = _camera_from_json(meta["camera"]) if "camera" in meta else camera
        pose = _pose_from_json(meta["pose"]) if "pose" in meta else None
        when = _finite(meta["time_unix_s"]) if "time_unix_s" in meta else None
    except _SIDECAR_MISTAKES as exc:
        raise FrameError(side, f"bad sidecar: {type(exc).__name__}: {exc}") from exc
    try:
        data = path.read_bytes()
        frame = read_thermal_jpeg(data, str(path), camera=cam, time_unix_s=time_unix_s)
    except OSError as exc:
        raise FrameError(path, f"unreadable: {exc}") from exc
    except (JpegFrameError, ValueError) as exc:
        raise FrameError(path, str(exc)) from exc
    if pose is not None or when is not None:
        frame = replace(frame, time_unix_s=frame.time_unix_s if when is None else when,
                        pose=pose or frame.pose,
                        time_zone_known=frame.time_zone_known or when is not None)
    _check_pixels(path, frame.pixels, frame.unit)
    return frame


def read_frames(paths: Iterable[Path | str], tally: FrameTally | None = None, *,
                camera: CameraModel | None = None) -> Iterator[Frame]:
    """Frames from files (a directory is read in name order); bad ones go to ``tally``."""
    tally = tally if tally is not None else FrameTally()
    for entry in paths:
        entry = Path(entry)
        files = sorted(p for p in entry.iterdir() if p.suffix.lower() in FRAME_SUFFIXES) \
            if entry.is_dir() else [entry]
        for path in files:
            try:
                frame = read_frame(path, camera=camera)
            except FrameError as error:
                tally.skipped.append(error)
                continue
            tally.read += 1
            yield frame


def write_frame(frame: Frame, path: Path | str) -> Path:
    """Write pixels (``.tiff``, ``.png`` or ``.npy`` by suffix) and the JSON sidecar."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".npy":
        np.save(path, frame.pixels)
    elif frame.unit is PixelUnit.CELSIUS and path.suffix.lower() != ".tiff":
        raise ValueError(f"{path}: float °C frames are written as .tiff or .npy")
    elif not cv2.imwrite(str(path), frame.pixels):
        raise OSError(f"{path}: OpenCV could not write this image format")
    meta: dict[str, Any] = {"time_unix_s": frame.time_unix_s, "unit": frame.unit.value,
                            "camera": _camera_to_json(frame.camera)}
    if frame.pose is not None:
        meta["pose"] = _pose_to_json(frame.pose)
    sidecar_path(path).write_text(json.dumps(meta, indent=1))
    return path
