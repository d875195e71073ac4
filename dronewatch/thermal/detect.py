"""Persons, vehicles and hotspots in one frame, measured in metres and placed on the ground.

Persons and vehicles come from the learned detector (``learned.py``: a network trained
on real UAV thermal frames, calibrated, confirmed by temperature in radiometric frames);
hotspots from classical thresholds (``hotspots.py``). The rule-based person detector
(``rulepersons.py``) stays as the measured baseline and for ``persons_by="rules"``.

Two kinds of frame are made fit first. Uncalibrated raw counts (DJI R-JPEG without DJI's
SDK) hold no temperature and no fixed scale, so they are shown as an 8-bit AGC picture
would be and detected as one. Burned-in overlay text (date, position) is filled in from
its surroundings, and nothing is reported whose centre lies on it: its sharp bright
strokes look like small warm bodies.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from dronewatch.geo import distance_m
from dronewatch.geo.terrain import Terrain
from dronewatch.thermal.boxes import inside_box
from dronewatch.thermal.detection import Detection, FindingKind, HotspotModel, PersonModel
from dronewatch.thermal.frame import Frame, PixelUnit
from dronewatch.thermal.georef import TYPICAL_POSE, PoseUncertainty
from dronewatch.thermal.hotspots import hotspots as find_hotspots
from dronewatch.thermal.learned import BoxDetector, default_detector, radiometric_to_agc
from dronewatch.thermal.netpersons import network_detections
from dronewatch.thermal.placement import FrameGeometry, GroundScale
from dronewatch.thermal.rulepersons import rule_persons
from dronewatch.thermal.sources import without_overlay

__all__ = ["detect"]

_PERSONS, _HOTSPOTS = PersonModel(), HotspotModel()
RAW_MIN_SPAN_COUNTS = 200.0  # ~10 K at the 10-50 counts per kelvin of DJI's raw data


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
    frame = _fit_for_detection(frame)
    geometry = FrameGeometry(frame, terrain, scale, uncertainty)
    if persons_by == "rules":
        found = rule_persons(frame, geometry, persons)
    else:
        detector = default_detector() if persons_by == "network" else persons_by
        found = network_detections(frame, geometry, detector, persons)  # type: ignore[arg-type]
        if frame.unit.radiometric:
            found = _join(found, rule_persons(frame, geometry, persons))
        found = _cyclists_are_persons(found)
    found.extend(find_hotspots(frame, hotspots, geometry))
    if frame.overlay_mask is not None:
        height, width = frame.overlay_mask.shape
        found = [d for d in found if not frame.overlay_mask[
            min(max(round(d.v_px), 0), height - 1), min(max(round(d.u_px), 0), width - 1)]]
    return found


def _join(network: list[Detection], rules: list[Detection]) -> list[Detection]:
    """The network's detections and the temperature rules' persons, one per object.

    Why both in radiometric frames: the network learned people from 8-bit campus video
    and misses some in the Gobi (small, or on warm day ground), where a measured body
    temperature, contrast and size in metres are strong evidence of their own; the rules
    were the station's detector before and score no false person in the simulated
    Gobi. A rule person at a network person's place makes that one surer (the larger
    confidence of the two); one the network did not see joins with the rules' own.
    """
    joined = list(network)
    persons = [k for k, d in enumerate(network) if d.kind is FindingKind.PERSON]
    for rule in rules:
        twin = next((k for k in persons if _same_place(network[k], rule)), None)
        if twin is None:
            joined.append(rule)
        elif rule.confidence > joined[twin].confidence:
            joined[twin] = replace(joined[twin], confidence=rule.confidence)
    return joined


def _cyclists_are_persons(found: list[Detection]) -> list[Detection]:
    """Drop a vehicle at a surer person's place: for a search, a cyclist (or a person
    the network also half-took for a bicycle) is a person, reported once."""
    persons = [d for d in found if d.kind is FindingKind.PERSON]
    return [d for d in found if d.kind is not FindingKind.VEHICLE or not any(
        p.confidence >= d.confidence and _overlap(p, d) for p in persons)]


def _overlap(a: Detection, b: Detection) -> bool:
    """Each one's centre inside the other's box (boxes of the network), or within 3 px."""
    def inside(point: Detection, box: Detection) -> bool:
        if box.box_px is None:
            return abs(point.u_px - box.u_px) <= 3 and abs(point.v_px - box.v_px) <= 3
        return inside_box(point.u_px, point.v_px, box.box_px)
    return inside(a, b) or inside(b, a)


def _same_place(network: Detection, rule: Detection) -> bool:
    """Whether two sightings in one frame are one object: within half the rule blob's
    length (and a metre) on the ground, or inside the network's box when unplaced."""
    if network.fix is not None and rule.fix is not None:
        apart = distance_m(network.fix.lat_deg, network.fix.lon_deg, rule.fix.lat_deg,
                           rule.fix.lon_deg)
        return apart <= rule.length_m / 2 + 1.0
    x, y, w, h = network.box_px or (network.u_px - 1.5, network.v_px - 1.5, 3.0, 3.0)
    return x - w / 2 <= rule.u_px <= x + 1.5 * w and y - h / 2 <= rule.v_px <= y + 1.5 * h


def _fit_for_detection(frame: Frame) -> Frame:
    """Raw counts as 8-bit display levels; overlay text filled in from around it."""
    pixels, unit = frame.pixels, frame.unit
    if unit is PixelUnit.RAW_COUNTS:
        pixels, unit = radiometric_to_agc(pixels, min_span_k=RAW_MIN_SPAN_COUNTS), \
            PixelUnit.AGC_8BIT
    if frame.overlay_mask is not None:
        pixels = without_overlay(pixels, frame.overlay_mask)
    if pixels is frame.pixels:
        return frame
    return replace(frame, pixels=pixels, unit=unit)
