"""Terrain-following heights: a target height above ground held within a tolerance.

Why extra waypoints: an autopilot flies a straight 3D line between waypoints, so over
rolling Gobi, pit walls and spoil heaps a line between two points at 80 m AGL can
sink to 20 m or rise to 200 m. Each leg is sampled against the DEM; where the straight
line leaves the band [target - tolerance, target + tolerance] above ground, a waypoint
is added at the worst sample (at the target height there), and the check repeats.
The band itself lies inside [minimum clearance, legal maximum], so both always hold.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from dronewatch.planning.errors import PlanningError

__all__ = ["AltitudePolicy", "HeightPoint", "follow_terrain"]

GroundFn = Callable[[NDArray[np.float64], NDArray[np.float64]], NDArray[np.float64]]


@dataclass(frozen=True, slots=True)
class AltitudePolicy:
    """How high to fly above the ground, and the limits that must never be broken."""

    target_agl_m: float = 80.0
    tolerance_m: float = 10.0
    min_clearance_m: float = 30.0
    max_agl_m: float = 120.0  # the legal ceiling unless the operating area says otherwise
    sample_m: float = 15.0

    def __post_init__(self) -> None:
        if self.max_agl_m <= self.min_clearance_m:
            raise PlanningError("max_agl_m must be above min_clearance_m")
        if self.target_agl_m > self.max_agl_m:
            raise PlanningError(f"target height {self.target_agl_m:g} m above ground is above "
                                f"the legal limit of {self.max_agl_m:g} m")
        if self.target_agl_m < self.min_clearance_m:
            raise PlanningError(f"target height {self.target_agl_m:g} m is below the minimum "
                                f"clearance of {self.min_clearance_m:g} m")
        if self.tolerance_m <= 0 or self.sample_m <= 0:
            raise PlanningError("tolerance and sample spacing must be positive")

    @property
    def band(self) -> tuple[float, float]:
        """Allowed height above ground along every leg."""
        return (max(self.target_agl_m - self.tolerance_m, self.min_clearance_m),
                min(self.target_agl_m + self.tolerance_m, self.max_agl_m))


@dataclass(frozen=True, slots=True)
class HeightPoint:
    """A waypoint in the local frame with its ground and flight heights (AMSL)."""

    east_m: float
    north_m: float
    ground_m: float
    alt_amsl_m: float
    survey: bool  # the camera is working on the leg that ends here
    wait_s: float = 0.0  # hold here this long (vehicle s) once reached: a turn to land

    @property
    def agl_m(self) -> float:
        return self.alt_amsl_m - self.ground_m


def follow_terrain(points: list[tuple[float, float, bool]], ground: GroundFn,
                   policy: AltitudePolicy) -> list[HeightPoint]:
    """Heights for a path of (east, north, survey) points, with waypoints added as needed.

    Why in arrays: a large plan has thousands of legs. Every leg starts and ends at the
    target height over its end points, so legs are independent: all samples go to the
    DEM in one call, and all straight lines are checked against the band at once; only
    the few legs that leave it are split, one by one.

    Raises
    ------
    PlanningError
        The DEM has no height somewhere along the path.
    """
    low, high = policy.band
    xy = np.array([(x, y) for x, y, _ in points], dtype=float)
    d = xy[1:] - xy[:-1]
    counts = np.maximum(2, np.ceil(np.hypot(d[:, 0], d[:, 1]) / policy.sample_m) + 1).astype(
        np.int64)
    leg = np.repeat(np.arange(len(d)), counts)
    firsts = np.cumsum(counts) - counts
    t = (np.arange(len(leg)) - firsts[leg]) / (counts[leg] - 1)
    xs = np.concatenate([xy[:1, 0], xy[:-1, 0][leg] + t * d[:, 0][leg]])
    ys = np.concatenate([xy[:1, 1], xy[:-1, 1][leg] + t * d[:, 1][leg]])
    ground_all = ground(xs, ys)
    bad = ~np.isfinite(ground_all)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        _check(math.nan, float(xs[k]), float(ys[k]))
    gs_all = ground_all[1:]
    ends = firsts + counts - 1
    alt_b = gs_all[ends] + policy.target_agl_m
    alt_a = np.concatenate([ground_all[:1], gs_all[ends[:-1]]])[:len(d)] + policy.target_agl_m
    agl = alt_a[leg] + t * (alt_b - alt_a)[leg] - gs_all
    worst = np.maximum(low - agl, agl - high)
    worst[firsts] = worst[ends] = -np.inf  # the ends sit at the target height
    leaves = np.zeros(len(d), dtype=bool)
    np.logical_or.at(leaves, leg, worst > 1e-9)
    x0, y0, survey0 = points[0]
    g0 = float(ground_all[0])
    out = [HeightPoint(x0, y0, g0, g0 + policy.target_agl_m, survey0)]
    for i in range(len(d)):
        x, y, survey = points[i + 1]
        if leaves[i]:
            lo, hi = int(firsts[i]), int(ends[i]) + 1
            ts, gs = t[lo:hi], gs_all[lo:hi]
            keep = _split(ts, gs, 0, len(ts) - 1, float(alt_a[i]), float(alt_b[i]), low, high,
                          policy.target_agl_m)
            for k in sorted(keep):
                out.append(HeightPoint(float(xs[lo + 1 + k]), float(ys[lo + 1 + k]),
                                       float(gs[k]), float(gs[k]) + policy.target_agl_m, survey))
        out.append(HeightPoint(x, y, float(gs_all[ends[i]]), float(alt_b[i]), survey))
    return out


def _check(g: float, x: float, y: float) -> None:
    if not math.isfinite(g):
        raise PlanningError(f"no terrain height at {x:.0f} m E, {y:.0f} m N of the area centre "
                            "(outside the DEM or a nodata hole): cannot keep clearance there")


def _split(t: NDArray, gs: NDArray, i: int, j: int, alt_i: float, alt_j: float, low: float,
           high: float, target: float) -> set[int]:
    """Indices of samples to turn into waypoints so every sample stays in the band."""
    if j - i < 2:
        return set()
    frac = (t[i + 1:j] - t[i]) / (t[j] - t[i])
    line = alt_i + frac * (alt_j - alt_i)
    agl = line - gs[i + 1:j]
    worst = np.maximum(low - agl, agl - high)
    k_local = int(np.argmax(worst))
    if worst[k_local] <= 1e-9:
        return set()
    k = i + 1 + k_local
    alt_k = float(gs[k]) + target
    return {k} | _split(t, gs, i, k, alt_i, alt_k, low, high, target) | _split(
        t, gs, k, j, alt_k, alt_j, low, high, target)
