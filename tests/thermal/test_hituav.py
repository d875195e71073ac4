"""The benchmark's scoring on real thermal frames (HIT-UAV, ../shared/data): skips when
absent. The network must beat the rule-based baseline it replaced, on the same frames."""

from __future__ import annotations

import pytest

from dronewatch.thermal import default_detector
from dronewatch.thermal.training.evaluate import scores_at
from tests.benchmarks import hituav

pytestmark = pytest.mark.skipif(not (hituav.DATA / "annotations" / "val.json").exists(),
                                reason="HIT-UAV data (../shared/data/hit-uav) not present")


def test_network_beats_the_rules_on_real_frames_by_day_and_night():
    frames = hituav.load_split(hituav.DATA, "val")
    sample = [f for f in frames if f.night][:15] + [f for f in frames if not f.night][:15]
    detector = default_detector()
    alarm = detector.info.alarm_confidence
    ours, _, skipped = hituav.evaluate(
        sample, lambda f, lab: hituav._persons(f, lab, detector, alarm))
    rules, _, _ = hituav.evaluate(sample, lambda f, lab: hituav._persons(f, lab, "rules", 0))
    assert skipped == 0 and len(ours["all"]) == 30
    net, base = scores_at(ours["all"], 0.0), scores_at(rules["all"], 0.0)
    assert net.labels == base.labels > 50
    assert net.f1 >= base.f1 + 0.2, (net, base)
    for group in ("day", "night"):
        assert scores_at(ours[group], 0.0).recall >= 0.6
