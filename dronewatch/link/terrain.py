"""Terrain served offline: the vehicle's TERRAIN_REQUESTs answered from the station's DEM.

Why: an ArduPilot vehicle flying a mission in terrain frames (MAV_FRAME_GLOBAL_TERRAIN_ALT)
refuses to arm ("PreArm: waiting for terrain data") until it holds the terrain under
its route, and it gets that terrain only by asking a ground station, which Mission
Planner and MAVProxy answer from SRTM tiles downloaded from the internet. A station in
the Gobi has no internet but has its own DEM, so it answers from that.

The protocol, from ArduPilot's ``libraries/AP_Terrain`` (TerrainGCS.cpp, AP_Terrain.h):

- TERRAIN_REQUEST names one grid block by its south-west corner (``lat``/``lon`` in
  degrees x 1e7), its post spacing in metres (the vehicle's TERRAIN_SPACING, 100 by
  default) and a 56-bit ``mask`` of the 4x4 sub-grids it still lacks;
- bit ``b`` is the sub-grid ``b // 8`` sub-grids north and ``b % 8`` east of the corner
  (a block is 7 x 8 sub-grids, 28 x 32 posts);
- TERRAIN_DATA answers one bit with 16 heights (int16, metres AMSL), ``data[4 * x + y]``
  being the post ``x`` spacings north and ``y`` east of the sub-grid's corner;
- TERRAIN_CHECK asks for a TERRAIN_REPORT at a place: ``spacing`` 0 means "no terrain
  there yet", ``pending`` counts sub-grids still missing in the vehicle's cache.

Only ``link`` speaks MAVLink, so heights come from a sampling function the caller
passes (``ops`` hands over the DEM's); this module never opens a raster.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Self

import numpy as np
from numpy.typing import NDArray

from dronewatch.link._mavutil import MavMessage
from dronewatch.link.errors import LinkError, ParamError
from dronewatch.missionitem import Cmd, MissionItem

if TYPE_CHECKING:
    from dronewatch.link.vehicle import Vehicle

__all__ = ["HeightSampler", "TerrainBlock", "TerrainRequest", "TerrainServer",
           "TerrainWait", "blocks_for", "grid_corner_e7", "mission_places", "serve_terrain",
           "terrain_enabled", "wait_for_terrain"]

#: Heights (m AMSL) at WGS84 points, NaN where unknown: ``sample(lat_deg, lon_deg)``.
HeightSampler = Callable[[NDArray[np.float64], NDArray[np.float64]], NDArray[np.float64]]

SUBGRID_POSTS = 4  # TERRAIN_GRID_MAVLINK_SIZE
BLOCK_SUBGRIDS_NORTH, BLOCK_SUBGRIDS_EAST = 7, 8  # TERRAIN_GRID_BLOCK_MUL_X / _Y
MASK_BITS = BLOCK_SUBGRIDS_NORTH * BLOCK_SUBGRIDS_EAST  # 56
#: ArduPilot's flat-earth scale (LOCATION_SCALING_FACTOR): metres per 1e-7 degree of
#: latitude. The vehicle places every post with it, so the station must too.
AP_METRES_PER_E7 = 0.011131884502145034
_INT16 = (-32768, 32767)
_WAYPOINTS = {Cmd.NAV_WAYPOINT, 82}  # 82: MAV_CMD_NAV_SPLINE_WAYPOINT


@dataclass(frozen=True, slots=True)
class TerrainRequest:
    """One TERRAIN_REQUEST: a block's south-west corner, post spacing and missing bits."""

    lat_e7: int
    lon_e7: int
    spacing_m: int
    mask: int

    def __post_init__(self) -> None:
        if self.spacing_m <= 0:
            raise ValueError(f"TERRAIN_REQUEST.grid_spacing must be positive, not "
                             f"{self.spacing_m}")
        if not 0 <= self.mask < 1 << MASK_BITS:
            raise ValueError(f"TERRAIN_REQUEST.mask {self.mask:#x} has bits beyond the "
                             f"{MASK_BITS} sub-grids of a block")
        if abs(self.lat_e7) > 900_000_000 or abs(self.lon_e7) > 1_800_000_000:
            raise ValueError(f"TERRAIN_REQUEST.lat/lon {self.lat_e7}/{self.lon_e7} is not "
                             "degrees x 1e7")

    @classmethod
    def from_message(cls, msg: MavMessage) -> TerrainRequest:
        return cls(int(msg["lat"]), int(msg["lon"]), int(msg["grid_spacing"]),
                   int(msg["mask"]))

    @property
    def bits(self) -> tuple[int, ...]:
        return tuple(b for b in range(MASK_BITS) if self.mask >> b & 1)


