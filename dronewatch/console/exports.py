"""The export of dismissed findings: every false alarm, with who dismissed it and why.

Why export them at all: a dismissed detection teaches the detector nothing by itself
(issue 16: "dismissed detections teach nothing silently"), but the people who tune
or retrain it need the list, as GeoJSON for a GIS or CSV for a spreadsheet. A finding
dismissed and later closed is still a false alarm and is exported too. The formats are
the store's own (``store.export``), so the columns match ``dronewatch export``'s.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, Query, Request, Response

from dronewatch.console import auth
from dronewatch.store.export import to_csv, to_geojson
from dronewatch.store.live import finding_by_id
from dronewatch.store.reviews import ReviewState, reviews

__all__ = ["routes"]

_MEDIA = {"geojson": "application/geo+json", "csv": "text/csv; charset=utf-8"}


def _utc(unix_s: float) -> str:
    return datetime.fromtimestamp(unix_s, UTC).isoformat(timespec="seconds")


def routes(app: FastAPI) -> None:
    @app.get("/api/findings/dismissed", dependencies=[Depends(auth.signed_in)])
    def dismissed(request: Request, as_: Annotated[Literal["geojson", "csv"],
                                                   Query(alias="format")] = "geojson",
                  ) -> Response:
        store = request.app.state.console.store
        history = reviews(store)
        extra: dict[int, dict[str, object]] = {}
        for r in history:  # the first dismissal counts; the last state is shown beside
            if r.state is ReviewState.DISMISSED and r.finding_id not in extra:
                extra[r.finding_id] = {"dismissed_by": r.operator,
                                       "dismissed_utc": _utc(r.time_unix_s), "note": r.note}
        for r in history:
            if r.finding_id in extra:
                extra[r.finding_id]["review"] = r.state.value
        found = [f for f in (finding_by_id(store, i) for i in sorted(extra)) if f is not None]
        text = to_geojson(found, extra) if as_ == "geojson" else to_csv(found, extra)
        name = f"dismissed-findings-{time.strftime('%Y%m%d-%H%M', time.gmtime())}.{as_}"
        return Response(text, media_type=_MEDIA[as_], headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store"})
