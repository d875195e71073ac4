"""The plan: safe paths over the terrain, split into sorties the battery allows.

Why one assembly step for every pattern: whatever the pattern (coverage lanes, an
expanding square), the same guarantees must hold, so every path goes through the
same gate here: cut to the flyable region, hops and transits routed around no-fly
zones, heights fitted to the terrain, every leg checked again, then cut into sorties
that keep the battery reserve. A plan that cannot meet them is refused.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely

from dronewatch.geo import CameraModel, LocalFrame, Terrain
from dronewatch.planning.altitude import AltitudePolicy, HeightPoint, follow_terrain
from dronewatch.planning.energy import Airframe, LegCost, cumulative_energy_wh, path_cost
from dronewatch.planning.errors import PlanningError
from dronewatch.planning.routing import Router
from dronewatch.zones import LaunchSite, ZoneSet

__all__ = ["Plan", "PlanningContext", "Sortie"]

Point = tuple[float, float]


@dataclass(frozen=True, slots=True)
class Sortie:
    """One flight from the launch site and back: its waypoints and what it costs."""

    points: tuple[HeightPoint, ...]
    cost: LegCost


@dataclass(frozen=True)
class Plan:
    """A flyable plan: sorties, camera settings, predicted effort and success."""

    name: str
    pattern: str
    frame: LocalFrame
    home: LaunchSite
    sorties: tuple[Sortie, ...]
    altitude: AltitudePolicy
    speed_mps: float
    trigger_distance_m: float
    gimbal_pitch_deg: float
    spacing_m: float
    sweep_width_m: float
    searched_area_m2: float
    covered_share: float
    pod: float
    pos: float | None = None
    notes: tuple[str, ...] = ()
    region_local: shapely.Geometry | None = field(default=None, repr=False, compare=False)

    @property
    def distance_m(self) -> float:
        return sum(s.cost.distance_m for s in self.sorties)

    @property
    def time_s(self) -> float:
        return sum(s.cost.time_s for s in self.sorties)

    @property
    def energy_wh(self) -> float:
        return sum(s.cost.energy_wh for s in self.sorties)

    def waypoints_wgs84(self, sortie: int = 0) -> list[tuple[float, float, float]]:
        """(lat, lon, alt AMSL) of one sortie's waypoints."""
        points = self.sorties[sortie].points
        lat, lon = self.frame.to_wgs84([p.east_m for p in points], [p.north_m for p in points])
        return [(float(a), float(b), p.alt_amsl_m) for a, b, p in zip(lat, lon, points,
                                                                      strict=True)]


