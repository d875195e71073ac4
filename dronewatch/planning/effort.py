"""Search effort: coverage factor, probability of detection and of success.

Why these formulas: they are the ones search managers use (IAMSAR Vol. II; Koopman's
random-search law): coverage C = W / S for sweep width W and track spacing S,
POD = 1 - exp(-C), repeated searches combine as 1 - prod(1 - POD_i), and the
probability of success of a plan is the sum over cells of POC x POD.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import shapely

__all__ = [
    "DRY_FLAT_RINGS_KM",
    "PocRing",
    "coverage_factor",
    "cumulative_pod",
    "poc_rings",
    "pod",
    "probability_of_success",
]

#: Distance from the last known point within which 25/50/75/95 % of lost people were
#: found, for hikers in dry, flat terrain (Koester, Lost Person Behavior, 2008,
#: rounded). The station adopts these for a worker lost on foot in the Gobi.
DRY_FLAT_RINGS_KM = ((0.25, 1.1), (0.50, 2.0), (0.75, 3.6), (0.95, 7.3))


def coverage_factor(sweep_width_m: float, spacing_m: float) -> float:
    """C = W / S."""
    if sweep_width_m <= 0 or spacing_m <= 0:
        raise ValueError("sweep width and spacing must be positive")
    return sweep_width_m / spacing_m


def pod(coverage: float) -> float:
    """Probability of detection for a coverage factor (exponential detection function)."""
    return 1.0 - math.exp(-max(coverage, 0.0))


def cumulative_pod(pods: Iterable[float]) -> float:
    """POD after several independent searches of the same area."""
    miss = 1.0
    for p in pods:
        miss *= 1.0 - p
    return 1.0 - miss


@dataclass(frozen=True, slots=True)
class PocRing:
    """An annulus around the last known point holding ``poc`` of the probability."""

    inner_m: float
    outer_m: float
    poc: float

    def polygon(self, centre: tuple[float, float]) -> shapely.Geometry:
        outer = shapely.Point(centre).buffer(self.outer_m, quad_segs=32)
        if self.inner_m <= 0:
            return outer
        return outer.difference(shapely.Point(centre).buffer(self.inner_m, quad_segs=32))


def poc_rings(rings_km: Sequence[tuple[float, float]] = DRY_FLAT_RINGS_KM,
              hours_lost: float | None = None) -> list[PocRing]:
    """Probability-of-containment rings from cumulative (share, distance km) pairs.

    With ``hours_lost`` the distances are capped at 3 km/h walking for that long, and the
    probability beyond is folded into the last ring (nobody walks further than that).
    """
    rings = []
    inner, taken = 0.0, 0.0
    cap = hours_lost * 3000.0 if hours_lost else math.inf
    for share, km in rings_km:
        outer = min(km * 1000.0, cap)
        if outer <= inner:
            rings[-1] = PocRing(rings[-1].inner_m, rings[-1].outer_m,
                                rings[-1].poc + share - taken)
        else:
            rings.append(PocRing(inner, outer, share - taken))
            inner = outer
        taken = share
    return rings


def probability_of_success(rings: Sequence[PocRing], centre: tuple[float, float],
                           covered: shapely.Geometry, pod_in_covered: float) -> float:
    """POS = sum over rings of POC x (share of the ring covered) x POD there."""
    total = 0.0
    for ring in rings:
        area = ring.polygon(centre)
        if area.area <= 0:
            continue
        share = area.intersection(covered).area / area.area
        total += ring.poc * share * pod_in_covered
    return total
