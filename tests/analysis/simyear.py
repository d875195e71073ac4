"""A seeded stretch of simulated station data: planted high-incidence areas plus scatter.

Why a generator of its own: the clustering tests, the weekly report tests and the
benchmark must agree on what "planted" means, and know the answer they look for.
Findings are written through the store API (a patrol per simulated week would take
hours); part 2's re-flights are tested with real patrols instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dronewatch.geo import LocalFrame
from dronewatch.store import Finding, FindingKind, Store

WEEK_S = 7 * 86_400.0
START_UNIX_S = 1_735_660_800.0  # 2025-01-01 00:00 +08 (a Wednesday)
DISTRICT = LocalFrame(44.80, 88.70)  # the middle of the modelled district
HALF_WIDTH_M = 20_000.0


@dataclass(frozen=True, slots=True)
class PlantedArea:
    lat_deg: float
    lon_deg: float
    sigma_m: float
    first_week: int  # active from this week on (a new area appears mid-year)
    weight: float  # share of the planted findings, relative


def planted_areas(rng: np.random.Generator, count: int, weeks: int) -> list[PlantedArea]:
    """``count`` areas at least 3 km apart, a third of them appearing half-way."""
    spots: list[tuple[float, float]] = []
    while len(spots) < count:
        e, n = rng.uniform(-0.8 * HALF_WIDTH_M, 0.8 * HALF_WIDTH_M, 2)
        if all(np.hypot(e - a, n - b) > 3000 for a, b in spots):
            spots.append((float(e), float(n)))
    areas = []
    for i, (e, n) in enumerate(spots):
        lat, lon = DISTRICT.to_wgs84(e, n)
        areas.append(PlantedArea(float(lat), float(lon), float(rng.uniform(40, 120)),
                                 weeks // 2 if i % 3 == 2 else 0, float(rng.uniform(0.5, 1.5))))
    return areas


def simulated_findings(seed: int, total: int, weeks: int, areas_count: int = 6,
                       noise_share: float = 0.4) -> tuple[list[Finding], list[PlantedArea]]:
    """``total`` hotspot findings over ``weeks`` weeks: ``noise_share`` scattered over
    the district, the rest around the planted areas (sigma 40-120 m)."""
    rng = np.random.default_rng(seed)
    areas = planted_areas(rng, areas_count, weeks)
    n_noise = int(total * noise_share)
    east = list(rng.uniform(-HALF_WIDTH_M, HALF_WIDTH_M, n_noise))
    north = list(rng.uniform(-HALF_WIDTH_M, HALF_WIDTH_M, n_noise))
    when = list(rng.uniform(0, weeks * WEEK_S, n_noise))
    weights = np.array([a.weight for a in areas])
    pick = rng.choice(len(areas), total - n_noise, p=weights / weights.sum())
    for i in pick:
        a = areas[i]
        e0, n0 = DISTRICT.to_local(a.lat_deg, a.lon_deg)
        de, dn = rng.normal(0, a.sigma_m, 2)
        east.append(float(e0) + de)
        north.append(float(n0) + dn)
        when.append(rng.uniform(a.first_week * WEEK_S, weeks * WEEK_S))
    lat, lon = DISTRICT.to_wgs84(np.array(east), np.array(north))
    findings = [Finding(FindingKind.HOTSPOT, float(la), float(lo), 3.0, 0.9,
                        START_UNIX_S + t, START_UNIX_S + t + 120.0,
                        peak_temp_c=float(60 + 200 * rng.random()),
                        area_m2=float(5 + 50 * rng.random()))
                for la, lo, t in zip(lat, lon, when, strict=True)]
    return findings, areas


def fill_store(store: Store, seed: int, total: int, weeks: int,
               areas_count: int = 6) -> list[PlantedArea]:
    findings, areas = simulated_findings(seed, total, weeks, areas_count)
    store.add_findings(findings)
    return areas


def score(found: list[tuple[float, float]], planted: list[PlantedArea]
          ) -> tuple[float, float]:
    """(recall, precision): a found area is right when its centre lies within 3 sigma
    (at least 200 m) of a planted area's centre."""
    def hit(lat: float, lon: float, a: PlantedArea) -> bool:
        e, n = DISTRICT.to_local(lat, lon)
        e0, n0 = DISTRICT.to_local(a.lat_deg, a.lon_deg)
        return float(np.hypot(float(e) - float(e0), float(n) - float(n0))) <= max(
            200.0, 3 * a.sigma_m)
    recall = sum(any(hit(la, lo, a) for la, lo in found) for a in planted) / len(planted)
    precision = (sum(any(hit(la, lo, a) for a in planted) for la, lo in found) / len(found)
                 if found else 0.0)
    return recall, precision
