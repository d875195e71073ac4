"""Patrols that follow the risk: which places to fly within a time budget.

Why places and not whole zones: a patrol area of the district takes hours to cover;
a 40-minute budget is spent best on the open hazards, the high-incidence areas and
the places not looked at for longest. Each such place is a target with a risk score;
targets that overlap are flown as one; each is planned for real (terrain, no-fly
zones, battery, from its nearest launch site), and the flights with the most risk per
minute are proposed until the budget is spent.

Risk of a target (sum over what it holds): an open hazard case 3, overdue +2, seen
hotter at its last re-check +1; a high-incidence area of the last weeks 1 + 2 x its
share of the biggest area's incidents, +1 when new or growing; plus up to 2 for the
time since a flight last passed there (2 after 14 days or never).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import shapely

from dronewatch.analysis.areas import AreaTrend, compare_windows, find_areas
from dronewatch.errors import DronewatchError
from dronewatch.geo import LocalFrame, Terrain
from dronewatch.ops.alarm import nearest_launch_site
from dronewatch.ops.patrolspec import PatrolArea
from dronewatch.ops.station import Equipment
from dronewatch.planning import AltitudePolicy, Plan, PlanningContext, plan_coverage
from dronewatch.store import Store
from dronewatch.store.cases import CaseStatus, case_events, cases
from dronewatch.store.tallies import last_flown_near, places
from dronewatch.zones import ZoneSet

__all__ = ["ProposedFlight", "RiskPlan", "RiskTarget", "plan_for_risk", "risk_targets"]

WEEK_S = 7 * 86_400.0
MARGIN_M = 60.0  # flown around a hazard's place, for its accuracy and spread
STALE_FULL_S = 14 * 86_400.0


@dataclass(frozen=True, slots=True)
class RiskTarget:
    label: str
    lat_deg: float
    lon_deg: float
    radius_m: float
    risk: float
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ProposedFlight:
    label: str
    risk: float
    time_s: float
    plan: Plan
    reasons: tuple[str, ...]
    area: PatrolArea  # what the flight covers, as a patrol file names it


@dataclass(frozen=True, slots=True)
class RiskPlan:
    budget_s: float
    flights: tuple[ProposedFlight, ...]
    left_out: tuple[tuple[str, str], ...]  # (target, why)
    risk_total: float

    @property
    def risk_covered(self) -> float:
        return sum(f.risk for f in self.flights)

    @property
    def time_s(self) -> float:
        return sum(f.time_s for f in self.flights)


def _staleness(store: Store, lat: float, lon: float, radius_m: float, now: float) -> float:
    last = last_flown_near(store, lat, lon, radius_m)
    return 2.0 if last is None else 2.0 * min(1.0, max(0.0, now - last) / STALE_FULL_S)


def risk_targets(store: Store, now_unix_s: float, *, lookback_weeks: int = 4
                 ) -> list[RiskTarget]:
    """Every place at risk now, highest risk first (overlapping places merged)."""
    raw: list[RiskTarget] = []
    for c in cases(store, statuses=(CaseStatus.OPEN, CaseStatus.ASSIGNED)):
        risk, why = 3.0, [f"case #{c.id} {c.kind} {c.status}"]
        if c.overdue(now_unix_s):
            risk, why = risk + 2.0, [*why, "overdue"]
        rechecks = [e for e in case_events(store, c.id) if e.action.startswith(
            ("rechecked", "reopened"))]
        if rechecks and "hotter" in rechecks[-1].action:
            risk, why = risk + 1.0, [*why, "hotter at its last re-check"]
        raw.append(RiskTarget(f"case #{c.id}", c.lat_deg, c.lon_deg, MARGIN_M, risk,
                              tuple(why)))
    since = now_unix_s - lookback_weeks * WEEK_S
    areas = compare_windows(find_areas(places(store, since, now_unix_s)),
                            find_areas(places(store, since - lookback_weeks * WEEK_S, since)))
    biggest = max((a.count for a in areas), default=1) or 1
    for a in (a for a in areas if a.count):
        risk = 1.0 + 2.0 * a.count / biggest + (1.0 if a.trend in (AreaTrend.NEW,
                                                                   AreaTrend.GROWING) else 0.0)
        raw.append(RiskTarget(f"area #{a.rank}", a.lat_deg, a.lon_deg, a.radius_m + MARGIN_M,
                              risk, (f"high-incidence area #{a.rank}: {a.count} incidents, "
                                     f"{a.trend}",)))
    merged = _merge(raw)
    return sorted((RiskTarget(t.label, t.lat_deg, t.lon_deg, t.radius_m,
                              round(t.risk + _staleness(store, t.lat_deg, t.lon_deg,
                                                        t.radius_m, now_unix_s), 2),
                              t.reasons) for t in merged), key=lambda t: -t.risk)


def _merge(targets: list[RiskTarget]) -> list[RiskTarget]:
    """Targets whose circles overlap become one, covering both, with their risks added."""
    if not targets:
        return []
    frame = LocalFrame(targets[0].lat_deg, targets[0].lon_deg)
    groups: list[list[RiskTarget]] = []
    for t in targets:
        e, n = frame.to_local(t.lat_deg, t.lon_deg)
        touching = [g for g in groups if any(_gap_m(frame, e, n, o) <= t.radius_m + o.radius_m
                                             for o in g)]
        for g in touching:
            groups.remove(g)
        groups.append([t] + [o for g in touching for o in g])
    out = []
    for g in groups:
        disc = shapely.union_all([shapely.Point(*frame.to_local(o.lat_deg, o.lon_deg)).buffer(
            o.radius_m) for o in g])
        centre = disc.centroid
        reach = max(centre.hausdorff_distance(disc), MARGIN_M)
        lat, lon = frame.to_wgs84(centre.x, centre.y)
        out.append(RiskTarget(" + ".join(o.label for o in g), float(lat), float(lon),
                              float(reach), sum(o.risk for o in g),
                              tuple(r for o in g for r in o.reasons)))
    return out


def _gap_m(frame: LocalFrame, e: float, n: float, other: RiskTarget) -> float:
    e2, n2 = frame.to_local(other.lat_deg, other.lon_deg)
    return math.hypot(float(e) - float(e2), float(n) - float(n2))


def plan_for_risk(store: Store, zones: ZoneSet, terrain: Terrain, equipment: Equipment,
                  budget_s: float, now_unix_s: float, *, altitude_agl_m: float = 80.0
                  ) -> RiskPlan:
    """The flights that cover the most risk within ``budget_s`` of flying time."""
    targets = risk_targets(store, now_unix_s)
    options, left = [], []
    for t in targets:
        area = PatrolArea(t.lat_deg, t.lon_deg, t.radius_m)
        ctx = PlanningContext(zones, terrain, equipment.camera, airframe=equipment.airframe,
                              altitude=AltitudePolicy(target_agl_m=altitude_agl_m),
                              launch_site=nearest_launch_site(zones, t.lat_deg, t.lon_deg))
        try:
            plan = plan_coverage(ctx, polygon_wgs84=area.polygon_wgs84(),
                                 name=f"risk {t.label}")[0]
        except DronewatchError as exc:
            left.append((t.label, str(exc)))
            continue
        options.append(ProposedFlight(t.label, t.risk, plan.time_s, plan, t.reasons, area))
    chosen, spent = [], 0.0
    for f in sorted(options, key=lambda f: -f.risk / max(f.time_s, 1.0)):
        if spent + f.time_s <= budget_s:
            chosen.append(f)
            spent += f.time_s
        else:
            left.append((f.label, f"{f.time_s / 60:.0f} min does not fit the "
                                  f"{(budget_s - spent) / 60:.0f} min left"))
    return RiskPlan(budget_s, tuple(sorted(chosen, key=lambda f: -f.risk)), tuple(left),
                    sum(t.risk for t in targets))