@dataclass(frozen=True, slots=True)
class TerrainBlock:
    """One TERRAIN_DATA: the 16 posts of sub-grid ``gridbit``, whole metres AMSL."""

    lat_e7: int
    lon_e7: int
    spacing_m: int
    gridbit: int
    heights_m: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.heights_m) != SUBGRID_POSTS ** 2:
            raise ValueError(f"TerrainBlock.heights_m holds {len(self.heights_m)} posts, "
                             f"not {SUBGRID_POSTS ** 2}")
        if not 0 <= self.gridbit < MASK_BITS:
            raise ValueError(f"TerrainBlock.gridbit {self.gridbit} outside 0..{MASK_BITS - 1}")


def _offset_e7(lat_e7: int, lon_e7: int, north_m: NDArray[np.float64],
               east_m: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """ArduPilot's ``Location::offset``: degrees of points metres north/east of a corner."""
    dlat = north_m / AP_METRES_PER_E7
    scale = np.maximum(np.cos(np.radians((lat_e7 + dlat / 2) * 1e-7)), 0.01)
    return (lat_e7 + dlat) * 1e-7, (lon_e7 + east_m / AP_METRES_PER_E7 / scale) * 1e-7


def _fill_from_nearest(heights: NDArray[np.float64]) -> NDArray[np.float64]:
    """Posts the DEM does not cover take the height of the nearest post it does.

    Why: ArduPilot counts a block as pending until all 56 sub-grids arrived, and blocks
    are 2.8 x 3.2 km at 100 m spacing, so a route near the DEM's edge needs posts beyond
    it; those lie away from the route (the vehicle never flies there on this mission).
    """
    known = ~np.isnan(heights)
    if known.all() or not known.any():
        return heights
    rows, cols = np.indices(heights.shape)
    kr, kc = rows[known], cols[known]
    nearest = np.argmin((rows[..., None] - kr) ** 2 + (cols[..., None] - kc) ** 2, axis=-1)
    return np.where(known, heights, heights[known][nearest])


def blocks_for(request: TerrainRequest, sample: HeightSampler, *,
               fill_edges: bool = True) -> list[TerrainBlock]:
    """The TERRAIN_DATA answering every bit of ``request`` the DEM can fill.

    With ``fill_edges`` a block the DEM covers in part is completed from its nearest
    known posts; a sub-grid with a post still unknown (the DEM covers none of the
    block, or ``fill_edges`` is off) is left out, and the vehicle keeps asking for it.
    """
    n = SUBGRID_POSTS
    north_idx, east_idx = np.indices((BLOCK_SUBGRIDS_NORTH * n, BLOCK_SUBGRIDS_EAST * n))
    lat, lon = _offset_e7(request.lat_e7, request.lon_e7,
                          north_idx * float(request.spacing_m),
                          east_idx * float(request.spacing_m))
    heights = np.asarray(sample(lat.ravel(), lon.ravel()), dtype=float).reshape(lat.shape)
    heights = np.where((heights >= _INT16[0]) & (heights <= _INT16[1]), heights, np.nan)
    if fill_edges:
        heights = _fill_from_nearest(heights)
    blocks = []
    for bit in request.bits:
        x0, y0 = bit // BLOCK_SUBGRIDS_EAST * n, bit % BLOCK_SUBGRIDS_EAST * n
        posts = heights[x0:x0 + n, y0:y0 + n]
        if np.isnan(posts).any():
            continue
        blocks.append(TerrainBlock(request.lat_e7, request.lon_e7, request.spacing_m, bit,
                                   tuple(int(h) for h in np.rint(posts).ravel())))
    return blocks


def grid_corner_e7(lat_deg: float, lon_deg: float, spacing_m: int) -> tuple[int, int]:
    """The south-west corner of the vehicle's grid block holding a place (ArduPilot's
    ``calculate_grid_info``: blocks start on whole degrees, one sub-grid of overlap)."""
    lat_e7, lon_e7 = round(lat_deg * 1e7), round(lon_deg * 1e7)
    ref_lat, ref_lon = math.floor(lat_deg) * 10_000_000, math.floor(lon_deg) * 10_000_000
    north_m = (lat_e7 - ref_lat) * AP_METRES_PER_E7
    scale = max(math.cos(math.radians((lat_e7 + ref_lat) / 2 * 1e-7)), 0.01)
    east_m = (lon_e7 - ref_lon) * AP_METRES_PER_E7 * scale
    step_n = (BLOCK_SUBGRIDS_NORTH - 1) * SUBGRID_POSTS * spacing_m
    step_e = (BLOCK_SUBGRIDS_EAST - 1) * SUBGRID_POSTS * spacing_m
    n_m = int(north_m // spacing_m) // ((BLOCK_SUBGRIDS_NORTH - 1) * SUBGRID_POSTS) * step_n
    e_m = int(east_m // spacing_m) // ((BLOCK_SUBGRIDS_EAST - 1) * SUBGRID_POSTS) * step_e
    lat, lon = _offset_e7(ref_lat, ref_lon, np.array(float(n_m)), np.array(float(e_m)))
    return round(float(lat) * 1e7), round(float(lon) * 1e7)


class TerrainServer:
    """Answers one vehicle's TERRAIN_REQUESTs on a thread of its own until closed.

    Why a thread and not the link's reader: a request is answered with up to 56
    messages after sampling ~900 posts, too slow for the reader, which must keep up
    with telemetry. Counters are for the operator's log and for tests.
    """

    def __init__(self, vehicle: Vehicle, sample: HeightSampler, *,
                 fill_edges: bool = True) -> None:
        self.vehicle = vehicle
        self.sample = sample
        self.fill_edges = fill_edges
        self.requests = 0  # TERRAIN_REQUESTs answered
        self.blocks_sent = 0  # TERRAIN_DATA sent
        self.blocks_unknown = 0  # requested sub-grids the DEM could not fill
        self.error: Exception | None = None  # the last failure to sample or send
        self._sub = vehicle.subscribe("TERRAIN_REQUEST")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True,
                                        name=f"terrain-{vehicle.sysid}")
        self._thread.start()

    def answer(self, request: TerrainRequest) -> int:
        """Send the TERRAIN_DATA for one request; how many were sent."""
        blocks = blocks_for(request, self.sample, fill_edges=self.fill_edges)
        for block in blocks:
            self.vehicle.link.send("terrain_data", lat=block.lat_e7, lon=block.lon_e7,
                                   grid_spacing=block.spacing_m, gridbit=block.gridbit,
                                   data=list(block.heights_m))
        self.requests += 1
        self.blocks_sent += len(blocks)
        self.blocks_unknown += len(request.bits) - len(blocks)
        return len(blocks)

    def _serve(self) -> None:
        while not self._stop.is_set() and not self.vehicle.link.closed:
            msg = self._sub.get(0.1)
            if msg is None:
                continue
            try:
                self.answer(TerrainRequest.from_message(msg))
            except (LinkError, ValueError, ArithmeticError) as exc:
                self.error = exc  # a bad request or a failed send: the vehicle asks again

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2.0)
        self._sub.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def serve_terrain(vehicle: Vehicle, sample: HeightSampler, *,
                  fill_edges: bool = True) -> TerrainServer:
    """Start answering ``vehicle``'s TERRAIN_REQUESTs from ``sample`` (use ``with``)."""
    return TerrainServer(vehicle, sample, fill_edges=fill_edges)


def terrain_enabled(vehicle: Vehicle) -> int | None:
    """The vehicle's TERRAIN_SPACING (m) when it keeps a terrain database, else None.

    ArduPilot's TERRAIN_ENABLE 1 (the default) means it asks ground stations for
    terrain and flies terrain frames with it; a vehicle without these parameters
    (PX4, or terrain compiled out) gets relative-altitude missions instead.
    """
    try:
        params = vehicle.get_params("TERRAIN_ENABLE", "TERRAIN_SPACING")
    except ParamError:
        return None
    spacing = round(params["TERRAIN_SPACING"])
    return spacing if round(params["TERRAIN_ENABLE"]) == 1 and spacing > 0 else None


@dataclass(frozen=True, slots=True)
class TerrainWait:
    """What the vehicle reported when its terrain was checked."""

    loaded: bool
    blocks: int  # distinct grid blocks checked
    missing: int  # of those, blocks the vehicle still had no terrain for
    pending: int  # sub-grids the vehicle was still waiting for (last TERRAIN_REPORT)
    seconds: float


def mission_places(items: Sequence[MissionItem], spacing_m: int) -> list[tuple[float, float]]:
    """The places ArduPilot wants terrain for before it arms a mission (TerrainMission.cpp):
    every NAV_WAYPOINT / SPLINE_WAYPOINT with a place, whatever its frame, and four
    points 10 spacings from it at bearings 45, 135, 225 and 315 degrees."""
    places = []
    reach_m = 10.0 * spacing_m
    for item in items[1:]:
        if item.command not in _WAYPOINTS or (item.x == 0 and item.y == 0):
            continue
        places.append((item.lat_deg, item.lon_deg))
        for bearing in (45.0, 135.0, 225.0, 315.0):
            lat, lon = _offset_e7(item.x, item.y,
                                  np.array(reach_m * math.cos(math.radians(bearing))),
                                  np.array(reach_m * math.sin(math.radians(bearing))))
            places.append((float(lat), float(lon)))
    return places


def _check(vehicle: Vehicle, points: list[tuple[int, int]]) -> None:
    for lat_e7, lon_e7 in points:
        vehicle.link.send("terrain_check", lat=lat_e7, lon=lon_e7)


def wait_for_terrain(vehicle: Vehicle, places_deg: Iterable[tuple[float, float]],
                     spacing_m: int, timeout_s: float) -> TerrainWait:
    """TERRAIN_CHECK one place per grid block until the vehicle reports terrain at each,
    then wait for a TERRAIN_REPORT with nothing pending.

    Why check: ArduPilot walks its mission for terrain one batch at a time and only
    after the previous batch arrived, so "nothing pending" alone can come too early;
    a check also makes the vehicle ask for a block at once. Serve terrain meanwhile
    (:func:`serve_terrain`). Returns with ``loaded`` False after ``timeout_s``.
    """
    started = time.monotonic()
    deadline = started + timeout_s
    todo: dict[tuple[int, int], tuple[int, int]] = {}
    for lat, lon in places_deg:
        todo.setdefault(grid_corner_e7(lat, lon, spacing_m), (round(lat * 1e7),
                                                              round(lon * 1e7)))
    blocks = len(todo)
    pending = -1
    resend_s = max(2.0 / vehicle.speedup, 0.2)  # ArduPilot asks for one block per 2 s
    with vehicle.subscribe("TERRAIN_REPORT") as sub:
        _check(vehicle, list(todo.values()))
        next_check = time.monotonic() + resend_s
        while (left := deadline - time.monotonic()) > 0:
            msg = sub.get(min(left, 0.05))
            if msg is not None:
                place = (int(msg["lat"]), int(msg["lon"]))
                pending = int(msg["pending"])
                for corner, checked in list(todo.items()):
                    if checked == place and msg["spacing"] > 0:
                        del todo[corner]
                if not todo and pending == 0 and msg["spacing"] > 0:
                    return TerrainWait(True, blocks, 0, 0, time.monotonic() - started)
            if todo and time.monotonic() > next_check:
                _check(vehicle, list(todo.values()))
                next_check = time.monotonic() + resend_s
    return TerrainWait(False, blocks, len(todo), pending, time.monotonic() - started)
