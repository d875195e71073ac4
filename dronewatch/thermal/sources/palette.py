"""False-colour thermal pictures back to a grey intensity, or refused with a reason.

Why: a palette picture (ironbow, rainbow, inferno...) turned to grey by luminance is
not monotonic in temperature (rainbow's yellow is brighter than its red, which is
hotter), so a detector fed that grey finds "warm" bodies that are cold. Each pixel's
colour is matched to the nearest entry of a known palette and the entry's index is the
intensity. When no known palette explains the picture, it is refused: a wrong guess
would be silently wrong. Pixels whose colour is far from every entry of the matched
palette are not the scene (overlay text, crosshairs, scale bars) and are returned as
a mask.

Known palettes: grey (white-hot; black-hot when the file says so, DJI's
``ImageDescription``), and OpenCV's perceptual and rainbow colormaps. Vendor palettes
not listed here (DJI IronRed, FLIR Iron and Lava...) are refused unless they happen to
fit one of these within the tolerance.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from dronewatch.errors import DronewatchError

__all__ = ["PALETTES", "PaletteError", "PaletteLevels", "palette_to_intensity"]

#: Colour distance (BGR levels, Euclidean) within which a pixel is on a palette;
#: JPEG chroma subsampling moves colours by up to ~15 levels at sharp edges.
TOLERANCE = 24.0
#: Share of pixels that must lie on the palette (the rest may be overlay).
MIN_FIT = 0.97
_GREY_CHROMA = 16  # max-min channel spread of a grey pixel after JPEG
_BLACK_HOT = ("blackhot", "black hot", "black-hot")


class PaletteError(DronewatchError, ValueError):
    """A colour picture that no known palette explains."""


@dataclass(frozen=True, slots=True, eq=False)
class PaletteLevels:
    """The recovered intensity (0 coldest .. 255 hottest), the palette, and off-palette pixels."""

    levels: NDArray[np.uint8]
    palette: str
    off_palette: NDArray[np.bool_]


def _colormap(code: int) -> NDArray[np.float64]:
    ramp = np.arange(256, dtype=np.uint8).reshape(256, 1)
    return cv2.applyColorMap(ramp, code).reshape(256, 3).astype(np.float64)


PALETTES: dict[str, NDArray[np.float64]] = {
    name: _colormap(getattr(cv2, f"COLORMAP_{name.upper()}"))
    for name in ("inferno", "magma", "plasma", "viridis", "cividis", "turbo", "jet",
                 "rainbow", "hot", "parula", "deepgreen")
    if hasattr(cv2, f"COLORMAP_{name.upper()}")
}


def _chroma(bgr: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """Largest minus smallest channel of each pixel (0 for grey); OpenCV's per-channel
    max and min, some 20 times faster than NumPy's reduction over the last axis."""
    b, g, r = cv2.split(bgr)
    return cv2.subtract(cv2.max(cv2.max(b, g), r), cv2.min(cv2.min(b, g), r))


def grey_levels(levels: NDArray[np.uint8], description: str,
                off_palette: NDArray[np.bool_] | None = None) -> PaletteLevels:
    """A grey picture's levels, turned over when the file says it is black-hot."""
    off = np.zeros(levels.shape, bool) if off_palette is None else off_palette
    if description.replace("_", " ").strip().lower() in _BLACK_HOT:
        return PaletteLevels(255 - levels, "black-hot", off)
    return PaletteLevels(levels, "white-hot", off)


def palette_to_intensity(bgr: NDArray[np.uint8], *, description: str = "") -> PaletteLevels:
    """Invert the palette of an 8-bit BGR thermal picture.

    Parameters
    ----------
    bgr
        (H, W, 3) uint8 picture as OpenCV reads it.
    description
        The file's own word on its palette, if any (DJI's EXIF ``ImageDescription``:
        ``WhiteHot``, ``BlackHot``...): the only way to tell black-hot from white-hot.

    Raises
    ------
    PaletteError
        The picture is in colour and no known palette explains at least 97 % of it.
    """
    if bgr.ndim != 3 or bgr.shape[2] != 3 or bgr.dtype != np.uint8:
        raise PaletteError(f"expected an 8-bit 3-channel picture, got {bgr.shape} {bgr.dtype}")
    chroma = _chroma(bgr)
    if np.mean(chroma <= _GREY_CHROMA) >= MIN_FIT:
        return grey_levels(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY), description,
                           chroma > _GREY_CHROMA)
    pixels = bgr.reshape(-1, 3)
    packed = (pixels[:, 0].astype(np.int32) << 16) | (pixels[:, 1].astype(np.int32) << 8) \
        | pixels[:, 2]
    colours, inverse = np.unique(packed, return_inverse=True)
    unique_bgr = np.stack([(colours >> 16) & 255, (colours >> 8) & 255, colours & 255], 1)
    counts = np.bincount(inverse, minlength=colours.size)
    best: tuple[float, str, NDArray[np.float64], NDArray[np.int64]] | None = None
    for name, lut in PALETTES.items():
        distance, index = cKDTree(lut).query(unique_bgr.astype(np.float64))
        fit = float(counts[distance <= TOLERANCE].sum() / counts.sum())
        if best is None or fit > best[0]:
            best = (fit, name, distance, index)
    assert best is not None
    fit, name, distance, index = best
    if fit < MIN_FIT:
        raise PaletteError(
            f"colour picture in an unknown palette: the closest known one ({name}) explains "
            f"only {fit:.0%} of its pixels (needs {MIN_FIT:.0%}); use the camera's "
            "radiometric file or a white-hot grey picture")
    levels = index[inverse].astype(np.uint8).reshape(bgr.shape[:2])
    off = (distance[inverse] > TOLERANCE).reshape(bgr.shape[:2])
    return PaletteLevels(levels, name, off)
