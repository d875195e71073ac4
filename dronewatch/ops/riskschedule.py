"""The schedule regenerated from a risk plan: one patrol file per proposed flight.

Why patrol files: the scheduler, ``dronewatch check`` and the officer all read
``missions/*.yaml``; a risk plan written there is checked, listed and flown like any
patrol, and an officer can still edit or delete it. Why only our own files are replaced:
each file this writes starts with :data:`MARKER`; a regenerated plan removes the risk
patrols of the last one, and never touches (nor overwrites) an officer's own file.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

from dronewatch.ops.patrolspec import STATION_TZ, PatrolFileError
from dronewatch.ops.riskplan import ProposedFlight, RiskPlan

__all__ = ["MARKER", "write_risk_patrols"]

MARKER = "# written by 'dronewatch patrol plan --write'"
_PREFIX = "risk-"
_DAY_MIN = 24 * 60


def _ours(path: Path) -> bool:
    try:
        return path.read_text(encoding="utf-8").startswith(MARKER)
    except (OSError, UnicodeDecodeError):
        return False


def _patrol_text(n: int, count: int, flight: ProposedFlight, minute_of_day: int, *,
                 drone: str, timezone: str, min_battery_pct: float) -> str:
    a = flight.area
    hour, minute = divmod(minute_of_day % _DAY_MIN, 60)
    return "\n".join([
        f"{MARKER} on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}:",
        f"# flight {n} of {count}, target {flight.label}, risk {flight.risk:.1f}, about "
        f"{math.ceil(flight.time_s / 60)} min; why:",
        *(f"#   {why}" for why in flight.reasons),
        "# The next 'patrol plan --write' replaces this file; edit a copy to keep it.",
        f"name: {_PREFIX}{n}",
        f"areas: [{{lat: {a.lat_deg:.6f}, lon: {a.lon_deg:.6f}, radius_m: {a.radius_m:.0f}}}]",
        f'schedule: "{minute} {hour} * * *"',
        f"timezone: {timezone}",
        f"launch_site: {flight.plan.home.id}",
        f"drone: {drone}",
        f"altitude_agl_m: {flight.plan.altitude.target_agl_m:g}",
        "look_for: [hotspots, persons]",
        f"min_battery_pct: {min_battery_pct:g}",
        ""])


def write_risk_patrols(plan: RiskPlan, folder: Path, *, start_minute_of_day: int,
                       drone: str, timezone: str = STATION_TZ, min_battery_pct: float = 60.0,
                       turnaround_s: float = 600.0) -> list[Path]:
    """Write ``risk-N.yaml`` in ``folder`` for each proposed flight, daily, one after the
    other from ``start_minute_of_day`` (station time) with ``turnaround_s`` between for
    a battery swap; remove the risk patrols an earlier plan wrote. The files written.

    Raises
    ------
    PatrolFileError
        The folder is missing, or a ``risk-N.yaml`` there is an officer's own file
        (nothing is written then).
    """
    if not folder.is_dir():
        raise PatrolFileError(f"{folder}: the missions folder does not exist")
    targets = [folder / f"{_PREFIX}{n}.yaml" for n in range(1, len(plan.flights) + 1)]
    theirs = [p for p in targets if p.exists() and not _ours(p)]
    if theirs:
        raise PatrolFileError(f"{theirs[0]}: an officer's own file, not one this command "
                              "wrote: rename it, then write the plan again")
    minute = start_minute_of_day
    for n, (flight, path) in enumerate(zip(plan.flights, targets, strict=True), 1):
        text = _patrol_text(n, len(plan.flights), flight, minute, drone=drone,
                            timezone=timezone, min_battery_pct=min_battery_pct)
        partial = path.with_suffix(".yaml.part")
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)  # the scheduler never reads half a file
        minute += math.ceil((flight.time_s + turnaround_s) / 60.0)
    for stale in folder.glob(f"{_PREFIX}*.yaml"):
        if stale not in targets and _ours(stale):
            stale.unlink()
    return targets
