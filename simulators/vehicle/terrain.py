"""ArduPilot's terrain database (AP_Terrain) as a ground station meets it over MAVLink.

Why literal: dronewatch must serve terrain to a real ArduCopter, and a simulator that
accepted anything would hide a station that sends the wrong posts. This follows
ArduPilot's ``libraries/AP_Terrain`` (AP_Terrain.cpp, TerrainGCS.cpp, TerrainUtil.cpp,
TerrainMission.cpp) and AP_Arming's terrain check:

- grid blocks start on whole degrees; a block is 28 x 32 posts (north x east) at
  TERRAIN_SPACING metres, in 7 x 8 sub-grids of 4 x 4 posts, one bit each of a 56-bit
  bitmap; blocks step 24 x 28 posts, so neighbours overlap by one sub-grid;
- TERRAIN_REQUEST (sent in the TERRAIN_REPORT slot, at most every 2 s) asks for the
  missing bits of one block: the vehicle's own first, then the 3 x 3 around it, then
  any other block wanted (mission, rally, TERRAIN_CHECK); TERRAIN_DATA fills one bit
  of a block it knows (others are ignored);
- with terrain-frame items in the mission, arming is refused ("waiting for terrain
  data") until nothing is pending and there are heights for home, the vehicle's place,
  and every NAV_WAYPOINT with four points 10 spacings around it, and every rally point;
- TERRAIN_CHECK is answered with a TERRAIN_REPORT for that place (spacing 0: unknown).

Deliberate differences: no 12-block memory cache or SD card (every block is kept,
across reboots, as on the card), and the mission is checked in one go, not 20
waypoints per second.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from pymavlink.dialects.v20 import ardupilotmega as mav

if TYPE_CHECKING:
    from simulators.vehicle.vehicle import SimVehicle

__all__ = ["TerrainDatabase"]

_LSF = 0.011131884502145034  # LOCATION_SCALING_FACTOR: metres per 1e-7 degree
_N = 4  # TERRAIN_GRID_MAVLINK_SIZE
_MUL_X, _MUL_Y = 7, 8  # sub-grids north, east
_SIZE_X, _SIZE_Y = _N * _MUL_X, _N * _MUL_Y  # 28 x 32 posts
_STEP_X, _STEP_Y = (_MUL_X - 1) * _N, (_MUL_Y - 1) * _N  # 24 x 28 posts between blocks
_FULL = (1 << (_MUL_X * _MUL_Y)) - 1
_REQUEST_EVERY_S = 2.0
_TERRAIN_FRAMES = {mav.MAV_FRAME_GLOBAL_TERRAIN_ALT, mav.MAV_FRAME_GLOBAL_TERRAIN_ALT_INT}
_WAYPOINTS = {mav.MAV_CMD_NAV_WAYPOINT, mav.MAV_CMD_NAV_SPLINE_WAYPOINT}

Place = tuple[int, int]  # lat, lon in degrees x 1e7


@dataclass
class _Block:
    lat_e7: int
    lon_e7: int
    spacing_m: int
    heights: np.ndarray = field(default_factory=lambda: np.zeros((_SIZE_X, _SIZE_Y), np.int16))
    bitmap: int = 0


@dataclass(frozen=True, slots=True)
class _Info:
    corner: Place
    idx_x: int
    idx_y: int
    frac_x: float
    frac_y: float


def _lon_scale(lat_e7: float) -> float:
    return max(math.cos(math.radians(lat_e7 * 1e-7)), 0.01)


def _offset(place: Place, north_m: float, east_m: float) -> Place:
    """``Location::offset``."""
    dlat = int(north_m / _LSF)
    dlng = int(east_m / _LSF / _lon_scale(place[0] + dlat / 2))
    return place[0] + dlat, place[1] + dlng


def _grid_info(place: Place, spacing_m: int) -> _Info:
    """``AP_Terrain::calculate_grid_info``."""
    ref = (place[0] // 10_000_000 * 10_000_000, place[1] // 10_000_000 * 10_000_000)
    north = (place[0] - ref[0]) * _LSF
    east = (place[1] - ref[1]) * _LSF * _lon_scale((place[0] + ref[0]) / 2)
    idx_x, idx_y = int(north / spacing_m), int(east / spacing_m)
    corner = _offset(ref, idx_x // _STEP_X * _STEP_X * spacing_m,
                     idx_y // _STEP_Y * _STEP_Y * spacing_m)
    return _Info(corner, idx_x % _STEP_X, idx_y % _STEP_Y,
                 (north - idx_x * spacing_m) / spacing_m, (east - idx_y * spacing_m) / spacing_m)


def _bit(idx_x: int, idx_y: int) -> int:
    """``AP_Terrain::grid_bitnum``."""
    return idx_y // _N + _MUL_Y * (idx_x // _N)


class TerrainDatabase:
    """The vehicle's terrain: blocks the ground station filled, requests for the rest."""

    def __init__(self, v: SimVehicle) -> None:
        self.v = v
        self.blocks: dict[tuple[int, int, int], _Block] = {}
        self.requests_sent = 0
        self._last_request_s = -math.inf
        self._current_height: float | None = None  # last known height under the vehicle
        self._wanted_memo: tuple | None = None
        self._prearm_memo: tuple = (None, None)

    @property
    def enabled(self) -> bool:
        return int(self.v.params["TERRAIN_ENABLE"]) == 1

    @property
    def spacing_m(self) -> int:
        return max(int(self.v.params["TERRAIN_SPACING"]), 1)

    # -- lookups -----------------------------------------------------------------------
    def _block(self, info: _Info) -> _Block:
        key = (*info.corner, self.spacing_m)
        if key not in self.blocks:  # wanted from now on: it counts as pending
            self.blocks[key] = _Block(*info.corner, self.spacing_m)
        return self.blocks[key]

    def height_amsl(self, place: Place) -> float | None:
        """``AP_Terrain::height_amsl``: bilinear over the block's posts, None if missing."""
        if not self.enabled:
            return None
        info = _grid_info(place, self.spacing_m)
        block = self._block(info)
        x, y = info.idx_x, info.idx_y
        if any(not block.bitmap >> _bit(a, b) & 1 for a, b in
               ((x, y), (x, y + 1), (x + 1, y), (x + 1, y + 1))):
            return None
        h = block.heights.astype(float)
        avg1 = (1 - info.frac_x) * h[x, y] + info.frac_x * h[x + 1, y]
        avg2 = (1 - info.frac_x) * h[x, y + 1] + info.frac_x * h[x + 1, y + 1]
        return float((1 - info.frac_y) * avg1 + info.frac_y * avg2)

    def statistics(self) -> tuple[int, int]:
        """(pending, loaded) sub-grids of the blocks at the current spacing."""
        pending = loaded = 0
        for block in self.blocks.values():
            if block.spacing_m == self.spacing_m:
                count = block.bitmap.bit_count()
                pending += _MUL_X * _MUL_Y - count
                loaded += count
        return pending, loaded

    def _here(self) -> Place:
        lat, lon = self.v.position_wgs84()
        return round(lat * 1e7), round(lon * 1e7)

    def _home(self) -> Place:
        return round(self.v.home.lat_deg * 1e7), round(self.v.home.lon_deg * 1e7)

    def _around_here(self) -> list[Place]:
        """``update_surrounding_tiles``: 3 x 3 places 0.7 blocks apart."""
        sp = self.spacing_m
        return [_offset(self._here(), x * _SIZE_X * 0.7 * sp, y * _SIZE_Y * 0.7 * sp)
                for x in (-1, 0, 1) for y in (-1, 0, 1)]

    def _wanted(self) -> tuple[bool, tuple[Place, ...]]:
        """Whether the mission has terrain-frame items, and the places its NAV_WAYPOINTs
        (each with four points 10 spacings around it) and rally points need terrain for
        (``update_mission_data`` / ``update_rally_data``). Worked out once per upload."""
        mission = self.v.mission.items(mav.MAV_MISSION_TYPE_MISSION)
        rally = self.v.mission.items(mav.MAV_MISSION_TYPE_RALLY)
        memo = self._wanted_memo
        if memo is not None and memo[0] is mission and memo[1] is rally \
                and memo[2] == self.spacing_m:
            return memo[3], memo[4]
        places = []
        reach_m = 10.0 * self.spacing_m
        for item in mission[1:]:
            if item.command in _WAYPOINTS and (item.x or item.y):
                places.append((item.x, item.y))
                places += [_offset((item.x, item.y), reach_m * math.cos(math.radians(b)),
                                   reach_m * math.sin(math.radians(b)))
                           for b in (45, 135, 225, 315)]
        places += [(r.x, r.y) for r in rally]
        needs = any(item.frame in _TERRAIN_FRAMES for item in mission[1:])
        self._wanted_memo = (mission, rally, self.spacing_m, needs, tuple(places))
        return needs, tuple(places)

    # -- what the rest of the vehicle asks ---------------------------------------------
    def prearm_failure(self) -> str | None:
        """Why a mission with terrain-frame items cannot arm yet (None: it can).

        ``AP_Arming::terrain_checks`` runs only when the mission has terrain-frame
        items (``terrain_database_required``); the answer is kept until the blocks,
        the mission or the vehicle's block change, as it is asked every step.
        """
        needs, places = self._wanted()
        if not needs:
            return None
        if not self.enabled:
            return "terrain disabled"
        key = (self._wanted_memo[0], self.statistics(), len(self.blocks),
               _grid_info(self._here(), self.spacing_m).corner, self._home())
        if key == self._prearm_memo[0]:
            return self._prearm_memo[1]
        wanted = [self._here(), self._home(), *self._around_here(), *places]
        missing = [p for p in wanted if self.height_amsl(p) is None]
        why = "waiting for terrain data" if missing or self.statistics()[0] else None
        self._prearm_memo = ((self._wanted_memo[0], self.statistics(), len(self.blocks),
                              key[3], key[4]), why)
        return why

    def ground_amsl(self, east_m: float, north_m: float) -> float:
        """The ground a terrain-frame altitude is flown above: the database's, where it
        has the place (the vehicle knows no other), else the simulated world's."""
        lat, lon = self.v.frame.to_wgs84(east_m, north_m)
        height = self.height_amsl((round(float(lat) * 1e7), round(float(lon) * 1e7)))
        return self.v.terrain_amsl(east_m, north_m) if height is None else height

    def report_and_request(self) -> mav.MAVLink_message:
        """``send_request``: the TERRAIN_REPORT for here, and a TERRAIN_REQUEST for the
        first block still missing sub-grids (at most one per 2 s of vehicle time)."""
        if not self.enabled:
            return self.report(self._here(), extrapolate=True)
        here = self.height_amsl(self._here())
        if here is not None:
            self._current_height = here
        for place in [self._home(), *self._around_here(), *self._wanted()[1]]:
            self.height_amsl(place)  # registers the blocks these need
        if self.v.time_s - self._last_request_s >= _REQUEST_EVERY_S:
            self._request_missing()
        return self.report(self._here(), extrapolate=True)

    def _request_missing(self) -> None:
        mine = self._block(_grid_info(self._here(), self.spacing_m))
        nearby = [self._block(_grid_info(p, self.spacing_m)) for p in self._around_here()]
        for block in [mine, *nearby, *self.blocks.values()]:
            if block.spacing_m == self.spacing_m and block.bitmap != _FULL:
                self.v.send(mav.MAVLink_terrain_request_message(
                    block.lat_e7, block.lon_e7, block.spacing_m, _FULL & ~block.bitmap))
                self._last_request_s = self.v.time_s
                self.requests_sent += 1
                return

    def report(self, place: Place, *, extrapolate: bool) -> mav.MAVLink_message:
        """``send_terrain_report`` for a place."""
        terrain = self.height_amsl(place)
        home = self.height_amsl(self._home())
        spacing, terrain_m, current_m = 0, 0.0, 0.0
        if terrain is not None and home is not None:
            spacing, terrain_m = self.spacing_m, terrain
        elif extrapolate and self._current_height is not None:
            terrain_m = self._current_height
        if spacing or (extrapolate and self._current_height is not None):
            above_home = self.v.body.alt_amsl_m - self.v.home.alt_amsl_m
            current_m = above_home + (home or 0.0) - terrain_m
        pending, loaded = self.statistics()
        return mav.MAVLink_terrain_report_message(place[0], place[1], spacing, terrain_m,
                                                  current_m, pending, loaded)

    # -- from the ground station -------------------------------------------------------
    def handle(self, msg: mav.MAVLink_message, peer: object) -> None:
        """TERRAIN_DATA fills a sub-grid; TERRAIN_CHECK is answered with a report."""
        if msg.get_type() == "TERRAIN_CHECK":
            if self.enabled:
                self.v.send(self.report((msg.lat, msg.lon), extrapolate=False), peer)
            return
        block = self.blocks.get((msg.lat, msg.lon, msg.grid_spacing))
        if block is None or msg.grid_spacing != self.spacing_m or msg.gridbit >= _MUL_X * _MUL_Y:
            return  # ArduPilot ignores data for a block it did not ask for
        x0, y0 = msg.gridbit // _MUL_Y * _N, msg.gridbit % _MUL_Y * _N
        block.heights[x0:x0 + _N, y0:y0 + _N] = np.asarray(msg.data, np.int16).reshape(_N, _N)
        block.bitmap |= 1 << msg.gridbit
