"""The patrol panel: each patrol's schedule, next run and recent runs, "start now", and
the warnings growing hotspots raised.

Why read from the same places as ``dronewatch patrol list``: the missions folder (the
patrols as checked by ``ops.patrolspec``) and the store's patrol runs, so the console and
the command line never disagree about what is due or how the last run went (missed and
skipped runs keep their reasons in the store). Why "start now" plans first and flies
that plan: as with an alarm, the route is drawn on the map before the drone takes off,
and what flies is what was drawn; planning and flying are ``ops.patrol``'s
(``plan_patrol`` and ``run_patrol``, given to the app as :class:`PatrolFlights`), so a
run started here is recorded and warns exactly as a scheduled one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from pydantic import BaseModel, Field

from dronewatch.console import auth
from dronewatch.console.fleet import FleetError
from dronewatch.errors import DronewatchError
from dronewatch.link import Vehicle
from dronewatch.ops.patrolspec import PatrolSpec
from dronewatch.planning import Plan
from dronewatch.store import FindingKind
from dronewatch.store.users import Session

__all__ = ["RECENT_RUNS", "PatrolFlights", "route_of", "routes"]

RECENT_RUNS = 5
Operator = Annotated[Session, Depends(auth.operator)]


@dataclass(frozen=True, slots=True)
class PatrolFlights:
    """How the console plans and flies a patrol run (built by ``console.serve``).

    ``plan`` is ``ops.patrol.plan_patrol`` with the station's zones, terrain and
    equipment; ``fly(vehicle, spec, plan, drone_id, operator)`` is ``ops.patrol.run_patrol``
    and returns the outcome to show.
    """

    plan: Callable[[PatrolSpec], Plan]
    fly: Callable[[Vehicle, PatrolSpec, Plan, str, str], str]


class StartIn(BaseModel):
    drone: str | None = Field(default=None, min_length=1, max_length=64)
    confirm: Literal[True]  # the page asked "really?"; a request without it is refused


def route_of(plan: Plan) -> list[list[float]]:
    """Every sortie's waypoints as [lat, lon], in flying order (for the map)."""
    return [[lat, lon] for s in range(len(plan.sorties))
            for lat, lon, _ in plan.waypoints_wgs84(s)]


def _specs(station: Any) -> list[PatrolSpec]:
    try:
        return station.patrols()
    except DronewatchError as exc:  # a broken patrol file: say which, show nothing
        raise HTTPException(500, f"the patrols cannot be read: {exc}") from None


def _drone_of(station: Any, spec: PatrolSpec) -> str | None:
    """The console's id of the drone the patrol names (by its MAVLink URL), if followed."""
    return next((v.id for v in station.fleet.views(with_track=False) if v.url == spec.drone),
                None)


def routes(app: FastAPI) -> None:
    @app.get("/api/patrols", dependencies=[Depends(auth.signed_in)])
    def patrols(request: Request) -> list[dict[str, Any]]:
        station = request.app.state.console
        shown = []
        for spec in _specs(station):
            due = spec.trigger().get_next_fire_time(None, datetime.now(UTC))
            runs = station.store.patrol_runs(spec.name)[-RECENT_RUNS:]
            shown.append({
                "name": spec.name, "zones": list(spec.zones), "drone": spec.drone,
                "console_drone": _drone_of(station, spec),
                "schedule": f"{spec.schedule} ({spec.timezone})",
                "next_run_unix_s": due.timestamp() if due else None,
                "runs": [{"due_unix_s": r.due_unix_s, "mission_id": r.mission_id,
                          "status": r.status, "detail": r.detail} for r in runs]})
        return shown

    @app.get("/api/patrols/warnings", dependencies=[Depends(auth.signed_in)])
    def warnings(request: Request, limit: Annotated[int, Query(ge=1, le=500)] = 50,
                 ) -> list[dict[str, Any]]:
        """The warnings patrols raised for new and growing hotspots, newest first."""
        store = request.app.state.console.store
        hotspots = {f.id: f for f in store.findings(kind=FindingKind.HOTSPOT)}
        raised = [a for a in store.alerts()
                  if a.level == "warning" and a.finding_id in hotspots][::-1][:limit]
        return [{"id": a.id, "time_unix_s": a.time_unix_s, "text": a.message,
                 "finding_id": a.finding_id, "lat_deg": hotspots[a.finding_id].lat_deg,
                 "lon_deg": hotspots[a.finding_id].lon_deg} for a in raised]

    @app.post("/api/patrols/{name}/start")
    async def start(name: str, body: StartIn, request: Request,
                    session: Operator) -> dict[str, Any]:
        station = request.app.state.console
        flights: PatrolFlights | None = station.patrol_flights
        if flights is None:
            raise HTTPException(503, "this console was started without patrol flights")
        spec = next((s for s in _specs(station) if s.name == name), None)
        if spec is None:
            raise HTTPException(404, f"no patrol {name!r} in the missions folder")
        drone_id = body.drone or _drone_of(station, spec)
        if drone_id is None:
            raise HTTPException(409, f"patrol {name} flies {spec.drone}, which this console "
                                     f"does not follow: choose one of "
                                     f"{', '.join(station.fleet.ids) or 'no drones'}")
        if drone_id not in station.fleet.ids:
            raise HTTPException(404, f"no drone {drone_id!r}")
        if station.fleet.busy(drone_id):  # before planning, which takes a while
            raise HTTPException(409, f"{drone_id} is already flying a mission")
        try:
            plan = await asyncio.to_thread(flights.plan, spec)
        except DronewatchError as exc:
            raise HTTPException(400, f"cannot plan patrol {name}: {exc}") from None
        operator = session.user.name
        try:
            station.fleet.launch(drone_id, plan.name, lambda vehicle: flights.fly(
                vehicle, spec, plan, drone_id, operator))
        except FleetError as exc:
            raise HTTPException(409, str(exc)) from None
        station.routes[drone_id] = (plan.name, route_of(plan))
        return {"drone": drone_id, "patrol": name, "mission": plan.name,
                "launched_by": operator, "route": route_of(plan)}
