"""The patrol panel: each patrol's schedule, next run and recent runs, read-only.

Why read from the same places as ``dronewatch patrol list``: the missions folder (the
patrols as checked by ``ops.patrolspec``) and the store's patrol runs, so the console and
the command line never disagree about what is due or how the last run went (missed and
skipped runs keep their reasons in the store).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request

from dronewatch.console import auth
from dronewatch.errors import DronewatchError

__all__ = ["RECENT_RUNS", "routes"]

RECENT_RUNS = 5


def routes(app: FastAPI) -> None:
    @app.get("/api/patrols", dependencies=[Depends(auth.signed_in)])
    def patrols(request: Request) -> list[dict[str, Any]]:
        station = request.app.state.console
        try:
            specs = station.patrols()
        except DronewatchError as exc:  # a broken patrol file: say which, show nothing
            raise HTTPException(500, f"the patrols cannot be read: {exc}") from None
        shown = []
        for spec in specs:
            due = spec.trigger().get_next_fire_time(None, datetime.now(UTC))
            runs = station.store.patrol_runs(spec.name)[-RECENT_RUNS:]
            shown.append({
                "name": spec.name, "zones": list(spec.zones), "drone": spec.drone,
                "schedule": f"{spec.schedule} ({spec.timezone})",
                "next_run_unix_s": due.timestamp() if due else None,
                "runs": [{"due_unix_s": r.due_unix_s, "mission_id": r.mission_id,
                          "status": r.status, "detail": r.detail} for r in runs]})
        return shown
