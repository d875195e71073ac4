"""Published warnings: what the station told the companies and offices, with its evidence.

Why a key per warning: the same overdue case or growing area is found again on every
run of the analysis; it is published once (the key), not once per run.
"""

from __future__ import annotations

from dataclasses import dataclass

from dronewatch.store.sqlstore import Store

__all__ = ["PublishedWarning", "publish", "published"]


@dataclass(frozen=True, slots=True)
class PublishedWarning:
    kind: str  # "area", "hotter", "overdue"
    text: str
    evidence: str  # what it rests on: case numbers, finding ids, counts
    published_unix_s: float
    key: str
    lat_deg: float | None = None
    lon_deg: float | None = None
    case_id: int | None = None
    id: int | None = None


def publish(store: Store, warning: PublishedWarning) -> bool:
    """Store a warning unless one with its key was published; True if it is new."""
    with store._write() as db:
        if db.execute("SELECT 1 FROM warnings WHERE dedupe_key = ?", (warning.key,)):
            return False
        db.execute("INSERT INTO warnings (published_unix_s, kind, text, evidence, lat_deg, "
                   "lon_deg, case_id, dedupe_key, station) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (warning.published_unix_s, warning.kind, warning.text, warning.evidence,
                    warning.lat_deg, warning.lon_deg, warning.case_id, warning.key,
                    store.station))
    return True


def published(store: Store, since_unix_s: float, until_unix_s: float) -> list[PublishedWarning]:
    rows = store._db.execute(
        "SELECT kind, text, evidence, published_unix_s, dedupe_key, lat_deg, lon_deg, case_id, "
        "id FROM warnings WHERE published_unix_s >= ? AND published_unix_s < ? ORDER BY id",
        (since_unix_s, until_unix_s))
    return [PublishedWarning(*r) for r in rows]
