"""The console's web app: pages, log-in, the live stream, and the findings work-flow.

Why a thin edge: like the command line, the console parses a request, checks who asks,
calls ``store`` / ``ops`` and answers. It plans, flies and detects nothing itself: a
drone the console launches flies exactly what ``dronewatch search`` would fly. Every
user error is a 4xx with one readable ``detail`` line, and changes nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import FileResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from dronewatch.config import default_dem_path
from dronewatch.console import auth, throttle
from dronewatch.console.camera import LatestFrames
from dronewatch.console.fleet import Fleet
from dronewatch.console.live import Hub
from dronewatch.console.patrols import PatrolFlights
from dronewatch.link import Vehicle
from dronewatch.ops import SearchRequest
from dronewatch.ops.patrolspec import PatrolSpec
from dronewatch.planning import Plan
from dronewatch.store import Finding, FindingKind, Store
from dronewatch.store.live import finding_by_id
from dronewatch.store.logins import LoginOutcome, login_attempts, record_login
from dronewatch.store.reviews import NEXT, Review, ReviewError, ReviewState, review, reviews
from dronewatch.store.users import Role, Session, session_for
from dronewatch.zones import ZoneSet

__all__ = ["Station", "create_app"]

STATIC = Path(__file__).parent / "static"
LEAFLET = "leaflet@1.9.3/dist"
# Nothing from elsewhere: the page must work with no internet, and must not be framed.
CSP = ("default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
       "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


@dataclass(frozen=True)
class Station:
    """What the console serves and acts through (built by :mod:`dronewatch.console.serve`).

    ``plan`` is :func:`dronewatch.ops.plan_for_alarm` with the station's zones and
    terrain; ``fly`` runs :func:`dronewatch.ops.run_search` on a vehicle and returns the
    outcome to show. Both are given, so tests and the server share the same app.
    """

    store: Store
    fleet: Fleet
    zones: ZoneSet
    zones_path: Path
    plan: Callable[[SearchRequest], Plan]
    fly: Callable[[Vehicle, SearchRequest, Plan, str], str]
    assets: Path
    session_ttl_s: float = auth.SESSION_TTL_S
    patrols: Callable[[], list[PatrolSpec]] = list  # ops.patrolspec.load_patrols, bound
    frames: LatestFrames = field(default_factory=LatestFrames)  # filled by the flights
    plans: dict[str, tuple[SearchRequest, Plan]] = field(default_factory=dict)
    patrol_flights: PatrolFlights | None = None  # "start now" in the patrol panel
    # drone id -> (mission, [[lat, lon], ...]): the route of what the console launched
    routes: dict[str, tuple[str, list[list[float]]]] = field(default_factory=dict)
    dem_path: Path = field(default_factory=default_dem_path)  # the map's relief


class LoginIn(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class ReviewIn(BaseModel):
    state: Literal["confirmed", "dismissed", "closed"]
    note: str = Field(default="", max_length=2000)
    expected: Literal["new", "confirmed", "dismissed", "closed"] | None = None


def _rank(finding: Finding, state: ReviewState) -> int:
    """Where a finding sits in the list: confirmed persons on top until closed."""
    person = finding.kind is FindingKind.PERSON
    order = {ReviewState.CONFIRMED: 0 if person else 3, ReviewState.NEW: 1 if person else 2,
             ReviewState.DISMISSED: 4, ReviewState.CLOSED: 5}
    return order[state]


def finding_json(finding: Finding, history: list[Review]) -> dict[str, Any]:
    last = history[-1] if history else None
    state = last.state if last else ReviewState.NEW
    return {
        "id": finding.id, "kind": finding.kind.value, "status": finding.status.value,
        "lat_deg": finding.lat_deg, "lon_deg": finding.lon_deg,
        "accuracy_m": round(finding.accuracy_m, 2), "confidence": round(finding.confidence, 3),
        "first_seen_unix_s": finding.first_seen_unix_s,
        "last_seen_unix_s": finding.last_seen_unix_s, "evidence_count": finding.evidence_count,
        "peak_temp_c": finding.peak_temp_c, "mission_id": finding.mission_id,
        "thumbnail": finding.thumbnail_png is not None, "review": state.value,
        "next": [s.value for s in NEXT[state]], "rank": _rank(finding, state),
        "reviewed_by": last.operator if last else None, "note": last.note if last else "",
    }


def _station(request: Request) -> Station:
    return request.app.state.console


Reader = Annotated[Session, Depends(auth.signed_in)]
Operator = Annotated[Session, Depends(auth.operator)]
StationDep = Annotated[Station, Depends(_station)]


def _routes_auth(app: FastAPI) -> None:
    @app.post("/api/login")
    def login(body: LoginIn, request: Request, station: StationDep,
              response: Response) -> dict[str, str]:
        client = request.client.host if request.client else "unknown"
        refused = throttle.refusal(station.store, body.name, client)
        if refused is not None:  # the password is not even checked
            record_login(station.store, body.name, client, LoginOutcome.REFUSED)
            raise HTTPException(429, refused.reason,
                                headers={"Retry-After": refused.retry_after})
        found = auth.login(station.store, body.name, body.password, station.session_ttl_s)
        record_login(station.store, body.name, client,
                     LoginOutcome.WRONG if found is None else LoginOutcome.OK)
        if found is None:
            raise HTTPException(401, "wrong name or password")
        token, session = found
        response.set_cookie(auth.COOKIE, token, max_age=int(station.session_ttl_s),
                            httponly=True, samesite="strict", path="/")
        return {"name": session.user.name, "role": session.user.role.value,
                "csrf": session.csrf_token}

    @app.get("/api/logins")
    def logins(session: Reader, station: StationDep,
               limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[dict[str, Any]]:
        """The newest log-in attempts, for operators: names typed and addresses are not
        for every screen in the command room."""
        if session.user.role is not Role.OPERATOR:
            raise HTTPException(403, f"{session.user.name} is a {session.user.role.value}: "
                                     "only an operator may read the log-in audit")
        return [asdict(a) for a in reversed(login_attempts(station.store, limit=limit))]

    @app.get("/api/me")
    def me(session: Reader) -> dict[str, str]:
        return {"name": session.user.name, "role": session.user.role.value,
                "csrf": session.csrf_token}

    @app.post("/api/logout", dependencies=[Depends(auth.anyone_changing)])
    def logout(request: Request, station: StationDep, response: Response) -> dict[str, bool]:
        from dronewatch.store.users import drop_session

        drop_session(station.store, request.cookies.get(auth.COOKIE, ""))
        response.delete_cookie(auth.COOKIE, path="/")
        return {"ok": True}


def _routes_findings(app: FastAPI) -> None:
    @app.get("/api/findings", dependencies=[Depends(auth.signed_in)])
    def findings(station: StationDep) -> list[dict[str, Any]]:
        history: dict[int, list[Review]] = {}
        for r in reviews(station.store):
            history.setdefault(r.finding_id, []).append(r)
        shown = [finding_json(f, history.get(f.id or 0, [])) for f in station.store.findings()]
        return sorted(shown, key=lambda f: (f["rank"], -f["id"]))

    @app.get("/api/findings/{finding_id}/reviews", dependencies=[Depends(auth.signed_in)])
    def audit(finding_id: int, station: StationDep) -> list[dict[str, Any]]:
        return [asdict(r) for r in reviews(station.store, finding_id)]

    @app.get("/api/findings/{finding_id}/thumbnail.png", dependencies=[Depends(auth.signed_in)])
    def thumbnail(finding_id: int, station: StationDep) -> Response:
        found = finding_by_id(station.store, finding_id)
        if found is None or found.thumbnail_png is None:
            raise HTTPException(404, f"finding {finding_id} has no thumbnail")
        return Response(found.thumbnail_png, media_type="image/png")

    @app.post("/api/findings/{finding_id}/review")
    def decide(finding_id: int, body: ReviewIn, station: StationDep,
               session: Operator) -> dict[str, Any]:
        if finding_by_id(station.store, finding_id) is None:
            raise HTTPException(404, f"no finding {finding_id}")
        try:
            review(station.store, finding_id, body.state, operator=session.user.name,
                   note=body.note.strip(), expected=body.expected)
        except ReviewError as exc:
            raise HTTPException(409, str(exc)) from None
        return shown_finding(station, finding_id) or {}


def shown_finding(station: Station, finding_id: int) -> dict[str, Any] | None:
    found = finding_by_id(station.store, finding_id)
    return None if found is None else finding_json(found, reviews(station.store, finding_id))


def _routes_live(app: FastAPI) -> None:
    @app.get("/api/drones", dependencies=[Depends(auth.signed_in)])
    def drones(station: StationDep) -> list[dict[str, Any]]:
        return [asdict(v) for v in station.fleet.views()]

    @app.get("/api/zones", dependencies=[Depends(auth.signed_in)])
    def zones(station: StationDep) -> FileResponse:
        return FileResponse(station.zones_path, media_type="application/geo+json")

    @app.get("/api/events")
    def events(request: Request, station: StationDep, session: Reader) -> StreamingResponse:
        token = request.cookies.get(auth.COOKIE, "")
        stream = request.app.state.hub.stream(
            until_unix_s=session.expires_unix_s,
            still_open=lambda: session_for(station.store, token) is not None)
        return StreamingResponse(stream,
                                 media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store",
                                          "X-Accel-Buffering": "no"})


def create_app(station: Station) -> FastAPI:
    """The console app over a station's store, fleet, planner and flight function."""
    from dronewatch.console.camera import routes as camera_routes
    from dronewatch.console.exports import routes as export_routes
    from dronewatch.console.layers import routes as layer_routes
    from dronewatch.console.missions import routes as mission_routes
    from dronewatch.console.patrols import routes as patrol_routes

    hub = Hub(station.store, station.fleet, lambda fid: shown_finding(station, fid))

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await hub.start()
        try:
            yield
        finally:
            await hub.stop()

    app = FastAPI(title="dronewatch console", lifespan=lifespan, docs_url=None,
                  redoc_url=None, openapi_url=None)
    app.state.console, app.state.hub = station, hub

    @app.middleware("http")
    async def headers(request: Request, call_next: Callable) -> Response:
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    _routes_auth(app)
    _routes_findings(app)
    _routes_live(app)
    mission_routes(app)
    patrol_routes(app)
    camera_routes(app)
    export_routes(app)
    layer_routes(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    leaflet = station.assets / LEAFLET
    if leaflet.is_dir():
        app.mount("/assets/leaflet", StaticFiles(directory=leaflet), name="leaflet")
    return app
