"""DJI R-JPEG raw sensor counts, without DJI's Thermal SDK.

What DJI's newer payloads (Zenmuse H20T/H20N/H30T, Matrice 30T, Mavic 3T, and the
older Zenmuse XT S) put in a shot: the visible picture is a palette rendering, and the
16-bit sensor values of every pixel follow it in APP3 segments (APP4 on the XT S),
little-endian, row by row, at the thermal core's resolution (the M30T may write a
1280x1024 picture over 640x512 counts). Turning those counts into °C needs DJI's
calibration curve, which only DJI's closed Thermal SDK (libdirp) applies; it is not
available here, so this reader gives the counts as they are, as
:attr:`~dronewatch.thermal.frame.PixelUnit.RAW_COUNTS`: monotonic in scene radiance
(warmer is larger), far better input than the 8-bit palette picture, but not a
temperature. The H20T's K1..KK parameters (APP4) are DJI's undocumented calibration
inputs and are not used.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from dronewatch.thermal.sources._segments import JpegSegments

__all__ = ["dji_raw_counts"]

_APP3, _APP4 = 0xE3, 0xE4


def dji_raw_counts(segments: JpegSegments) -> NDArray[np.uint16] | None:
    """The raw counts of a DJI R-JPEG, or None when the file carries none.

    The counts are the APP3 (else APP4) payload whose length is exactly two bytes per
    pixel of the picture, or of the picture at half size (the M30T's upscaled
    pictures). Anything else (the XT S's 32 KiB APP3 table, the H20T's APP4
    parameters) is not pixel data.
    """
    w, h = segments.width_px, segments.height_px
    for marker in (_APP3, _APP4):
        payload = segments.joined(marker)
        for width, height in ((w, h), (w // 2, h // 2)):
            if width >= 2 and height >= 2 and len(payload) == 2 * width * height:
                return np.frombuffer(payload, dtype="<u2").reshape(height, width).astype(np.uint16)
    return None
