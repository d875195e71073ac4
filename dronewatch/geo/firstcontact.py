"""The first place a straight ray meets the bilinear DEM surface, solved exactly.

Why exact and not a march: a march with a fixed step jumps over any ridge thinner than
the step, and at grazing view angles over rugged ground the next contact can be
kilometres behind the first. Inside one DEM cell the bilinear surface along a straight
line is a quadratic in the range, and so is the ray's height (the ground curves away
below it by d^2 / 2R), so the first crossing inside a cell is the first root of one
quadratic. Walking the cells the ray crosses, in order, finds the first contact with no
step to tune; 8 x 8-cell tiles the ray passes above (their highest sample is below the
ray) are skipped whole, so a steep ray costs a cell or two and a grazing one a few tiles.

Coordinates here are DEM pixel-centre coordinates: ``fx = col - 0.5``, so sample ``i``
sits at ``fx == i``, cell ``i`` spans ``[i, i + 1)`` and the half-pixel rim outside the
outer samples holds the edge value, as :meth:`Terrain.elevation_at_xy` does.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from dronewatch.geo.terrain import Terrain

__all__ = ["LineCaster", "bilinear_coefficients", "first_root", "first_roots"]

TILE_CELLS = 8
_TILE_MAXIMA: WeakKeyDictionary[Terrain, dict[tuple[int, int], NDArray[np.float64]]] = (
    WeakKeyDictionary()
)


def first_root(c0: float, c1: float, c2: float, length: float) -> float | None:
    """Smallest ``x`` in ``[0, length]`` with ``c0 + c1 x + c2 x^2 <= 0``; None if none."""
    if c0 <= 0.0:
        return 0.0
    disc = c1 * c1 - 4.0 * c0 * c2
    if disc < 0.0:
        return None
    q = -0.5 * (c1 + math.copysign(math.sqrt(disc), c1))
    best = None
    if q != 0.0:
        for root in (c0 / q, q / c2 if c2 != 0.0 else -1.0):
            if 0.0 <= root <= length and (best is None or root < best):
                best = root
    if best is None and c0 + length * (c1 + c2 * length) <= 0.0:
        best = length  # rounding put the root a hair past the end
    return best


def first_roots(c0: NDArray[np.float64], c1: NDArray[np.float64], c2: NDArray[np.float64],
                length: NDArray[np.float64]) -> NDArray[np.float64]:
    """:func:`first_root` over arrays; NaN where there is no root (or a coefficient is NaN)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        disc = c1 * c1 - 4.0 * c0 * c2
        q = -0.5 * (c1 + np.where(c1 >= 0, 1.0, -1.0) * np.sqrt(np.maximum(disc, 0.0)))
        roots = np.stack([c0 / q, q / c2])
        ok = (disc >= 0) & (roots >= 0) & (roots <= length) & np.isfinite(roots)
        best = np.where(ok, roots, np.inf).min(axis=0)
        end = c0 + length * (c1 + c2 * length)
        best = np.where(np.isinf(best) & (end <= 0), length, best)
        best = np.where(c0 <= 0, 0.0, best)
    return np.where(np.isfinite(best), best, np.nan)


def bilinear_coefficients(z00: float, z10: float, z01: float, z11: float, p: float, q: float,
                          r: float, s: float) -> tuple[float, float, float]:
    """Bilinear height along ``wx = p + q x``, ``wy = r + s x`` as ``a + b x + c x^2``.

    Works on scalars and arrays alike.
    """
    bx, by, e = z10 - z00, z01 - z00, z00 - z10 - z01 + z11
    return (z00 + bx * p + by * r + e * p * r, bx * q + by * s + e * (p * s + q * r), e * q * s)


