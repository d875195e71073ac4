"""A plan as MAVLink mission items, and the fence and rally points that guard it.

Why the fence too: the plan keeps out of no-fly zones by construction, the fence
makes the autopilot keep out on its own if anything else goes wrong (a pilot's
GUIDED command, a bad upload): the operating area as an inclusion polygon, each
no-fly zone as an exclusion polygon, simplified only outward (or inward for the
inclusion) so the fence is never looser than the zone.
"""

from __future__ import annotations

import shapely

from dronewatch.missionitem import Cmd, Frame, MissionItem
from dronewatch.planning.plan import Plan
from dronewatch.zones import ZoneKind, ZoneSet

__all__ = ["fence_items", "mission_items", "rally_items"]

_FENCE_SIMPLIFY_M = 20.0


def mission_items(plan: Plan, sortie: int = 0, *, terrain_frame: bool = False) -> list[MissionItem]:
    """Item 0 home, takeoff, speed, gimbal, camera on/off around the survey legs,
    waypoints (GLOBAL_INT with AMSL heights from our DEM, or GLOBAL_TERRAIN_ALT_INT
    heights above ground when the autopilot has terrain data), a timed loiter after a
    waiting point, then RTL."""
    home = plan.home
    points = plan.sorties[sortie].points
    lat, lon = plan.frame.to_wgs84([p.east_m for p in points], [p.north_m for p in points])
    items = [
        MissionItem.at(Cmd.NAV_WAYPOINT, home.lat_deg, home.lon_deg, home.home_alt_amsl_m,
                       Frame.GLOBAL_INT),
        MissionItem(Cmd.NAV_TAKEOFF, Frame.GLOBAL_RELATIVE_ALT_INT,
                    z=round(points[0].alt_amsl_m - home.home_alt_amsl_m, 1)),
        MissionItem(Cmd.DO_CHANGE_SPEED, Frame.MISSION, 1.0, plan.speed_mps, -1.0),
        MissionItem(Cmd.DO_MOUNT_CONTROL, Frame.MISSION, plan.gimbal_pitch_deg, 0.0, 0.0, 0.0,
                    z=2.0),  # param7 2 = MAV_MOUNT_MODE_MAVLINK_TARGETING
    ]
    camera_on = False
    for i, point in enumerate(points[1:], start=1):
        if point.survey != camera_on:
            camera_on = point.survey
            items.append(MissionItem(Cmd.DO_SET_CAM_TRIGG_DIST, Frame.MISSION,
                                     plan.trigger_distance_m if camera_on else 0.0, 0.0,
                                     1.0 if camera_on else 0.0))
        where = ((round(point.agl_m, 2), Frame.GLOBAL_TERRAIN_ALT_INT) if terrain_frame
                 else (round(point.alt_amsl_m, 2), Frame.GLOBAL_INT))
        items.append(MissionItem.at(Cmd.NAV_WAYPOINT, float(lat[i]), float(lon[i]), *where))
        if point.wait_s > 0:  # a fleet drone's turn to land (planning.landing)
            items.append(MissionItem.at(Cmd.NAV_LOITER_TIME, float(lat[i]), float(lon[i]),
                                        *where, round(point.wait_s, 1)))
    if camera_on:
        items.append(MissionItem(Cmd.DO_SET_CAM_TRIGG_DIST, Frame.MISSION))
    items.append(MissionItem(Cmd.NAV_RETURN_TO_LAUNCH, Frame.MISSION))
    return items


def _ring(polygon: shapely.Polygon, cmd: Cmd, frame_to_wgs84: ZoneSet) -> list[MissionItem]:
    coords = list(frame_to_wgs84.frame.geometry_to_wgs84(polygon).exterior.coords)[:-1]
    return [MissionItem.at(cmd, la, lo, 0.0, Frame.GLOBAL_INT, float(len(coords)))
            for lo, la in coords]


def fence_items(zones: ZoneSet, *, margin_m: float = 0.0) -> list[MissionItem]:
    """Inclusion: the operating area (shrunk by ``margin_m``); exclusions: every no-fly
    zone (grown by ``margin_m``)."""
    area = zones.local_geometry(zones.operating_area.id).buffer(-margin_m - _FENCE_SIMPLIFY_M)
    items = []
    for part in getattr(area, "geoms", [area]):
        simple = shapely.simplify(part, _FENCE_SIMPLIFY_M)
        items += _ring(shapely.Polygon(simple.exterior), Cmd.NAV_FENCE_POLYGON_VERTEX_INCLUSION,
                       zones)
    for zone in zones.of_kind(ZoneKind.NO_FLY):
        grown = zones.local_geometry(zone.id).buffer(margin_m + _FENCE_SIMPLIFY_M)
        for part in getattr(grown, "geoms", [grown]):
            simple = shapely.simplify(shapely.Polygon(part.exterior), _FENCE_SIMPLIFY_M)
            items += _ring(simple, Cmd.NAV_FENCE_POLYGON_VERTEX_EXCLUSION, zones)
    return items


def rally_items(zones: ZoneSet, alt_rel_m: float = 40.0) -> list[MissionItem]:
    """Every launch site as a rally point (where RTL may go instead of home)."""
    return [MissionItem.at(Cmd.NAV_RALLY_POINT, s.lat_deg, s.lon_deg, alt_rel_m,
                           Frame.GLOBAL_RELATIVE_ALT_INT) for s in zones.launch_sites]
