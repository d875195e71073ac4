"""Cheap questions a live display asks the store many times a second.

Why apart from :class:`~dronewatch.store.Store`: the console polls for what changed
(a finding stored by a flight in this process or in another one, on this disk or in
PostgreSQL); reading whole findings with their thumbnails each time would cost more
than the answer. Polling the store, rather than being told by the flight, is what
makes a finding from ``dronewatch search`` in another terminal appear too.
"""

from __future__ import annotations

from dronewatch.store.models import Finding
from dronewatch.store.sqlstore import _FINDING_COLUMNS, Store, _finding

__all__ = ["finding_by_id", "finding_versions", "newest_review_id"]


def finding_versions(store: Store) -> dict[int, tuple[float, int, str]]:
    """Every finding's (last seen, evidence count, status): what changes when it is updated."""
    return {int(i): (float(t), int(n), str(s)) for i, t, n, s in store._db.execute(
        "SELECT id, last_seen_unix_s, evidence_count, status FROM findings")}


def newest_review_id(store: Store) -> int:
    rows = store._db.execute("SELECT max(id) FROM finding_reviews")
    return int(rows[0][0] or 0)


def finding_by_id(store: Store, finding_id: int) -> Finding | None:
    """One stored finding, or None."""
    rows = store._db.execute(f"SELECT id, {_FINDING_COLUMNS} FROM findings WHERE id = ?",
                             (finding_id,))
    return _finding(rows[0]) if rows else None
