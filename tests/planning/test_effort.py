"""Search effort formulas."""

from __future__ import annotations

import math

import pytest
import shapely

from dronewatch.planning.effort import (
    coverage_factor,
    cumulative_pod,
    poc_rings,
    pod,
    probability_of_success,
)


def test_pod_from_coverage():
    assert coverage_factor(50, 50) == 1.0
    assert pod(1.0) == pytest.approx(1 - math.exp(-1))
    assert pod(0.0) == 0.0
    assert cumulative_pod([0.5, 0.5]) == pytest.approx(0.75)


def test_rings_hold_95_percent_and_shrink_with_hours():
    rings = poc_rings()
    assert sum(r.poc for r in rings) == pytest.approx(0.95)
    assert [r.outer_m for r in rings] == [1100, 2000, 3600, 7300]
    short = poc_rings(hours_lost=0.5)  # 1.5 km at most
    assert short[-1].outer_m == 1500 and sum(r.poc for r in short) == pytest.approx(0.95)


def test_probability_of_success_counts_only_what_was_covered():
    rings = poc_rings()
    everything = shapely.Point(0, 0).buffer(10_000)
    assert probability_of_success(rings, (0, 0), everything, 0.8) == pytest.approx(0.95 * 0.8,
                                                                                   rel=1e-3)
    inner = shapely.Point(0, 0).buffer(1100, quad_segs=32)
    assert probability_of_success(rings, (0, 0), inner, 1.0) == pytest.approx(0.25, rel=1e-2)
