"""High-incidence areas: where findings and reported incidents cluster, ranked, and how
each changed since the previous window (new, growing, steady, fading).

Why DBSCAN on a metric grid: trouble clusters around a coal face or a wash, in shapes
no one draws in advance, and scattered one-off findings must not make an "area".
DBSCAN (scikit-learn) finds dense places of any shape and leaves the scatter as noise.
Points are first counted into cells of a local metric grid (``cell_m``) and the cells
clustered with their counts as weights: the same answer to within a cell, but a
year of 50,000 findings costs what its few thousand occupied cells cost, not the
millions of neighbour pairs of a dense cluster.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from sklearn.cluster import DBSCAN

from dronewatch.geo import LocalFrame
from dronewatch.store.tallies import Place

__all__ = ["AreaOptions", "AreaTrend", "HighIncidenceArea", "compare_windows", "find_areas"]


@dataclass(frozen=True, slots=True)
class AreaOptions:
    """How dense is "high incidence": at least ``min_count`` incidents within ``radius_m``,
    and ``density_factor`` times what an even spread of the window's incidents over
    their extent would put there (so a year's scatter does not pass for an area)."""

    radius_m: float = 200.0
    min_count: int = 8
    cell_m: float = 25.0
    density_factor: float = 5.0

    def __post_init__(self) -> None:
        if not (self.radius_m > 0 and self.cell_m > 0 and self.min_count >= 2):
            raise ValueError("areas: radius_m and cell_m must be > 0 and min_count >= 2")


class AreaTrend(StrEnum):
    NEW = "new"
    GROWING = "growing"
    STEADY = "steady"
    FADING = "fading"


@dataclass(frozen=True, slots=True)
class HighIncidenceArea:
    """A ranked area (1 = most incidents), its centre, extent and change."""

    rank: int
    lat_deg: float
    lon_deg: float
    radius_m: float  # from the centre to the farthest incident of the area
    count: int
    previous_count: int = 0
    trend: AreaTrend = AreaTrend.NEW


def find_areas(points: list[Place], options: AreaOptions = AreaOptions(),
               frame: LocalFrame | None = None) -> list[HighIncidenceArea]:
    """The high-incidence areas among ``points``, most incidents first."""
    if len(points) < options.min_count:
        return []
    lat = np.array([p.lat_deg for p in points])
    lon = np.array([p.lon_deg for p in points])
    frame = frame or LocalFrame(float(np.median(lat)), float(np.median(lon)))
    east_m, north_m = (np.asarray(v, dtype=float) for v in frame.to_local(lat, lon))
    cells = np.stack([np.floor(east_m / options.cell_m), np.floor(north_m / options.cell_m)], 1)
    occupied, cell_of_point, weights = np.unique(cells, axis=0, return_inverse=True,
                                                 return_counts=True)
    centres_m = (occupied + 0.5) * options.cell_m
    # the background over at least 20 radii square: a handful of points in one place
    # is judged against the district around it, not against itself
    extent_m2 = max(float(np.ptp(east_m) * np.ptp(north_m)), (20 * options.radius_m) ** 2)
    even_count = len(points) * math.pi * options.radius_m ** 2 / extent_m2
    min_count = max(options.min_count, math.ceil(options.density_factor * even_count))
    labels = DBSCAN(eps=options.radius_m, min_samples=min_count).fit(
        centres_m, sample_weight=weights).labels_
    point_label = labels[cell_of_point.ravel()]
    areas = []
    for label in set(labels.tolist()) - {-1}:
        members = point_label == label
        if members.sum() < min_count:
            continue
        e, n = float(east_m[members].mean()), float(north_m[members].mean())
        reach_m = float(np.hypot(east_m[members] - e, north_m[members] - n).max())
        c_lat, c_lon = frame.to_wgs84(e, n)
        areas.append((int(members.sum()), float(c_lat), float(c_lon), reach_m))
    areas.sort(key=lambda a: (-a[0], a[1], a[2]))
    return [HighIncidenceArea(rank, lat_c, lon_c, reach, count)
            for rank, (count, lat_c, lon_c, reach) in enumerate(areas, 1)]


def compare_windows(now: list[HighIncidenceArea], before: list[HighIncidenceArea], *,
                    growth: float = 0.25) -> list[HighIncidenceArea]:
    """``now``'s areas with their trend against ``before`` (an area overlapping an earlier
    one is the same area), then earlier areas no longer dense enough, as fading.

    Why a ratio of ``growth`` (25 %): a weekly count of 12 against 11 is noise, 15
    against 11 is a change the meeting should hear about.
    """
    frame = LocalFrame(now[0].lat_deg, now[0].lon_deg) if now else None
    matched: set[int] = set()
    out = []
    for area in now:
        twin = _overlapping(area, before, frame, matched)
        if twin is None:
            out.append(area)
            continue
        matched.add(twin.rank)
        trend = (AreaTrend.GROWING if area.count >= twin.count * (1 + growth)
                 else AreaTrend.FADING if area.count <= twin.count * (1 - growth)
                 else AreaTrend.STEADY)
        out.append(HighIncidenceArea(area.rank, area.lat_deg, area.lon_deg, area.radius_m,
                                     area.count, twin.count, trend))
    gone = [HighIncidenceArea(len(out) + i, b.lat_deg, b.lon_deg, b.radius_m, 0, b.count,
                              AreaTrend.FADING)
            for i, b in enumerate((b for b in before if b.rank not in matched), 1)]
    return out + gone


def _overlapping(area: HighIncidenceArea, before: list[HighIncidenceArea],
                 frame: LocalFrame | None, taken: set[int]) -> HighIncidenceArea | None:
    if frame is None:
        return None
    e0, n0 = frame.to_local(area.lat_deg, area.lon_deg)
    best = None
    for b in before:
        if b.rank in taken:
            continue
        e, n = frame.to_local(b.lat_deg, b.lon_deg)
        gap_m = float(np.hypot(float(e) - float(e0), float(n) - float(n0)))
        if gap_m <= area.radius_m + b.radius_m and (best is None or gap_m < best[0]):
            best = (gap_m, b)
    return best[1] if best else None
