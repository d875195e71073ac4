"""Alarm to airborne, and RTL / hold / resume: the console's routes that move drones.

Why two steps (plan, then launch a plan by its id): the operator must see the route,
POD, time and warnings before anything flies, and what flies is exactly what was shown.
Planning is ``ops.plan_for_alarm`` and flying is ``ops.run_search`` (given to the app
as ``Station.plan`` / ``Station.fly``); the fleet refuses a second mission on a drone.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import replace
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Request
from pydantic import BaseModel, Field

from dronewatch.console import auth
from dronewatch.console.fleet import FleetError
from dronewatch.console.patrols import route_of
from dronewatch.errors import DronewatchError
from dronewatch.link import LinkError, Vehicle
from dronewatch.ops import SearchRequest
from dronewatch.planning import Plan
from dronewatch.store.users import Session

__all__ = ["routes"]

KEEP_PLANS = 20
Operator = Annotated[Session, Depends(auth.operator)]


class AlarmIn(BaseModel):
    lat_deg: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lon_deg: float = Field(ge=-180, le=180, allow_inf_nan=False)
    radius_m: float = Field(default=800.0, gt=0, le=20_000, allow_inf_nan=False)
    lost_hours: float | None = Field(default=None, ge=0, le=720, allow_inf_nan=False)
    pattern: Literal["auto", "expanding-square", "sector", "parallel", "creeping"] = "auto"


class LaunchIn(BaseModel):
    plan_id: str = Field(min_length=1, max_length=64)


class CommandIn(BaseModel):
    action: Literal["rtl", "hold", "resume"]
    confirm: Literal[True]  # the page asked "really?"; a request without it is refused


_ACTIONS = {
    "rtl": lambda v: v.return_to_launch(),
    "hold": lambda v: v.set_mode("LOITER"),  # ArduPilot LOITER, PX4 AUTO.LOITER
    "resume": lambda v: v.set_mode("AUTO"),
}


def plan_json(plan_id: str, plan: Plan) -> dict[str, Any]:
    return {"plan_id": plan_id, "name": plan.name, "pattern": plan.pattern,
            "launch_site": plan.home.id, "sorties": len(plan.sorties),
            "distance_m": round(plan.distance_m), "time_s": round(plan.time_s),
            "pod": round(plan.pod, 3), "notes": list(plan.notes),
            "route": [[lat, lon] for lat, lon, _ in plan.waypoints_wgs84(0)]}


def routes(app: FastAPI) -> None:
    """Add the alarm, launch and command routes to the console app."""

    @app.post("/api/alarm/plan")
    async def plan(body: AlarmIn, request: Request, session: Operator) -> dict[str, Any]:
        station = request.app.state.console
        if not station.zones.in_operating_area(body.lat_deg, body.lon_deg):
            raise HTTPException(400, f"{body.lat_deg}, {body.lon_deg} is outside the "
                                     f"operating area {station.zones.operating_area.id!r}")
        alarm = SearchRequest(body.lat_deg, body.lon_deg, radius_m=body.radius_m,
                              pattern=body.pattern, lost_hours=body.lost_hours,
                              launched_by=session.user.name,
                              reason="alarm: person reported lost (console)")
        try:
            made = await asyncio.to_thread(station.plan, alarm)
        except DronewatchError as exc:
            raise HTTPException(400, f"cannot plan: {exc}") from None
        plan_id = secrets.token_hex(8)
        station.plans[plan_id] = (alarm, made)
        while len(station.plans) > KEEP_PLANS:
            station.plans.pop(next(iter(station.plans)))
        return plan_json(plan_id, made)

    @app.post("/api/drones/{drone_id}/launch")
    def launch(drone_id: str, body: LaunchIn, request: Request,
               session: Operator) -> dict[str, str]:
        station = request.app.state.console
        if body.plan_id not in station.plans:
            raise HTTPException(404, f"no plan {body.plan_id!r}: plan the alarm again")
        alarm, made = station.plans[body.plan_id]
        alarm = replace(alarm, launched_by=session.user.name)
        _known(station.fleet, drone_id)
        try:
            station.fleet.launch(drone_id, made.name,
                                 lambda vehicle: station.fly(vehicle, alarm, made, drone_id))
        except FleetError as exc:
            raise HTTPException(409, str(exc)) from None
        station.routes[drone_id] = (made.name, route_of(made))
        return {"drone": drone_id, "mission": made.name, "launched_by": session.user.name}

    @app.post("/api/drones/{drone_id}/command", dependencies=[Depends(auth.operator)])
    async def command(drone_id: str, body: CommandIn, request: Request) -> dict[str, str]:
        fleet = request.app.state.console.fleet
        _known(fleet, drone_id)
        try:
            vehicle: Vehicle = fleet.vehicle(drone_id)
            await asyncio.to_thread(_ACTIONS[body.action], vehicle)
        except FleetError as exc:
            raise HTTPException(409, str(exc)) from None
        except LinkError as exc:
            raise HTTPException(502, f"{drone_id} did not accept {body.action}: {exc}") \
                from None
        return {"drone": drone_id, "action": body.action}


def _known(fleet: Any, drone_id: str) -> None:
    if drone_id not in fleet.ids:
        raise HTTPException(404, f"no drone {drone_id!r}")
