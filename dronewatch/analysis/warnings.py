"""Warnings the station publishes: an area appears or grows, a hazard grows between
patrols, a case is overdue. Each cites its evidence and reads as a short text a duty
officer can forward as it is.

Why from the store each time: a warning must rest on what the store holds (case and
finding numbers, counts), so anyone at the meeting can look the evidence up.
"""

from __future__ import annotations

from datetime import UTC, datetime

from dronewatch.analysis.areas import AreaTrend, HighIncidenceArea
from dronewatch.store import Finding, Store
from dronewatch.store.cases import CaseStatus, case_events, cases
from dronewatch.store.warnings import PublishedWarning, publish

__all__ = ["forwardable", "publish_patrol_warnings", "publish_warnings"]


def _day(unix_s: float) -> str:
    return datetime.fromtimestamp(unix_s, UTC).strftime("%Y-%m-%d")


def publish_warnings(store: Store, areas: list[HighIncidenceArea], since_unix_s: float,
                     now_unix_s: float) -> list[PublishedWarning]:
    """Publish what is due since ``since_unix_s``; the warnings that are new."""
    due: list[PublishedWarning] = []
    for a in areas:
        if a.trend in (AreaTrend.NEW, AreaTrend.GROWING):
            what = "new high-incidence area" if a.trend is AreaTrend.NEW else \
                "high-incidence area growing"
            due.append(PublishedWarning(
                "area", f"{what} #{a.rank} at {a.lat_deg:.5f}, {a.lon_deg:.5f} "
                f"(radius {a.radius_m:.0f} m)",
                f"{a.count} incidents in the week against {a.previous_count} the week before",
                now_unix_s, f"area:{_day(since_unix_s)}:{a.lat_deg:.3f},{a.lon_deg:.3f}",
                a.lat_deg, a.lon_deg))
    open_now = cases(store, statuses=(CaseStatus.OPEN, CaseStatus.ASSIGNED,
                                      CaseStatus.RECTIFIED))
    for c in open_now:
        if c.overdue(now_unix_s):
            due.append(PublishedWarning(
                "overdue", f"case #{c.id} ({c.kind}) overdue: due {_day(c.due_unix_s - 1)}, "
                f"owner {c.owner}", f"case #{c.id} is {c.status} since its due date",
                now_unix_s, f"overdue:{c.id}:{c.due_unix_s:.0f}", c.lat_deg, c.lon_deg, c.id))
        for e in case_events(store, c.id):
            if "hotter" in e.action and since_unix_s <= e.time_unix_s < now_unix_s:
                due.append(PublishedWarning(
                    "hotter", f"hazard of case #{c.id} grew between patrols: now "
                    f"{e.peak_temp_c or 0:.0f} °C, {e.area_m2 or 0:.0f} m²",
                    f"finding #{e.finding_id} of mission #{e.mission_id} ({e.action})",
                    now_unix_s, f"hotter:{e.id}", c.lat_deg, c.lon_deg, c.id))
    return [w for w in due if publish(store, w)]


def publish_patrol_warnings(store: Store, hotspots: list[tuple[str, Finding]], mission_id: int,
                            since_unix_s: float, now_unix_s: float) -> list[PublishedWarning]:
    """What a patrol publishes as it lands: each new or grown hotspot it found, each
    hazard case it found hotter, and each case now overdue; the warnings that are new.

    Why at the patrol and not only at the weekly analysis: a coal fire that doubled
    overnight is news for the company that morning, not at next week's meeting.
    """
    new = []
    for text, f in hotspots:
        warning = PublishedWarning(
            "hotter" if "grew" in text else "hotspot", text,
            f"finding #{f.id} of patrol mission #{mission_id}", now_unix_s, f"hotspot:{f.id}",
            f.lat_deg, f.lon_deg)
        if publish(store, warning):
            new.append(warning)
    return new + publish_warnings(store, [], since_unix_s, now_unix_s)


def forwardable(w: PublishedWarning) -> str:
    """One warning as a short text to forward (SMS, WeChat): what, where, on what basis."""
    where = f" Map: {w.lat_deg:.5f},{w.lon_deg:.5f}." if w.lat_deg is not None else ""
    return (f"[dronewatch {_day(w.published_unix_s)}] {w.text}.{where} "
            f"Evidence: {w.evidence}.")
