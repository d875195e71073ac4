"""FLIR radiometric JPEGs (FFF in APP1) to temperatures, through flyr.

Why flyr: it knows FLIR's record layout and applies FLIR's own Planck and
atmospheric model with each file's calibration constants, so the temperatures match
FLIR Tools within the camera's accuracy. What is added here:

- The record directory is read here, in either byte order: DJI's FLIR-cored
  payloads (Zenmuse XT2, XT-R) write it little-endian, and flyr 5.1 reads directory
  entries from the start of the block instead of from the directory's offset (it
  finds the records of FLIR's own files only because they follow a short header,
  and fails on DJI's with ``KeyError 1``). flyr then reads the raw-data and
  camera-info records it is given.
- The horizontal field of view from the CameraInfo record (offset 0x1B4, as ExifTool
  reads it), so a handheld FLIR file carries its own camera model.

Supported: raw data stored as PNG or as plain 16-bit words (flyr's two cases).
Temperatures use the emissivity, distance and atmosphere stored in the file; a
drone operator who wants other values sets them in the camera before flying.
"""

from __future__ import annotations

import io
import struct

import numpy as np
from flyr.records import extract_flir_app1
from flyr.thermal import parse_camera_info, parse_raw_data
from flyr.thermogram import FlyrThermogram
from numpy.typing import NDArray

__all__ = ["FlirError", "FlirReading", "read_flir"]

_RAW_DATA, _CAMERA_INFO = 1, 32
_FOV_OFFSET = 0x1B4
_FFF_VERSION = 100


class FlirError(ValueError):
    """An FFF payload that cannot be turned into temperatures."""


class FlirReading:
    """Temperatures in °C (float32) and the stored field of view (None when 0/absent)."""

    __slots__ = ("celsius", "hfov_deg", "raw")

    def __init__(self, celsius: NDArray[np.float32], raw: NDArray[np.uint16],
                 hfov_deg: float | None) -> None:
        self.celsius = celsius
        self.raw = raw
        self.hfov_deg = hfov_deg


def _records(fff: bytes) -> dict[int, tuple[int, int, int, int]]:
    """The record directory: type -> (entry, type, offset, length), in either byte order."""
    if len(fff) < 0x40 or fff[:3] not in (b"FFF", b"AFF"):
        raise FlirError("no FFF header at the start of the FLIR payload")
    order = ">" if struct.unpack_from(">I", fff, 0x14)[0] == _FFF_VERSION else "<"
    offset, count = struct.unpack_from(order + "II", fff, 0x18)
    if offset + 32 * count > len(fff):
        raise FlirError("FFF record directory runs past the end")
    records: dict[int, tuple[int, int, int, int]] = {}
    for k in range(count):
        at = offset + 32 * k
        kind, _, _, _, rec_offset, rec_length = struct.unpack_from(order + "HHIIII", fff, at)
        if kind and kind not in records:
            records[kind] = (at, kind, rec_offset, rec_length)
    return records


def read_flir(data: bytes) -> FlirReading:
    """Temperatures of a FLIR-format radiometric JPEG, given the file's bytes.

    Raises
    ------
    FlirError
        No FFF payload, or one whose records flyr cannot read.
    """
    try:
        fff = extract_flir_app1(io.BytesIO(data)).read()
    except (ValueError, KeyError) as exc:
        raise FlirError(f"no FLIR FFF payload: {exc}") from exc
    records = _records(fff)
    stream = io.BytesIO(fff)
    try:
        _, _, raw = parse_raw_data(stream, records[_RAW_DATA])
        info = parse_camera_info(stream, records[_CAMERA_INFO])
        offset = records[_CAMERA_INFO][2]
        stream.seek(offset + _FOV_OFFSET)
        (fov,) = struct.unpack("<f", stream.read(4))
        celsius = FlyrThermogram(np.asarray(raw), info).celsius
    except (KeyError, ValueError, OSError, struct.error) as exc:
        raise FlirError(f"unreadable FFF records: {type(exc).__name__}: {exc}") from exc
    if not np.isfinite(celsius).any():
        raise FlirError("the calibration gives no finite temperature")
    hfov = float(fov) if np.isfinite(fov) and 1.0 <= fov <= 170.0 else None
    return FlirReading(celsius.astype(np.float32), np.asarray(raw, dtype=np.uint16), hfov)
