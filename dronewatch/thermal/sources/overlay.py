"""Burned-in on-screen text found in a thermal picture, so detection can leave it alone.

Why: cameras and ground stations burn the date, the position and the altitude into
the picture ("2022-02-24 17:12:59 / 22.596402°N 114.007066°E 163.937m"). Each glyph is
a small, sharp, bright blob: to a detector, a row of warm bodies. Text is told from
the scene by what makes it text: many small high-contrast strokes of one height,
side by side on one baseline. Single warm bodies, even several in a row, rarely
have glyph-like strokes of one height at glyph spacing, and the row must have at
least :data:`MIN_GLYPHS` of them.

Radiometric files need none of this for their own data (the raw counts of an R-JPEG
or a FLIR FFF hold no overlay); it matters for 8-bit pictures and palette pictures.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

__all__ = ["MIN_GLYPHS", "overlay_mask", "without_overlay"]

#: Fewest glyph-like strokes side by side that make a line of text.
MIN_GLYPHS = 5
_CONTRAST = 80  # top-hat (or black-hat) levels that a glyph stroke stands out by
_WHITE_INK = 200  # glyph strokes are at least this bright
_MIN_H, _MAX_H = 5, 40  # glyph heights, pixels
_PAD = 2


def _half_width_px(labels: NDArray[np.int32], label: int, x: int, y: int, w: int,
                   h: int) -> float:
    """The thickest point of one stroke: its largest distance to a pixel outside it.

    Measured on the stroke's own box with a blank border where the frame goes on (every
    pixel touching a stroke is blank): the whole-frame distance transform's answer, at a
    fraction of its cost. Where the box meets the frame's edge no border is added, as
    the frame's edge counts as no blank there either."""
    rows, cols = labels.shape
    own = (labels[y:y + h, x:x + w] == label).astype(np.uint8)
    own = cv2.copyMakeBorder(own, int(y > 0), int(y + h < rows), int(x > 0),
                             int(x + w < cols), cv2.BORDER_CONSTANT, value=0)
    return float(cv2.distanceTransform(own, cv2.DIST_L2, 3).max())


def _tall_bands(strokes: NDArray[np.uint8]) -> list[tuple[int, int]]:
    """Row ranges holding every stroke that could be a glyph: runs of at least ``_MIN_H``
    rows with ink, each with the blank row either side (where the frame has one).

    Why: a component spans only rows with ink, so one as tall as a glyph lies in such a
    run; labelling those runs alone (a fifth of a frame's rows on HIT-UAV) finds the same
    glyphs at a fraction of the cost. The blank rows keep a stroke's distance to the
    blank above and below it as in the whole frame."""
    inked = np.concatenate([[False], strokes.any(axis=1), [False]])
    edges = np.flatnonzero(inked[1:] != inked[:-1])
    rows = len(strokes)
    return [(max(start - 1, 0), min(stop + 1, rows))
            for start, stop in zip(edges[::2], edges[1::2], strict=True)
            if stop - start >= _MIN_H]


