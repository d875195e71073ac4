"""Terrain-following heights: a target height above ground held within a tolerance.

Why extra waypoints: an autopilot flies a straight 3D line between waypoints, so over
rolling Gobi, pit walls and spoil heaps a line between two points at 80 m AGL can
sink to 20 m or rise to 200 m. Each leg is sampled against the DEM; where the straight
line leaves the band [target - tolerance, target + tolerance] above ground, a waypoint
is added at the worst sample (at the target height there), and the check repeats.
The band itself lies inside [minimum clearance, legal maximum], so both always hold.
"""

from __future__ import annotations

import itertools
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

    @property
    def agl_m(self) -> float:
        return self.alt_amsl_m - self.ground_m


def follow_terrain(points: list[tuple[float, float, bool]], ground: GroundFn,
                   policy: AltitudePolicy) -> list[HeightPoint]:
    """Heights for a path of (east, north, survey) points, with waypoints added as needed.

    Raises
    ------
    PlanningError
        The DEM has no height somewhere along the path.
    """
    low, high = policy.band
    # Sample every leg first and ask the DEM once: one call, not one per leg.
    samples = []
    for (ax, ay, _), (bx, by, _) in itertools.pairwise(points):
        n = max(2, math.ceil(math.hypot(bx - ax, by - ay) / policy.sample_m) + 1)
        samples.append(np.linspace(0.0, 1.0, n))
    xs_all = [np.array([points[0][0]])]
    ys_all = [np.array([points[0][1]])]
    for (ax, ay, _), (bx, by, _), t in zip(points, points[1:], samples, strict=False):
        xs_all.append(ax + t * (bx - ax))
        ys_all.append(ay + t * (by - ay))
    ground_all = ground(np.concatenate(xs_all), np.concatenate(ys_all))
    bad = ~np.isfinite(ground_all)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        _check(math.nan, float(np.concatenate(xs_all)[k]), float(np.concatenate(ys_all)[k]))
    x0, y0, survey0 = points[0]
    g0 = float(ground_all[0])
    out = [HeightPoint(x0, y0, g0, g0 + policy.target_agl_m, survey0)]
    offset = 1
    for (x, y, survey), t, xs, ys in zip(points[1:], samples, xs_all[1:], ys_all[1:],
                                         strict=True):
        gs = ground_all[offset:offset + len(t)]
        offset += len(t)
        a = out[-1]
        end_alt = float(gs[-1]) + policy.target_agl_m
        keep = _split(t, gs, 0, len(t) - 1, a.alt_amsl_m, end_alt, low, high,
                      policy.target_agl_m)
        for k in sorted(keep):
            out.append(HeightPoint(float(xs[k]), float(ys[k]), float(gs[k]),
                                   float(gs[k]) + policy.target_agl_m, survey))
        out.append(HeightPoint(x, y, float(gs[-1]), end_alt, survey))
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