class PlanningContext:
    """The fixed inputs of planning: zones, terrain, camera, airframe, heights, margins.

    Parameters
    ----------
    no_fly_margin_m
        How far every leg stays from a no-fly zone.
    boundary_margin_m
        How far every leg stays inside the operating area.
    """

    def __init__(self, zones: ZoneSet, terrain: Terrain, camera: CameraModel, *,
                 airframe: Airframe | None = None, altitude: AltitudePolicy | None = None,
                 no_fly_margin_m: float = 50.0, boundary_margin_m: float = 30.0,
                 launch_site: str | None = None) -> None:
        self.zones, self.terrain, self.camera = zones, terrain, camera
        self.airframe = airframe or Airframe()
        legal = float(zones.operating_area.properties["max_alt_agl_m"])
        self.altitude = altitude or AltitudePolicy(max_agl_m=legal)
        if self.altitude.max_agl_m > legal:
            raise PlanningError(f"altitude limit {self.altitude.max_agl_m:g} m is above the "
                                f"operating area's legal ceiling of {legal:g} m above ground")
        self.frame = zones.frame
        area = zones.local_geometry(zones.operating_area.id)
        self.no_fly = zones.no_fly_union_local(no_fly_margin_m)
        self.allowed = area.buffer(-boundary_margin_m).difference(self.no_fly)
        shapely.prepare(self.allowed)
        self.router = Router(area.buffer(-boundary_margin_m), self.no_fly)
        sites = {s.id: s for s in zones.launch_sites}
        if launch_site is not None and launch_site not in sites:
            raise PlanningError(f"unknown launch site {launch_site!r}; known: {', '.join(sites)}")
        self.home = sites[launch_site] if launch_site else zones.launch_sites[0]
        east, north = self.frame.to_local(self.home.lat_deg, self.home.lon_deg)
        self.home_xy: Point = (float(east), float(north))

    def ground(self, east: np.ndarray, north: np.ndarray) -> np.ndarray:
        lat, lon = self.frame.to_wgs84(east, north)
        return self.terrain.elevation_or_nan(lat, lon)

    def footprint_m(self, *, lowest: bool = False) -> tuple[float, float]:
        """Nadir footprint (across, along track) at the target height on flat ground, or
        with ``lowest`` at the lowest height the band allows (the smallest it can be)."""
        h = self.altitude.band[0] if lowest else self.altitude.target_agl_m
        return (2 * h * math.tan(math.radians(self.camera.hfov_deg / 2)),
                2 * h * math.tan(math.radians(self.camera.vfov_deg / 2)))

    def local(self, lat_deg: float, lon_deg: float) -> Point:
        east, north = self.frame.to_local(lat_deg, lon_deg)
        return float(east), float(north)

    # -- assembly ----------------------------------------------------------------------
    def safe_path(self, legs: Sequence[Sequence[Point]]) -> list[tuple[float, float, bool]]:
        """Survey legs (polylines) cut to the flyable region and joined by safe transits.

        Returns (east, north, survey) points from home back to home; ``survey`` marks
        the legs that are part of the search, not a transit.
        """
        pieces: list[list[Point]] = []
        ends = np.array([(a, b) for polyline in legs for a, b in itertools.pairwise(polyline)],
                        dtype=float).reshape(-1, 2, 2)
        lines = shapely.linestrings(ends)
        # Most legs are clear (a cheap prepared test); only the rest are cut. Clear as the
        # router and the final check judge it (with their slack): a leg a route made
        # around a zone grazes the zone's edge within it, and cutting it at the exact
        # edge turned a few metres of survey into transit.
        cut = lines.copy()
        outside = ~self.router.clear_legs(ends[:, 0], ends[:, 1])
        cut[outside] = shapely.intersection(lines[outside], self.allowed)
        for line, inside in zip(lines, cut, strict=True):
            parts = [g for g in getattr(inside, "geoms", [inside])
                     if isinstance(g, shapely.LineString) and g.length > 1.0]
            if len(parts) > 1:
                parts.sort(key=lambda g: line.project(shapely.Point(g.coords[0])))
            for part in parts:
                coords = [tuple(c) for c in part.coords]
                if pieces and math.dist(pieces[-1][-1], coords[0]) < 1e-6:
                    pieces[-1].extend(coords[1:])
                else:
                    pieces.append(coords)
        if not pieces:
            raise PlanningError("nothing of the search area can be flown: it lies in no-fly "
                                "zones or outside the operating area")
        path: list[tuple[float, float, bool]] = [(*self.home_xy, False)]
        for piece in pieces:
            for corner in self.router.route(path[-1][:2], piece[0])[1:]:
                path.append((*corner, False))
            path.extend((x, y, True) for x, y in piece[1:])
        for corner in self.router.route(path[-1][:2], self.home_xy)[1:]:
            path.append((*corner, False))
        return path

    def check(self, points: Sequence[HeightPoint]) -> None:
        """The guarantee, checked on the finished path: every leg clear of no-fly and border."""
        xy = np.array([(p.east_m, p.north_m) for p in points], dtype=float).reshape(-1, 2)
        if not self.router.clear_legs(xy[:-1], xy[1:]).all():
            raise PlanningError("internal: a leg enters a no-fly zone or leaves the area")

    def sorties(self, path: list[tuple[float, float, bool]],
                explain: Callable[[str], None]) -> tuple[Sortie, ...]:
        """Heights along the path, then as many sorties as the battery reserve needs.

        Each sortie flies on from where the last one stopped: transit out, as much of
        the path as leaves enough energy for the way home, transit back.
        """
        heights = follow_terrain(path, self.ground, self.altitude)
        self.check(heights)
        whole = path_cost(heights, self.airframe)
        usable = self.airframe.usable_wh
        if whole.energy_wh <= usable:
            return (Sortie(tuple(heights), whole),)
        # Sorties may end anywhere: give long legs points to stop at, every 300 m.
        heights = follow_terrain(_densify(path, 300.0), self.ground, self.altitude)
        spent = cumulative_energy_wh(heights, self.airframe)
        per_m = self.airframe.power_w(self.airframe.cruise_speed_mps, 0.0) / (
            self.airframe.cruise_speed_mps * 3600.0)
        last = len(heights) - 2  # heights[-1] is home again
        out: list[Sortie] = []
        backs: dict[int, list[HeightPoint]] = {}  # the real way home from a path index
        start = 1
        while start < last:
            out_leg = self._transit(self.home_xy, heights[start])
            budget = usable - path_cost(out_leg, self.airframe).energy_wh
            end = start
            # Walk on while the work so far plus a generous way home (25 % over the
            # straight line) fits; then make sure with the real way home.
            while end < last:
                p = heights[end + 1]
                home_m = math.dist((p.east_m, p.north_m), self.home_xy) * 1.25
                if spent[end + 1] - spent[start] + home_m * per_m > budget:
                    break
                end += 1
            # The estimate may be too hopeful: try the real way home from it (it most
            # often fits: the straight line is long over), else bisect below it.
            lo, hi = start + 1, end
            if end > start and self._home_fits(heights, spent, backs, start, end, budget):
                lo = hi + 1
            else:
                hi, end = end - 1, start
            while lo <= hi:
                mid = (lo + hi) // 2
                if self._home_fits(heights, spent, backs, start, mid, budget):
                    end, lo = mid, mid + 1
                else:
                    hi = mid - 1
            if end == start:
                raise PlanningError(f"the search area is too far: even one leg and the way "
                                    f"back need more than the {usable:.0f} Wh a battery gives "
                                    f"above its {self.airframe.reserve_fraction:.0%} reserve")
            points = (*out_leg[:-1], *heights[start:end + 1], *backs[end][1:])
            self.check(points)
            out.append(Sortie(points, path_cost(points, self.airframe)))
            start = end
        explain(f"split into {len(out)} sorties: the whole plan needs {whole.energy_wh:.0f} Wh, "
                f"one battery gives {usable:.0f} Wh above its "
                f"{self.airframe.reserve_fraction:.0%} reserve")
        return tuple(out)

    def _home_fits(self, heights: list[HeightPoint], spent: np.ndarray,
                   backs: dict[int, list[HeightPoint]], start: int, end: int,
                   budget_wh: float) -> bool:
        """Whether the path from ``start`` to ``end`` and the real way home fit the budget."""
        back = backs.get(end)
        if back is None:
            back = backs[end] = self._transit((heights[end].east_m, heights[end].north_m), None)
        return bool(spent[end] - spent[start] + path_cost(back, self.airframe).energy_wh
                    <= budget_wh)

    def _transit(self, a: Point, b: HeightPoint | None) -> list[HeightPoint]:
        """Heights along the safe route from a to b (or home when b is None)."""
        end = self.home_xy if b is None else (b.east_m, b.north_m)
        route = [(x, y, False) for x, y in self.router.route(a, end)]
        return follow_terrain(route, self.ground, self.altitude)


def _densify(path: list[tuple[float, float, bool]],
             step_m: float) -> list[tuple[float, float, bool]]:
    """The same path with extra points every ``step_m`` along long legs."""
    out = [path[0]]
    for (ax, ay, _), (bx, by, survey) in itertools.pairwise(path):
        pieces = max(1, math.ceil(math.hypot(bx - ax, by - ay) / step_m))
        for k in range(1, pieces + 1):
            f = k / pieces
            out.append((ax + f * (bx - ax), ay + f * (by - ay), survey))
    return out
