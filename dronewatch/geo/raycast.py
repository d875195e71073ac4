"""Where rays first meet the ground of a DEM.

Why its own module: a camera's pixels, a footprint's edge and a line of sight all ask
the same question, and the answer must be the *first* contact along the ray (a ray
skimming a thin ridge stops there, it does not reach the valley behind it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dronewatch.errors import RayMissError
from dronewatch.geo.firstcontact import bilinear_coefficients, first_roots
from dronewatch.geo.frame import LocalFrame

if TYPE_CHECKING:
    from dronewatch.geo.terrain import Terrain

__all__ = ["EARTH_RADIUS_M", "GroundHits", "cast_ray", "cast_rays"]

EARTH_RADIUS_M = 6_371_000.0


@dataclass(frozen=True, slots=True)
class GroundHits:
    """Where rays met the ground; ``hit`` is False (and the rest NaN) for misses."""

    lat_deg: NDArray[np.float64]
    lon_deg: NDArray[np.float64]
    alt_amsl_m: NDArray[np.float64]
    range_m: NDArray[np.float64]
    hit: NDArray[np.bool_]



def cast_rays(
    terrain: Terrain,
    lat_deg: float,
    lon_deg: float,
    alt_amsl_m: float,
    directions_ned: ArrayLike,
    *,
    max_range_m: float = 5000.0,
) -> GroundHits:
    """Where rays from one point first meet the ground.

    Why one origin and many rays: a camera frame georeferences all its pixels from
    a single pose, so the local frame and transforms are set up once per frame.

    Parameters
    ----------
    lat_deg, lon_deg, alt_amsl_m
        Ray origin (the camera).
    directions_ned
        (N, 3) or (3,) direction vectors in the local North-East-Down frame.
    max_range_m
        Rays that meet no ground within this slant range are misses.

    Notes
    -----
    Points every half DEM pixel go through PROJ to the DEM's pixel grid; between two
    of them the ray is straight in that grid, so each piece of it inside one cell meets
    the bilinear surface where a quadratic has its first root (see
    :mod:`dronewatch.geo.firstcontact`): no ridge is stepped over, however thin. The
    ground curves away below the straight ray by d^2 / 2R. A ray leaving the DEM (or
    meeting nodata) before it meets the ground is a miss, as is a ray starting below it.
    """
    dirs = np.atleast_2d(np.asarray(directions_ned, dtype=float))
    norms = np.linalg.norm(dirs, axis=1)
    if np.any(norms == 0) or not np.all(np.isfinite(dirs)):
        raise ValueError("ray directions must be finite and non-zero")
    dirs = dirs / norms[:, None]
    frame = LocalFrame(lat_deg, lon_deg)
    height, width = terrain.shape
    curvature = (dirs[:, 0] ** 2 + dirs[:, 1] ** 2) / (2 * EARTH_RADIUS_M)

    def grid_xy(idx: NDArray[np.int64], t: NDArray[np.float64]) -> tuple[NDArray, NDArray]:
        """DEM pixel-centre coordinates (fx, fy) of rays idx at slant ranges t."""
        d = dirs[idx]
        lat, lon = frame.to_wgs84(t * d[..., 1], t * d[..., 0])
        x, y = terrain._to_dem.transform(lon, lat)
        col, row = terrain._inverse @ (np.ravel(x), np.ravel(y))
        shape = np.shape(t)
        return np.reshape(col, shape) - 0.5, np.reshape(row, shape) - 0.5

    n = len(dirs)
    t_hit = np.full(n, np.nan)
    start_ground, inside = terrain._sample_dem_xy(*terrain._to_dem.transform(
        np.full(1, lon_deg), np.full(1, lat_deg)))
    active = np.arange(n)
    if not (inside[0] and alt_amsl_m > start_ground[0]):
        active = active[:0]  # starting underground or off the DEM: every ray misses
    step = max(terrain.pixel_size_m / 2.0, 0.05)
    chunk, start = 128, 0.0
    while active.size and start < max_range_m:
        ts = start + step * np.arange(chunk + 1)
        ts = ts[ts <= max_range_m + step]
        ts[-1] = min(ts[-1], max_range_m)
        fx, fy = grid_xy(np.repeat(active[:, None], ts.size, axis=1),
                         np.broadcast_to(ts, (active.size, ts.size)))
        hit_at, stopped = _first_contact_in_chunk(
            terrain, ts, fx, fy, alt_amsl_m, dirs[active, 2], curvature[active], (width, height))
        t_hit[active] = hit_at
        active = active[np.isnan(hit_at) & ~stopped]
        start = float(ts[-1])
    hit = np.isfinite(t_hit) & (t_hit <= max_range_m)
    t_hit = np.where(hit, t_hit, np.nan)
    north = t_hit * dirs[:, 0]
    east = t_hit * dirs[:, 1]
    alt = alt_amsl_m - t_hit * dirs[:, 2] + (north**2 + east**2) / (2 * EARTH_RADIUS_M)
    lat, lon = frame.to_wgs84(east, north)
    return GroundHits(lat, lon, alt, t_hit, hit)


def _first_contact_in_chunk(
    terrain: Terrain,
    ts: NDArray[np.float64],
    fx: NDArray[np.float64],
    fy: NDArray[np.float64],
    alt_m: float,
    down: NDArray[np.float64],
    curvature: NDArray[np.float64],
    size: tuple[int, int],
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """First contact of each ray (row) between its grid points; NaN if none.

    Each segment between two grid points is cut where it crosses a cell boundary
    (a half-pixel segment crosses at most one in each axis), and each piece is solved
    in its own cell. ``stopped`` marks rays that left the DEM or met nodata first.
    """
    width, height = size
    xa, xb, ya, yb = fx[:, :-1], fx[:, 1:], fy[:, :-1], fy[:, 1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        cut_x = np.where(np.floor(xa) != np.floor(xb),
                         (np.maximum(np.floor(xa), np.floor(xb)) - xa) / (xb - xa), 1.0)
        cut_y = np.where(np.floor(ya) != np.floor(yb),
                         (np.maximum(np.floor(ya), np.floor(yb)) - ya) / (yb - ya), 1.0)
    cuts = np.stack([np.zeros_like(cut_x), np.minimum(cut_x, cut_y),
                     np.maximum(cut_x, cut_y), np.ones_like(cut_x)])
    u0, u1 = cuts[:-1], cuts[1:]  # (3, rays, segments): pieces as fractions of a segment
    um = (u0 + u1) / 2.0
    seg_t = np.maximum(ts[1:] - ts[:-1], 1e-9)[None, None, :]
    t0 = ts[:-1][None, None, :] + u0 * seg_t
    length = (u1 - u0) * seg_t
    dfx, dfy = (xb - xa)[None] / seg_t, (yb - ya)[None] / seg_t  # per metre of range
    fx0, fy0 = xa[None] + u0 * (xb - xa)[None], ya[None] + u0 * (yb - ya)[None]
    fxm, fym = xa[None] + um * (xb - xa)[None], ya[None] + um * (yb - ya)[None]
    outside = ~((fxm >= -0.5) & (fxm <= width - 0.5) & (fym >= -0.5) & (fym <= height - 0.5))
    i = np.clip(np.floor(np.nan_to_num(fxm)), -1, width - 1).astype(np.int64)
    j = np.clip(np.floor(np.nan_to_num(fym)), -1, height - 1).astype(np.int64)
    i0, j0 = np.clip(i, 0, width - 2), np.clip(j, 0, height - 2)
    p = np.where(i < 0, 0.0, np.where(i > width - 2, 1.0, fx0 - i0))
    q = np.where((i < 0) | (i > width - 2), 0.0, dfx)
    r = np.where(j < 0, 0.0, np.where(j > height - 2, 1.0, fy0 - j0))
    s = np.where((j < 0) | (j > height - 2), 0.0, dfy)
    z = terrain._corners(i0.ravel(), j0.ravel())
    z00, z10, z01, z11 = (c.reshape(i0.shape) for c in z)
    g0, g1, g2 = bilinear_coefficients(z00, z10, z01, z11, p, q, r, s)
    d, k = down[None, :, None], curvature[None, :, None]
    c0 = alt_m - d * t0 + k * t0 * t0 - g0
    c1 = -d + 2.0 * k * t0 - g1
    c2 = k - g2
    root = first_roots(c0, c1, c2, length)
    bad = outside | np.isnan(z00 + z10 + z01 + z11)
    # order the pieces along each ray: segment by segment, piece by piece
    def along(a: NDArray) -> NDArray:
        return a.transpose(1, 2, 0).reshape(len(down), -1)

    t_at = along(t0 + np.where(length > 0, root, np.nan))
    bad = along(bad & (length > 0))
    found = np.isfinite(t_at)
    n_pieces = found.shape[1]
    first_found = np.where(found.any(axis=1), found.argmax(axis=1), n_pieces)
    first_bad = np.where(bad.any(axis=1), bad.argmax(axis=1), n_pieces)
    hit = first_found < first_bad
    rows = np.arange(len(down))
    t_hit = np.where(hit, t_at[rows, np.minimum(first_found, n_pieces - 1)], np.nan)
    return t_hit, ~hit & (first_bad < n_pieces)


def cast_ray(
    terrain: Terrain,
    lat_deg: float,
    lon_deg: float,
    alt_amsl_m: float,
    direction_ned: ArrayLike,
    *,
    max_range_m: float = 5000.0,
) -> tuple[float, float, float]:
    """One ray to the ground: (lat_deg, lon_deg, alt_amsl_m) of the hit.

    Raises
    ------
    RayMissError
        The ray points above the horizon, leaves the DEM, or starts underground.
    """
    hits = cast_rays(terrain, lat_deg, lon_deg, alt_amsl_m, direction_ned, max_range_m=max_range_m)
    if not hits.hit[0]:
        raise RayMissError(
            f"ray from lat={lat_deg:.6f} lon={lon_deg:.6f} alt={alt_amsl_m:.1f} m "
            f"along NED {np.round(np.ravel(direction_ned), 3).tolist()} meets no ground "
            f"of {terrain.path} within {max_range_m:.0f} m"
        )
    return float(hits.lat_deg[0]), float(hits.lon_deg[0]), float(hits.alt_amsl_m[0])