def _tile_maxima(block: NDArray[np.float64], tile: int) -> NDArray[np.float64]:
    """Highest sample of each tile (its ``tile + 1`` samples a side, NaN if any is nodata)."""
    h, w = block.shape
    nty, ntx = max(1, -(-(h - 1) // tile)), max(1, -(-(w - 1) // tile))
    pad = np.full((nty * tile + 1, ntx * tile + 1), -np.inf)
    pad[:h, :w] = block
    rows = np.maximum(pad[:-1].reshape(nty, tile, -1).max(axis=1), pad[tile::tile])
    return np.maximum(rows[:, :-1].reshape(nty, ntx, tile).max(axis=2), rows[:, tile::tile])


class LineCaster:
    """First contact of straight lines with one DEM, walking tiles then cells.

    Why a class: the DEM's size, block reader and tile maxima are looked up once and
    then shared by every ray of every frame (tile maxima are cached per terrain).
    """

    def __init__(self, terrain: Terrain) -> None:
        self.terrain = terrain
        self.height_px, self.width_px = terrain.shape
        self._block = terrain._block
        self._tile = TILE_CELLS if self._block % TILE_CELLS == 0 else 1
        self._maxima = _TILE_MAXIMA.setdefault(terrain, {})
        inverse = terrain._inverse
        self._inverse = inverse

    def to_grid(self, x: float, y: float) -> tuple[float, float]:
        """Pixel-centre grid coordinates (fx, fy) of a point in the DEM's CRS."""
        col, row = self._inverse @ (x, y)
        return col - 0.5, row - 0.5

    def grid_per_xy(self, dx: float, dy: float) -> tuple[float, float]:
        """Grid steps (dfx, dfy) of a step (dx, dy) in the DEM's CRS."""
        inv = self._inverse
        return inv.a * dx + inv.b * dy, inv.d * dx + inv.e * dy

    def tile_max_m(self, ti: int, tj: int) -> float:
        """Highest DEM sample under tile (ti, tj)."""
        per = self._block // self._tile
        key = (ti // per, tj // per)
        maxima = self._maxima.get(key)
        if maxima is None:
            maxima = _tile_maxima(self.terrain._read_block(*key), self._tile)
            self._maxima[key] = maxima
        return float(maxima[tj - key[1] * per, ti - key[0] * per])

    def first_contact(self, fx0: float, fy0: float, gx: float, gy: float, alt_m: float,
                      down: float, curvature: float, max_t: float,
                      ) -> tuple[float, float] | None:
        """(t, dC/dt) where the line first meets the ground, None if it never does.

        The line is at pixel ``(fx0 + gx t, fy0 + gy t)`` and height
        ``alt_m - down t + curvature t^2``; ``dC/dt`` is how fast its clearance over
        the ground falls at the hit (per unit t), small when the line grazes the slope.
        Leaving the DEM or meeting nodata ends the search with None.
        """
        w, h, tile = self.width_px, self.height_px, self._tile
        if not (-0.5 <= fx0 <= w - 0.5 and -0.5 <= fy0 <= h - 0.5):
            return None
        last_x, last_y = (w - 2) // tile, (h - 2) // tile
        ti = min(max(math.floor(fx0), 0), w - 2) // tile
        tj = min(max(math.floor(fy0), 0), h - 2) // tile
        t = 0.0
        while t < max_t:
            ex = _exit(fx0, gx, ti * tile if ti > 0 else -0.5,
                       (ti + 1) * tile if ti < last_x else w - 0.5)
            ey = _exit(fy0, gy, tj * tile if tj > 0 else -0.5,
                       (tj + 1) * tile if tj < last_y else h - 0.5)
            t_exit = min(ex, ey, max_t)
            top = self.tile_max_m(ti, tj)
            t_from = t
            if down > 0 and alt_m - down * t > top:
                t_from = (alt_m - top) / down  # the line is above the whole tile until here
            elif down <= 0 and alt_m - down * t > top:
                t_from = math.inf
            if t_from < t_exit:
                found = self._cells(ti, tj, (fx0, fy0, gx, gy, alt_m, down, curvature),
                                    t_from, t_exit)
                if found is not None:
                    return None if math.isnan(found[0]) else found
            if t_exit >= max_t:
                return None
            ti += (ex <= ey) * (1 if gx > 0 else -1)
            tj += (ey <= ex) * (1 if gy > 0 else -1)
            if not (0 <= ti <= last_x and 0 <= tj <= last_y):
                return None  # left the DEM
            t = t_exit
        return None

    def _cells(self, ti: int, tj: int, line: tuple[float, ...], t_from: float,
               t_to: float) -> tuple[float, float] | None:
        """Walk the cells of one tile from t_from to t_to; (NaN, NaN) on nodata."""
        fx0, fy0, gx, gy = line[:4]
        w, h, tile = self.width_px, self.height_px, self._tile
        lo_i, hi_i = (ti * tile if ti > 0 else -1), min(ti * tile + tile - 1, w - 1)
        lo_j, hi_j = (tj * tile if tj > 0 else -1), min(tj * tile + tile - 1, h - 1)
        if hi_i == w - 2:
            hi_i = w - 1
        if hi_j == h - 2:
            hi_j = h - 1
        i = min(max(math.floor(fx0 + gx * t_from), lo_i), hi_i)
        j = min(max(math.floor(fy0 + gy * t_from), lo_j), hi_j)
        t = t_from
        while t < t_to:
            ex = _exit(fx0, gx, max(i, -0.5), min(i + 1, w - 0.5))
            ey = _exit(fy0, gy, max(j, -0.5), min(j + 1, h - 0.5))
            t_end = min(ex, ey, t_to)
            found = self._in_cell(i, j, line, t, t_end)
            if found is not None:
                return found
            i += (ex <= ey) * (1 if gx > 0 else -1)
            j += (ey <= ex) * (1 if gy > 0 else -1)
            if not (lo_i <= i <= hi_i and lo_j <= j <= hi_j):
                break
            t = t_end
        return None

    def _in_cell(self, i: int, j: int, line: tuple[float, ...], ta: float,
                 tb: float) -> tuple[float, float] | None:
        """The exact first contact inside cell (i, j) over [ta, tb]."""
        fx0, fy0, gx, gy, alt_m, down, curvature = line
        w, h, b = self.width_px, self.height_px, self._block
        i0, j0 = min(max(i, 0), w - 2), min(max(j, 0), h - 2)
        block = self.terrain._read_block(i0 // b, j0 // b)
        li, lj = i0 % b, j0 % b
        z00, z10 = float(block[lj, li]), float(block[lj, li + 1])
        z01, z11 = float(block[lj + 1, li]), float(block[lj + 1, li + 1])
        top = max(z00, z10, z01, z11)
        if math.isnan(z00 + z10 + z01 + z11):
            return math.nan, math.nan
        if alt_m - max(down * ta, down * tb) + curvature * ta * ta > top:
            return None  # above all four corners, so above the whole cell
        p, q = (0.0, 0.0) if i < 0 else (1.0, 0.0) if i > w - 2 else (fx0 + gx * ta - i0, gx)
        r, s = (0.0, 0.0) if j < 0 else (1.0, 0.0) if j > h - 2 else (fy0 + gy * ta - j0, gy)
        g0, g1, g2 = bilinear_coefficients(z00, z10, z01, z11, p, q, r, s)
        c0 = alt_m - down * ta + curvature * ta * ta - g0
        c1 = -down + 2.0 * curvature * ta - g1
        c2 = curvature - g2
        x = first_root(c0, c1, c2, tb - ta)
        if x is None:
            return None
        return ta + x, c1 + 2.0 * c2 * x


def _exit(f0: float, g: float, lo: float, hi: float) -> float:
    """When ``f0 + g t`` leaves ``[lo, hi)`` going forward (inf if it never moves)."""
    if g > 0:
        return (hi - f0) / g
    if g < 0:
        return (lo - f0) / g
    return math.inf
