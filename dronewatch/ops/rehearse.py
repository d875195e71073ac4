"""Rehearsals with something to find: people and fires planted in the search area.

Why: a rehearsal with the simulated camera over an empty world flies a whole search,
finds nothing, and proves nothing. With ``count`` > 0 the station plants that many
people and as many coal fires at seeded random places inside the search area (never
inside a no-fly zone, always on the DEM, apart from each other), flies the search
against that world, and scores what it found against what was planted: each planted
thing found (and how far its pin was from it) or missed, and every finding that is
near nothing planted. With ``count`` 0 the operator is told there is nothing to find.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from dronewatch.errors import DronewatchError
from dronewatch.geo import Terrain, camera_preset, distance_m
from dronewatch.link import Vehicle
from dronewatch.ops.alarm import SearchRequest, plan_for_alarm, run_search
from dronewatch.ops.record import Announcement, AnnouncementKind
from dronewatch.ops.search import DEFAULT_OPTIONS, FlightOptions, FlightReport
from dronewatch.planning import Plan
from dronewatch.store import Finding, FindingKind, Store
from dronewatch.store.journal import is_store_failure
from dronewatch.zones import ZoneSet

__all__ = ["DEFAULT_SEED", "Match", "Planted", "RehearsalError", "RehearsalResult",
           "RehearsalScore", "plant_spots", "run_rehearsal", "score"]

DEFAULT_SEED = 20261123
MATCH_WITHIN_M = 15.0  # a pin this close to a planted thing (plus a fire's radius) found it
APART_M = 40.0  # planted things keep this far apart, so a pin cannot match two
INSET_M = 15.0  # and this far inside the search area's edge, where the camera looks
_KIND_NAME = {FindingKind.PERSON: ("person", "persons"),
              FindingKind.HOTSPOT: ("fire", "fires")}


class RehearsalError(DronewatchError, ValueError):
    """The rehearsal cannot be set up as asked (no room for what is to be planted)."""


@dataclass(frozen=True, slots=True)
class Planted:
    """One planted thing: a person, or a coal fire (found as a hotspot)."""

    kind: FindingKind
    lat_deg: float
    lon_deg: float
    label: str
    radius_m: float = 0.0  # a fire's; a person is a point at this scale


@dataclass(frozen=True, slots=True)
class Match:
    """A planted thing and the finding that found it (none: missed)."""

    planted: Planted
    finding_id: int | None = None
    distance_m: float | None = None


@dataclass(frozen=True, slots=True)
class RehearsalScore:
    """Found against planted, per kind."""

    matches: tuple[Match, ...]
    unmatched: tuple[int, ...] = ()  # person/hotspot findings near nothing planted

    def planted(self, kind: FindingKind) -> int:
        return sum(m.planted.kind is kind for m in self.matches)

    def found(self, kind: FindingKind) -> int:
        return sum(m.planted.kind is kind and m.finding_id is not None for m in self.matches)

    def summary(self) -> str:
        parts = [f"{self.found(kind)} of {self.planted(kind)} planted {plural} found"
                 for kind, (_, plural) in _KIND_NAME.items()]
        return (f"rehearsal: {', '.join(parts)}; {len(self.unmatched)} finding(s) near "
                "nothing planted")

    def lines(self) -> list[str]:
        """One line per planted thing: found (by which finding, how far) or missed."""
        out = []
        for m in self.matches:
            p = m.planted
            if m.finding_id is None:
                out.append(f"{p.label} missed (planted at {p.lat_deg:.6f}, {p.lon_deg:.6f})")
            else:
                out.append(f"{p.label} found as #{m.finding_id}, {m.distance_m:.1f} m from "
                           "where it was planted")
        if self.unmatched:
            out.append("near nothing planted: " + ", ".join(f"#{i}" for i in self.unmatched))
        return out

    def as_dict(self) -> dict[str, Any]:
        return {plural: {"planted": self.planted(kind), "found": self.found(kind),
                         "matches": [{"label": m.planted.label, "lat_deg": m.planted.lat_deg,
                                      "lon_deg": m.planted.lon_deg,
                                      "finding_id": m.finding_id,
                                      "distance_m": None if m.distance_m is None
                                      else round(m.distance_m, 2)}
                                     for m in self.matches if m.planted.kind is kind]}
                for kind, (_, plural) in _KIND_NAME.items()} | {
            "near_nothing_planted": list(self.unmatched)}


@dataclass(frozen=True, slots=True)
class RehearsalResult:
    report: FlightReport
    score: RehearsalScore | None  # None: nothing was planted


def plant_spots(plan: Plan, zones: ZoneSet, terrain: Terrain, count: int,
                rng: np.random.Generator) -> list[tuple[float, float]]:
    """``count`` (lat, lon) places inside the plan's search area, out of every no-fly
    zone, on the DEM, at least :data:`APART_M` apart.

    Raises
    ------
    RehearsalError
        The area has no room for that many.
    """
    region = plan.region_local
    if region is None or region.is_empty:
        raise RehearsalError("the plan has no search area to plant things in")
    inner = region.buffer(-INSET_M)
    allowed = (inner if not inner.is_empty else region).difference(
        zones.no_fly_union_local(0.0))
    if allowed.is_empty:
        raise RehearsalError("the whole search area lies in no-fly zones: nothing can be "
                             "planted there")
    shapely.prepare(allowed)
    west, south, east, north = allowed.bounds
    local: list[tuple[float, float]] = []
    spots: list[tuple[float, float]] = []
    for _ in range(200 * max(count, 1)):
        if len(spots) == count:
            break
        e, n = float(rng.uniform(west, east)), float(rng.uniform(south, north))
        if not allowed.contains(shapely.Point(e, n)) or any(
                math.hypot(e - e0, n - n0) < APART_M for e0, n0 in local):
            continue
        lat, lon = plan.frame.to_wgs84(e, n)
        if math.isfinite(terrain.elevation_at(float(lat), float(lon))):
            local.append((e, n))
            spots.append((float(lat), float(lon)))
    if len(spots) < count:
        raise RehearsalError(f"no room for {count} planted things {APART_M:.0f} m apart in "
                             f"the search area ({allowed.area / 1e4:.1f} ha outside no-fly "
                             "zones): plant fewer or search a larger radius")
    return spots


def score(planted: tuple[Planted, ...], findings: tuple[Finding, ...], *,
          within_m: float = MATCH_WITHIN_M) -> RehearsalScore:
    """Match findings to planted things of their kind, nearest pairs first.

    A finding within reach of a planted thing that another finding already matched
    (a fire seen as two hotspots) is not counted as "near nothing planted".
    """
    pairs = []
    for i, p in enumerate(planted):
        for f in findings:
            if f.kind is p.kind and f.id is not None:
                d = distance_m(p.lat_deg, p.lon_deg, f.lat_deg, f.lon_deg)
                if d <= within_m + p.radius_m:
                    pairs.append((d, i, f.id))
    taken: dict[int, tuple[int, float]] = {}
    used: set[int] = set()
    for d, i, fid in sorted(pairs):
        if i not in taken and fid not in used:
            taken[i] = (fid, d)
            used.add(fid)
    matches = tuple(Match(p, *taken[i]) if i in taken else Match(p)
                    for i, p in enumerate(planted))
    near = {fid for _, _, fid in pairs}
    unmatched = tuple(f.id for f in findings if f.kind in _KIND_NAME and f.id is not None
                      and f.id not in near)
    return RehearsalScore(matches, unmatched)


def run_rehearsal(request: SearchRequest, vehicle: Vehicle, zones: ZoneSet, terrain: Terrain,
                  store: Store, map_path: Path, *, count: int, seed: int = DEFAULT_SEED,
                  options: FlightOptions = DEFAULT_OPTIONS,
                  announce: Callable[[Announcement], None] = lambda _: None,
                  vehicle_name: str = "drone") -> RehearsalResult:
    """A search flown against the simulated thermal world (night, seeded), with
    ``count`` people and ``count`` coal fires planted in its area; scored at the end
    (announced, and kept in the store as a "rehearsal" alert).

    Raises
    ------
    RehearsalError
        No room in the search area for what is to be planted (nothing flew).
    PreflightError, LaunchError
        As :func:`dronewatch.ops.alarm.run_search`.
    """
    from simulators.thermal import Clock, ThermalCamera, ThermalWorld, ThingKind
    from simulators.thermal.scenario import place_thing

    if count < 0:
        raise RehearsalError(f"cannot plant {count} things: give 0 or more")
    plan = plan_for_alarm(zones, terrain, request)
    world = ThermalWorld(Path(terrain.path), zones, Clock(2.0), seed=seed)
    rng = np.random.default_rng(seed)
    planted = []
    for k, (lat, lon) in enumerate(plant_spots(plan, zones, terrain, 2 * count, rng)):
        person = k % 2 == 0
        kind = FindingKind.PERSON if person else FindingKind.HOTSPOT
        label = f"{_KIND_NAME[kind][0]} {k // 2 + 1}"
        thing = place_thing(world, ThingKind.PERSON if person else ThingKind.COAL_FIRE,
                            lat, lon, rng, ident=label)
        planted.append(Planted(kind, lat, lon, label, 0.0 if person else thing.length_m / 2))
    if count:
        announce(Announcement(
            AnnouncementKind.STAGE,
            f"rehearsal: {count} person(s) and {count} fire(s) "
            f"planted at random in the search area (seed {seed})"))
    else:
        announce(Announcement(
            AnnouncementKind.WARNING,
            "rehearsal over an empty simulated world: nothing "
            "is planted, so there is nothing to find (--rehearse N plants "
            "N people and N fires)"))
    camera = ThermalCamera(world, terrain, camera_preset(request.camera), seed=seed)
    report = run_search(request, vehicle, zones, terrain, camera.render, store, map_path,
                        plan=plan, options=options, announce=announce,
                        vehicle_name=vehicle_name)
    if not planted:
        return RehearsalResult(report, None)
    result = score(tuple(planted), report.findings)
    announce(Announcement(AnnouncementKind.STAGE, result.summary()))
    for line in result.lines():
        announce(Announcement(AnnouncementKind.STAGE, line))
    try:
        store.add_alert("rehearsal", f"mission {report.mission_id}: {result.summary()}: "
                        + "; ".join(result.lines()))
    except Exception as exc:
        if not is_store_failure(exc):
            raise
        announce(Announcement(
            AnnouncementKind.WARNING,
            f"the rehearsal's score could not be stored: {exc}"))
    return RehearsalResult(report, result)
