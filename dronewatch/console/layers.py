"""The console map's slower layers: the relief, hotspot history per patrol, and the
route each flying drone was sent on.

Why from the same sources as the folium maps: the relief is the map package's hillshade
of the station's own DEM (no tiles, no internet), the history is the store's hotspot
findings named by the patrol runs that found them, and a route is the plan the console
launched (alarm or patrol), so the console and the mission map never draw different
things for the same mission.
"""

from __future__ import annotations

import asyncio
from typing import Any

import cv2
from fastapi import Depends, FastAPI, HTTPException, Request, Response

from dronewatch.console import auth
from dronewatch.errors import DronewatchError
from dronewatch.map import ReliefImage, relief_image
from dronewatch.store import FindingKind

__all__ = ["routes"]


def _relief(request: Request) -> ReliefImage:
    try:
        return relief_image(request.app.state.console.dem_path)  # cached by the map package
    except (DronewatchError, OSError, ValueError) as exc:
        raise HTTPException(503, f"no relief: the station's DEM cannot be read: {exc}") \
            from None


def _png(relief: ReliefImage) -> bytes:
    ok, png = cv2.imencode(".png", cv2.cvtColor(relief.rgba, cv2.COLOR_RGBA2BGRA))
    return png.tobytes() if ok else b""


def routes(app: FastAPI) -> None:
    @app.get("/api/relief", dependencies=[Depends(auth.signed_in)])
    async def relief(request: Request) -> dict[str, Any]:
        shown = await asyncio.to_thread(_relief, request)
        return {"image": "/api/relief.png",
                "bounds": [[shown.south_deg, shown.west_deg], [shown.north_deg, shown.east_deg]]}

    @app.get("/api/relief.png", dependencies=[Depends(auth.signed_in)])
    async def relief_png(request: Request) -> Response:
        png = await asyncio.to_thread(lambda: _png(_relief(request)))
        return Response(png, media_type="image/png", headers={"Cache-Control": "max-age=3600"})

    @app.get("/api/hotspots", dependencies=[Depends(auth.signed_in)])
    def hotspots(request: Request) -> list[dict[str, Any]]:
        """Every hotspot found, named by the patrol whose run found it (None: a search or
        an analysed log), oldest first: a hazard's history across patrols."""
        station = request.app.state.console
        try:
            names = [spec.name for spec in station.patrols()]
        except DronewatchError:  # the patrol panel says why; the history stays unnamed
            names = []
        patrol_of = {r.mission_id: name for name in names
                     for r in station.store.patrol_runs(name) if r.mission_id is not None}
        found = sorted(station.store.findings(kind=FindingKind.HOTSPOT),
                       key=lambda f: f.first_seen_unix_s)
        return [{"id": f.id, "lat_deg": f.lat_deg, "lon_deg": f.lon_deg,
                 "peak_temp_c": f.peak_temp_c, "area_m2": f.area_m2,
                 "first_seen_unix_s": f.first_seen_unix_s, "mission_id": f.mission_id,
                 "patrol": patrol_of.get(f.mission_id)} for f in found]

    @app.get("/api/routes", dependencies=[Depends(auth.signed_in)])
    def planned(request: Request) -> dict[str, dict[str, Any]]:
        """The planned route of each drone flying a mission the console launched."""
        station = request.app.state.console
        return {drone: {"mission": mission, "route": route}
                for drone, (mission, route) in list(station.routes.items())
                if station.fleet.busy(drone)}
