"""Persons, vehicles and hotspots in one frame, measured in metres and placed on the ground.

Persons and vehicles come from the learned detector (``learned.py``: a network trained
on real UAV thermal frames, calibrated, confirmed by temperature in radiometric frames);
hotspots from classical thresholds (``hotspots.py``). The rule-based person detector
(``rulepersons.py``) stays as the measured baseline and for ``persons_by="rules"``.
"""

from __future__ import annotations

from typing import Literal

from dronewatch.geo.terrain import Terrain
from dronewatch.thermal.detection import Detection, HotspotModel, PersonModel
from dronewatch.thermal.frame import Frame
from dronewatch.thermal.georef import TYPICAL_POSE, PoseUncertainty
from dronewatch.thermal.hotspots import hotspots as find_hotspots
from dronewatch.thermal.learned import BoxDetector, default_detector
from dronewatch.thermal.netpersons import network_detections
from dronewatch.thermal.placement import FrameGeometry, GroundScale
from dronewatch.thermal.rulepersons import rule_persons

__all__ = ["detect"]

_PERSONS, _HOTSPOTS = PersonModel(), HotspotModel()


def detect(
    frame: Frame,
    terrain: Terrain | None = None,
    *,
    persons: PersonModel = _PERSONS,
    hotspots: HotspotModel = _HOTSPOTS,
    uncertainty: PoseUncertainty = TYPICAL_POSE,
    scale: GroundScale | None = None,
    persons_by: BoxDetector | Literal["network", "rules"] = "network",
) -> list[Detection]:
    """Persons, vehicles and hotspots in a frame, placed on the terrain when it has a pose.

    ``persons_by`` is the shipped network ("network"), another loaded model, or the
    rule-based baseline ("rules").

    Raises
    ------
    ValueError
        The frame has no pose (or no terrain is given) and no ``scale`` either.
    ModelError
        The network's model file is missing or unusable (the message names the fix).
    """
    geometry = FrameGeometry(frame, terrain, scale, uncertainty)
    if persons_by == "rules":
        found = rule_persons(frame, geometry, persons)
    else:
        detector = default_detector() if persons_by == "network" else persons_by
        found = network_detections(frame, geometry, detector, persons)  # type: ignore[arg-type]
    found.extend(find_hotspots(frame, hotspots, geometry))
    return found
