"""One patrol run: plan the zones, check, fly, store, and warn when a hotspot grows.

Why compare with the last patrol: spontaneous combustion in coal creeps; a hotspot
that is 20 °C hotter or half again as large as a week ago is the warning the
companies need, and a hotspot never seen before is news. Each hotspot of this run is
matched to the nearest hotspot of earlier patrols within its accuracy (at least 30 m).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from dronewatch.analysis.recheck import Recheck, RecheckResult, recheck_hazards
from dronewatch.analysis.warnings import forwardable, publish_patrol_warnings
from dronewatch.config import Settings
from dronewatch.geo import Terrain
from dronewatch.link import Vehicle
from dronewatch.ops.alarm import nearest_launch_site
from dronewatch.ops.faults import Outcome
from dronewatch.ops.feed import FrameSource
from dronewatch.ops.patrolspec import PatrolSpec
from dronewatch.ops.record import Announcement, AnnouncementKind
from dronewatch.ops.recovery import recover
from dronewatch.ops.search import FlightOptions, FlightReport, fly_plan, preflight_problems
from dronewatch.ops.station import Equipment, station_equipment
from dronewatch.planning import AltitudePolicy, Plan, PlanningContext, plan_coverage
from dronewatch.store import Finding, FindingKind, Journal, MissionKind, Store
from dronewatch.store.cases import CaseStatus
from dronewatch.store.warnings import PublishedWarning
from dronewatch.zones import ZoneSet

__all__ = ["PatrolResult", "hotspot_warnings", "run_patrol"]


@dataclass(frozen=True, slots=True)
class PatrolResult:
    run_id: int
    status: str  # "done", "skipped", "link lost", ...
    detail: str
    report: FlightReport | None
    warnings: tuple[str, ...]
    rechecks: tuple[Recheck, ...] = ()  # each open hazard case in the zones, looked at again
    published: tuple[PublishedWarning, ...] = ()  # warnings this run published (new ones)


def hotspot_warnings(store: Store, findings: tuple[Finding, ...], mission_id: int,
                     spec: PatrolSpec) -> list[tuple[str, Finding]]:
    """Warnings for hotspots of this run that are new or grew since an earlier patrol."""
    warnings = []
    for f in findings:
        if f.kind is not FindingKind.HOTSPOT:
            continue
        earlier = [e for e in store.hotspots_near(f.lat_deg, f.lon_deg,
                                                  max(30.0, 2 * f.accuracy_m))
                   if e.mission_id != mission_id and e.last_seen_unix_s <= f.first_seen_unix_s]
        where = f"{f.lat_deg:.6f}, {f.lon_deg:.6f}"
        if not earlier:
            warnings.append((f"new hotspot at {where}: peak {f.peak_temp_c or 0:.0f} °C, "
                             f"{f.area_m2 or 0:.0f} m²", f))
            continue
        last = max(earlier, key=lambda e: e.last_seen_unix_s)
        rise = (f.peak_temp_c or 0) - (last.peak_temp_c or 0)
        growth = ((f.area_m2 or 0) / last.area_m2 - 1) if last.area_m2 else 0.0
        if rise >= spec.warn_peak_rise_c or growth >= spec.warn_area_growth:
            warnings.append((f"hotspot at {where} grew since the last patrol: peak "
                             f"{last.peak_temp_c or 0:.0f} → {f.peak_temp_c or 0:.0f} °C, area "
                             f"{last.area_m2 or 0:.0f} → {f.area_m2 or 0:.0f} m²", f))
    return warnings


def plan_patrol(spec: PatrolSpec, zones: ZoneSet, terrain: Terrain,
                equipment: Equipment) -> Plan:
    """The first sortie's plan over the patrol's zones, from its launch site or else the
    one nearest to them; ``dronewatch check`` plans through here too, so what it
    accepts is what flies."""
    region = spec.region_wgs84(zones)
    ctx = PlanningContext(zones, terrain, equipment.camera, airframe=equipment.airframe,
                          altitude=AltitudePolicy(target_agl_m=spec.altitude_agl_m),
                          launch_site=spec.launch_site or nearest_launch_site(
                              zones, region.centroid.y, region.centroid.x))
    return plan_coverage(ctx, polygon_wgs84=region, name=f"patrol {spec.name}")[0]


def run_patrol(spec: PatrolSpec, due_unix_s: float, vehicle: Vehicle, zones: ZoneSet,
               terrain: Terrain, camera: FrameSource, store: Store, out_dir: Path, *,
               wind_mps: float | None = None, settings: Settings | None = None,
               announce: Callable[[Announcement], None] = lambda _: None,
               plan: Plan | None = None, launched_by: str = "scheduler") -> PatrolResult:
    """Fly one run of a patrol (or record why it was skipped), with the camera and
    airframe of the station's ``settings`` unless the patrol names its own.

    ``plan`` is :func:`plan_patrol`'s, when the caller has already shown it (the
    console draws the route before the drone takes off); ``launched_by`` is who started
    the run (the scheduler, or the operator who pressed "start now").

    A run is never left "starting" or "flying": any error ends it as "failed" with
    the reason before it propagates.
    """
    run_id = store.add_patrol_run(spec.name, due_unix_s, "starting")
    try:
        equipment = station_equipment(settings or Settings(), camera=spec.camera,
                                      airframe=spec.airframe)
        return _run_patrol(run_id, spec, due_unix_s, vehicle, zones, terrain, camera, store,
                           out_dir, wind_mps=wind_mps, equipment=equipment,
                           announce=announce, plan=plan, launched_by=launched_by)
    except BaseException as exc:
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        with contextlib.suppress(Exception):  # the store itself failing: the first error wins
            store.update_patrol_run(run_id, "failed", detail=detail)
        raise


def _run_patrol(run_id: int, spec: PatrolSpec, due_unix_s: float, vehicle: Vehicle,
                zones: ZoneSet, terrain: Terrain, camera: FrameSource, store: Store,
                out_dir: Path, *, wind_mps: float | None, equipment: Equipment,
                announce: Callable[[Announcement], None], plan: Plan | None,
                launched_by: str) -> PatrolResult:
    plan = plan or plan_patrol(spec, zones, terrain, equipment)
    options = FlightOptions(min_battery_pct=spec.min_battery_pct,
                            max_wind_mps=spec.max_wind_mps, wind_mps=wind_mps,
                            time_zone=ZoneInfo(spec.timezone))  # the patrol's own clock
    problems = preflight_problems(vehicle, plan, options, equipment.airframe)
    if problems:
        detail = "; ".join(problems)
        store.update_patrol_run(run_id, "skipped", detail=detail)
        announce(Announcement(AnnouncementKind.WARNING, f"patrol {spec.name} skipped: {detail}"))
        return PatrolResult(run_id, "skipped", detail, None, ())
    recover(store, Journal(out_dir / "findings-journal.jsonl"), announce)
    mission = store.add_mission(MissionKind.PATROL, spec.name, launched_by=launched_by,
                                reason=f"patrol {spec.name} due {due_unix_s:.0f}")
    store.update_patrol_run(run_id, "flying", mission_id=mission.id)
    started_unix_s = time.time()
    report = fly_plan(vehicle, plan, zones, terrain, camera, store, mission.id,
                      out_dir / f"patrol-{spec.name}.html", options=options, announce=announce,
                      vehicle_name=spec.drone)
    hotspots = hotspot_warnings(store, report.findings, mission.id, spec) \
        if "hotspots" in spec.look_for else []
    for text, finding in hotspots:
        store.add_alert("warning", text, finding.id)
        announce(Announcement(AnnouncementKind.ALERT, text, finding))
    rechecks = []
    if "hotspots" in spec.look_for and report.outcome is Outcome.COMPLETED:
        # only a flight that covered its zones may say a hazard is gone
        region = spec.region_wgs84(zones)
        rechecks = recheck_hazards(store, region, report.findings, mission.id,
                                   actor=f"patrol {spec.name}",
                                   peak_rise_c=spec.warn_peak_rise_c,
                                   area_growth=spec.warn_area_growth)
        for r in rechecks:
            loud = r.result is RecheckResult.HOTTER or r.status_after is CaseStatus.ASSIGNED
            announce(Announcement(
                AnnouncementKind.WARNING if loud else AnnouncementKind.STAGE,
                f"case #{r.case_id} "
                f"rechecked: {r.result}, now {r.status_after}"))
    published = publish_patrol_warnings(store, hotspots, mission.id, started_unix_s,
                                        time.time())
    for w in published:
        announce(Announcement(AnnouncementKind.ALERT, f"warning published: {forwardable(w)}"))
    status = "done" if report.outcome is Outcome.COMPLETED else str(report.outcome)
    store.update_patrol_run(run_id, status, detail=f"{len(report.findings)} findings, "
                            f"{len(hotspots)} warnings, {len(rechecks)} cases rechecked, "
                            f"{len(published)} warnings published")
    return PatrolResult(run_id, status, report.outcome, report,
                        tuple(text for text, _ in hotspots), tuple(rechecks), tuple(published))
