"""Shortest safe transit between two points: around no-fly zones, inside the area.

Why a visibility graph: the shortest path around polygonal obstacles runs straight
between their corners, so the corners of the (grown) no-fly zones plus the two end
points, joined wherever the straight line is clear, contain it; Dijkstra finds it.
The zones are grown by a margin first and the clearance test uses a slightly smaller
growth, so legs may touch the margin's rim but never enter it.
"""

from __future__ import annotations

import math

import numpy as np
import shapely

from dronewatch.planning.errors import PlanningError

__all__ = ["Router"]

_SLACK_M = 0.5  # legs along a grown zone's rim count as clear


class Router:
    """Routes inside ``allowed`` (e.g. the operating area) around ``obstacles`` (no-fly zones).

    Parameters
    ----------
    allowed
        Where flight is permitted, local metres.
    obstacles
        Where it is not, local metres (already including any safety margin).
    """

    def __init__(self, allowed: shapely.Geometry, obstacles: shapely.Geometry | None) -> None:
        self.allowed = allowed
        self.obstacles = obstacles if obstacles is not None and not obstacles.is_empty else None
        self._check_allowed = allowed.buffer(_SLACK_M)
        shapely.prepare(self._check_allowed)
        self._check_blocked = None
        self._corners: list[tuple[float, float]] = []
        self._corner_seen: np.ndarray | None = None
        if self.obstacles is not None:
            self._check_blocked = self.obstacles.buffer(-_SLACK_M)
            shapely.prepare(self._check_blocked)
            # Corners just outside the obstacles: grow by more than the simplification
            # can cut back, so legs between corners never graze an obstacle.
            grown = self.obstacles.buffer(_SLACK_M + 2.0)
            for polygon in getattr(grown, "geoms", [grown]):
                ring = shapely.simplify(polygon, 2.0).exterior
                self._corners.extend(ring.coords[:-1])
            self._corners = [c for c in self._corners if self._check_allowed.covers(
                shapely.Point(c))]

    def _clear_many(self, a: tuple[float, float], others: np.ndarray) -> np.ndarray:
        """Whether each straight leg from a to every row of ``others`` is clear (vectorised)."""
        starts = np.broadcast_to(np.asarray(a, dtype=float), others.shape)
        legs = shapely.linestrings(np.stack([starts, others], axis=1))
        ok = shapely.covers(self._check_allowed, legs)
        if self._check_blocked is not None:
            ok &= ~shapely.intersects(self._check_blocked, legs)
        return ok

    def clear(self, a: tuple[float, float], b: tuple[float, float]) -> bool:
        """Whether the straight leg a-b stays inside the allowed area and out of obstacles."""
        leg = shapely.LineString([a, b]) if a != b else shapely.Point(a)
        if not self._check_allowed.covers(leg):
            return False
        return self._check_blocked is None or not self._check_blocked.intersects(leg)

    def clear_legs(self, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        """:meth:`clear` for many legs at once (rows of start and end points), vectorised."""
        same = np.all(starts == ends, axis=1)
        legs = shapely.linestrings(np.stack([starts, ends], axis=1))
        legs[same] = shapely.points(starts[same])
        ok = shapely.covers(self._check_allowed, legs)
        if self._check_blocked is not None:
            ok &= ~shapely.intersects(self._check_blocked, legs)
        return ok

    def point_ok(self, p: tuple[float, float]) -> bool:
        return self.clear(p, p)

    def route(self, a: tuple[float, float], b: tuple[float, float]) -> list[tuple[float, float]]:
        """The shortest clear path from a to b, as its corner points (a and b included).

        Raises
        ------
        PlanningError
            An end point is not flyable, or no clear path exists.
        """
        for name, p in (("start", a), ("end", b)):
            if not self.point_ok(p):
                raise PlanningError(f"transit {name} ({p[0]:.0f} m E, {p[1]:.0f} m N) is in a "
                                    "no-fly zone or outside the operating area")
        if self.clear(a, b):
            return [a, b]
        nodes = np.array([a, b, *self._corners], dtype=float)
        seen = self._visibility(nodes)
        # Dijkstra over a dense graph of a few dozen nodes: one array step per node.
        dist = np.full(len(nodes), math.inf)
        dist[0] = 0.0
        previous = np.full(len(nodes), -1)
        done = np.zeros(len(nodes), dtype=bool)
        while True:
            i = int(np.argmin(np.where(done, math.inf, dist)))
            if done[i] or not math.isfinite(dist[i]) or i == 1:
                break
            done[i] = True
            step = dist[i] + np.hypot(nodes[:, 0] - nodes[i, 0], nodes[:, 1] - nodes[i, 1])
            better = seen[i] & ~done & (step < dist)
            dist[better] = step[better]
            previous[better] = i
        if previous[1] < 0:
            raise PlanningError("no clear transit route between the points: no-fly zones or "
                                "the operating-area boundary close every way")
        path = [1]
        while path[-1] != 0:
            path.append(int(previous[path[-1]]))
        return [(float(nodes[i][0]), float(nodes[i][1])) for i in reversed(path)]

    def _visibility(self, nodes: np.ndarray) -> np.ndarray:
        """Which nodes see each other: the two ends (rows 0, 1) then the corners.

        Why a kept matrix: every route around the same zones uses the same corners,
        so their mutual visibility is computed once, in one vectorised call; a route
        only adds the rows of its two ends.
        """
        if self._corner_seen is None:
            corners = nodes[2:]
            i, j = np.triu_indices(len(corners), k=1)
            legs = shapely.linestrings(np.stack([corners[i], corners[j]], axis=1))
            ok = shapely.covers(self._check_allowed, legs)
            if self._check_blocked is not None:
                ok &= ~shapely.intersects(self._check_blocked, legs)
            seen = np.zeros((len(corners), len(corners)), dtype=bool)
            seen[i, j] = seen[j, i] = ok
            self._corner_seen = seen
        out = np.zeros((len(nodes), len(nodes)), dtype=bool)
        out[2:, 2:] = self._corner_seen
        for end in (0, 1):
            row = self._clear_many(tuple(nodes[end]), nodes)
            row[end] = False
            out[end, :] = row
            out[:, end] = row
        return out
