"""Shortest safe transit between two points: around no-fly zones, inside the area.

Why a visibility graph: the shortest path around polygonal obstacles runs straight
between their corners, so the corners of the (grown) no-fly zones plus the two end
points, joined wherever the straight line is clear, contain it; Dijkstra finds it.
The zones are grown by a margin first and the clearance test uses a slightly smaller
growth, so legs may touch the margin's rim but never enter it.
"""

from __future__ import annotations

import heapq
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
        self._corner_rows: dict[int, np.ndarray] = {}
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
        dist = {0: 0.0}
        previous: dict[int, int] = {}
        queue = [(0.0, 0)]
        done = set()
        while queue:
            d, i = heapq.heappop(queue)
            if i in done:
                continue
            done.add(i)
            if i == 1:
                break
            visible = self._visible(i, nodes)
            for j in np.flatnonzero(visible):
                j = int(j)
                if j == 0 or j in done:
                    continue
                step = math.dist(nodes[i], nodes[j])
                if d + step < dist.get(j, math.inf):
                    dist[j] = d + step
                    previous[j] = i
                    heapq.heappush(queue, (dist[j], j))
        if 1 not in previous:
            raise PlanningError("no clear transit route between the points: no-fly zones or "
                                "the operating-area boundary close every way")
        path = [1]
        while path[-1] != 0:
            path.append(previous[path[-1]])
        return [(float(nodes[i][0]), float(nodes[i][1])) for i in reversed(path)]

    def _visible(self, i: int, nodes: np.ndarray) -> np.ndarray:
        """Which nodes node i sees; corner-to-corner rows are computed once and kept."""
        if i < 2:
            return self._clear_many(tuple(nodes[i]), nodes)
        row = self._corner_rows.get(i)
        if row is None:
            row = self._corner_rows[i] = self._clear_many(tuple(nodes[i]), nodes[2:])
        ends = self._clear_many(tuple(nodes[i]), nodes[:2])
        return np.concatenate([ends, row])
