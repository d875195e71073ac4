"""The application segments of a JPEG file, read without decoding the picture.

Why by hand: the radiometric payload of thermal JPEGs lives in APPn segments that
image libraries skip (DJI's raw sensor counts in APP3/APP4, FLIR's FFF in APP1), and
it is split over many 64 KiB segments that must be joined in file order.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

__all__ = ["JpegError", "JpegSegments", "read_segments"]

_SOI = b"\xff\xd8"
_SOS = 0xDA
_STANDALONE = {0x01, *range(0xD0, 0xD8)}  # TEM and RSTn carry no length
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


class JpegError(ValueError):
    """Not a JPEG, or its segment structure is broken before the picture data."""


@dataclass(frozen=True, slots=True)
class JpegSegments:
    """The marker segments before the first scan, and the picture's size."""

    segments: tuple[tuple[int, bytes], ...]
    width_px: int
    height_px: int

    def joined(self, marker: int) -> bytes:
        """All payloads of one marker (e.g. 0xE3 for APP3) joined in file order."""
        return b"".join(payload for m, payload in self.segments if m == marker)

    def starting_with(self, marker: int, prefix: bytes) -> list[bytes]:
        """Payloads of one marker that begin with ``prefix`` (e.g. b"Exif\\0\\0")."""
        return [p for m, p in self.segments if m == marker and p.startswith(prefix)]


def read_segments(data: bytes) -> JpegSegments:
    """Walk the segments from SOI to the first SOS.

    Raises
    ------
    JpegError
        The data does not start with a JPEG SOI marker, a segment runs past the end,
        or no frame header (SOFn) gives the picture's size.
    """
    if not data.startswith(_SOI):
        raise JpegError("not a JPEG (no SOI marker)")
    segments: list[tuple[int, bytes]] = []
    width = height = 0
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            raise JpegError(f"broken segment structure at byte {i}")
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in _STANDALONE:
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2:i + 4])
        end = i + 2 + length
        if length < 2 or end > len(data):
            raise JpegError(f"segment 0xFF{marker:02X} at byte {i} runs past the end")
        payload = data[i + 4:end]
        segments.append((marker, payload))
        if marker in _SOF and len(payload) >= 5:
            height, width = struct.unpack(">HH", payload[1:5])
        if marker == _SOS:
            break
        i = end
    if not width or not height:
        raise JpegError("no frame header (SOFn) before the picture data")
    return JpegSegments(tuple(segments), width, height)
