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
    tolerance_m: float = 0.001,
) -> GroundHits:
    """Intersect rays from one point with the ground.

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
    tolerance_m
        Slant-range precision of each hit.

    Notes
    -----
    Steps of half a DEM pixel find the first crossing, bisection refines it; the
    ground curves away below the straight ray by d^2 / 2R. A ray leaving
    the DEM before it meets the ground is a miss, as is a ray starting below it.
    """
    dirs = np.atleast_2d(np.asarray(directions_ned, dtype=float))
    norms = np.linalg.norm(dirs, axis=1)
    if np.any(norms == 0) or not np.all(np.isfinite(dirs)):
        raise ValueError("ray directions must be finite and non-zero")
    dirs = dirs / norms[:, None]
    frame = LocalFrame(lat_deg, lon_deg)

    def clearance(idx: NDArray[np.int64], t: NDArray[np.float64]) -> NDArray[np.float64]:
        """Ray height above ground at slant range t for rays idx (NaN off the DEM)."""
        d = dirs[idx]
        north, east = t * d[..., 0], t * d[..., 1]
        # The ray is straight; the ground curves away below it by d^2 / 2R.
        alt = alt_amsl_m - t * d[..., 2] + (north**2 + east**2) / (2 * EARTH_RADIUS_M)
        lat, lon = frame.to_wgs84(east, north)
        x, y = terrain._to_dem.transform(lon, lat)
        ground, inside = terrain._sample_dem_xy(np.asarray(x), np.asarray(y))
        return np.where(inside, alt - ground, np.nan)

    n = len(dirs)
    lo = np.full(n, np.nan)
    hi = np.full(n, np.nan)
    step = max(terrain.pixel_size_m / 2.0, 0.05)
    chunk = 128
    active = np.arange(n)
    start = 0.0
    with np.errstate(invalid="ignore"):
        active = active[clearance(active, np.zeros(n)) > 0]
    while active.size and start < max_range_m:
        ts = start + step * np.arange(1, chunk + 1)
        ts = ts[ts <= max_range_m + step]
        grid = np.broadcast_to(ts, (active.size, ts.size))
        above = clearance(np.repeat(active[:, None], ts.size, axis=1), grid)
        with np.errstate(invalid="ignore"):
            below = above <= 0
        off_dem = np.isnan(above)
        first_below = np.where(below.any(axis=1), below.argmax(axis=1), ts.size)
        first_off = np.where(off_dem.any(axis=1), off_dem.argmax(axis=1), ts.size)
        crossed = first_below < first_off
        k = first_below[crossed]
        lo[active[crossed]] = np.where(k > 0, ts[np.maximum(k - 1, 0)], start)
        hi[active[crossed]] = ts[k]
        keep = ~crossed & (first_off == ts.size)
        active = active[keep]
        start = float(ts[-1]) if ts.size else max_range_m
    found = np.flatnonzero(np.isfinite(hi))
    while found.size and np.max(hi[found] - lo[found]) > tolerance_m:
        mid = (lo[found] + hi[found]) / 2.0
        c = clearance(found, mid)
        down = ~(c > 0)
        hi[found[down]] = mid[down]
        lo[found[~down]] = mid[~down]
    t_hit = np.where(hi <= max_range_m, (lo + hi) / 2.0, np.nan)
    hit = np.isfinite(t_hit)
    north = t_hit * dirs[:, 0]
    east = t_hit * dirs[:, 1]
    alt = alt_amsl_m - t_hit * dirs[:, 2] + (north**2 + east**2) / (2 * EARTH_RADIUS_M)
    lat, lon = frame.to_wgs84(east, north)
    return GroundHits(lat, lon, alt, t_hit, hit)

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