def _glyph_lines(strokes: NDArray[np.uint8]) -> list[tuple[int, int, int, int]]:
    if cv2.countNonZero(strokes) < MIN_GLYPHS * _MIN_H:  # too little ink for a line of text
        return []
    glyphs = []
    for top, bottom in _tall_bands(strokes):
        # BBDT: the same components as OpenCV's default labelling, in half its time here
        count, labels, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(
            strokes[top:bottom], 8, cv2.CV_32S, cv2.CCL_BBDT)
        for label, (x, y, w, h, area) in enumerate(stats[1:count], start=1):
            if not (_MIN_H <= h <= _MAX_H and 1 <= w <= 8 * h and area <= 0.65 * w * h):
                continue
            # strokes of a font are thin for their height; windows and bodies are filled
            if _half_width_px(labels, label, x, y, w, h) <= max(1.5, 0.15 * h):
                glyphs.append((int(x), int(y + top), int(w), int(h)))
    glyphs.sort()  # by x: the line search below walks rightwards
    # touching glyphs (anti-aliased small fonts) form one component: count its letters
    letters = [max(1, round(w / (0.6 * h))) for _, _, w, h in glyphs]
    if sum(letters) < MIN_GLYPHS:
        return []
    parent = list(range(len(glyphs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, (xi, yi, wi, hi) in enumerate(glyphs):
        for j in range(i + 1, len(glyphs)):
            xj, yj, _, hj = glyphs[j]
            if xj - (xi + wi) > 2.0 * max(hi, hj):
                break
            same_height = max(hi, hj) <= 1.8 * min(hi, hj)
            same_line = abs((yi + hi) - (yj + hj)) <= 0.35 * max(hi, hj) \
                or abs(yi - yj) <= 0.35 * max(hi, hj)
            if same_height and same_line:
                parent[find(j)] = find(i)
    lines: dict[int, list[tuple[int, int, int, int]]] = {}
    counts: dict[int, int] = {}
    for i, glyph in enumerate(glyphs):
        lines.setdefault(find(i), []).append(glyph)
        counts[find(i)] = counts.get(find(i), 0) + letters[i]
    boxes = []
    for root, members in lines.items():
        if counts[root] < MIN_GLYPHS:
            continue
        x0 = min(g[0] for g in members)
        y0 = min(g[1] for g in members)
        x1 = max(g[0] + g[2] for g in members)
        y1 = max(g[1] + g[3] for g in members)
        boxes.append((x0, y0, x1, y1))
    return boxes


def _stands_alone(strokes: NDArray[np.uint8], x0: int, y0: int, x1: int, y1: int) -> bool:
    """A line of text has clear space just above and below it; a grid in the scene
    (rafts, windows, rails) goes on past the line."""
    band = max(2, round(0.4 * (y1 - y0)))
    inside = int(strokes[y0:y1, x0:x1].sum())
    around = int(strokes[max(0, y0 - band):y0, x0:x1].sum() + strokes[y1:y1 + band, x0:x1].sum())
    return around <= 0.15 * inside


def overlay_mask(levels: NDArray[np.uint8], *, extra: NDArray[np.bool_] | None = None
                 ) -> NDArray[np.bool_]:
    """True over lines of burned-in text (padded by 2 px) in an 8-bit picture.

    Parameters
    ----------
    levels
        (H, W) uint8 grey levels (an AGC frame, or a palette picture's intensity).
    extra
        Pixels already known not to be scene (off-palette colours); they are added,
        slightly grown, to the mask.
    """
    if levels.ndim != 2 or levels.dtype != np.uint8:
        raise ValueError(f"expected (H, W) uint8 levels, got {levels.shape} {levels.dtype}")
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (15, 15))
    mask = np.zeros(levels.shape, dtype=np.uint8)
    # on-screen displays write in (near) white ink, with or without a dark shadow:
    # brighter than the scene around each stroke and brighter than most of any scene
    tophat = cv2.morphologyEx(levels, cv2.MORPH_TOPHAT, kernel)
    strokes = ((tophat >= _CONTRAST) & (levels >= _WHITE_INK)).astype(np.uint8)
    for x0, y0, x1, y1 in _glyph_lines(strokes):
        if not _stands_alone(strokes, x0, y0, x1, y1):
            continue
        cv2.rectangle(mask, (x0 - _PAD, y0 - _PAD), (x1 + _PAD - 1, y1 + _PAD - 1), 1, -1)
    if extra is not None and extra.any():
        grown = cv2.dilate(extra.astype(np.uint8), np.ones((3, 3), np.uint8))
        mask |= grown
    return mask.astype(bool)


def without_overlay(pixels: NDArray, mask: NDArray[np.bool_]) -> NDArray:
    """The pixels with the masked ones filled in from their surroundings (same dtype).

    For a detector that cannot take a mask: the overlay becomes background instead of
    bright strokes. OpenCV's Telea inpainting works on uint8, uint16 and float32.
    """
    if not mask.any():
        return pixels
    return cv2.inpaint(pixels, mask.astype(np.uint8), 3, cv2.INPAINT_TELEA)
