"""Findings for other tools: GeoJSON (GIS), KML (Google Earth, phones), CSV (spreadsheets).

Why three: the regional centre's GIS reads GeoJSON, ground teams open KML on phones,
and the duty report is a spreadsheet.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from xml.sax.saxutils import escape

from dronewatch.store.models import Finding

__all__ = ["to_csv", "to_geojson", "to_kml"]

_FIELDS = ("id", "kind", "lat_deg", "lon_deg", "accuracy_m", "confidence", "evidence_count",
           "first_seen_utc", "last_seen_utc", "peak_temp_c", "area_m2", "mission_id")


def _utc(unix_s: float) -> str:
    return datetime.fromtimestamp(unix_s, UTC).isoformat(timespec="seconds")


def _row(f: Finding) -> dict[str, object]:
    return {"id": f.id, "kind": f.kind.value, "lat_deg": round(f.lat_deg, 7),
            "lon_deg": round(f.lon_deg, 7), "accuracy_m": round(f.accuracy_m, 2),
            "confidence": round(f.confidence, 3), "evidence_count": f.evidence_count,
            "first_seen_utc": _utc(f.first_seen_unix_s), "last_seen_utc": _utc(f.last_seen_unix_s),
            "peak_temp_c": f.peak_temp_c, "area_m2": f.area_m2, "mission_id": f.mission_id}


Extra = Mapping[int, Mapping[str, object]]
"""More columns by finding id (who reviewed it, the note): the same keys for every row."""


def to_geojson(findings: Sequence[Finding], extra: Extra | None = None) -> str:
    extra = extra or {}
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": f.id, "properties": {**_row(f), **extra.get(f.id or 0, {})},
         "geometry": {"type": "Point", "coordinates": [round(f.lon_deg, 7),
                                                        round(f.lat_deg, 7)]}}
        for f in findings]}, indent=1)


def to_csv(findings: Sequence[Finding], extra: Extra | None = None) -> str:
    extra = extra or {}
    more = list(next(iter(extra.values()), {}))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*_FIELDS, *more], lineterminator="\n")
    writer.writeheader()
    for f in findings:
        writer.writerow({**_row(f), **extra.get(f.id or 0, {})})
    return out.getvalue()


def to_kml(findings: Sequence[Finding], name: str = "dronewatch findings") -> str:
    marks = []
    for f in findings:
        row = _row(f)
        text = "; ".join(f"{k}={v}" for k, v in row.items() if v is not None)
        marks.append(
            f"<Placemark><name>{escape(f.kind.value)} {f.id}</name>"
            f"<description>{escape(text)}</description>"
            f"<Point><coordinates>{f.lon_deg:.7f},{f.lat_deg:.7f},0</coordinates></Point>"
            "</Placemark>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
            f"<name>{escape(name)}</name>{''.join(marks)}</Document></kml>\n")
