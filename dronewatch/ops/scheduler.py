"""The patrol schedule: cron times in the station's zone, one mission per drone at a time.

Why these rules: a drone cannot fly two patrols, so runs that fall due together on one
drone queue behind a per-drone lock and are skipped (and recorded) if the wait grows
past the patrol's ``max_delay_s``. A restart must never fly the runs it slept through,
so at start every run that fell due while dronewatch was down is recorded as
"missed", and a run the last process died in is recorded as "interrupted"; only
future due times are flown. APScheduler keeps the time; the store keeps the record.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from dronewatch.ops.patrol import PatrolResult
from dronewatch.ops.patrolspec import PatrolSpec
from dronewatch.ops.record import Announcement, AnnouncementKind
from dronewatch.store import Store

__all__ = ["PatrolScheduler"]

MAX_CATCH_UP = 500  # missed runs recorded per patrol at most


class PatrolScheduler:
    """Runs patrols on their schedules through ``fly(spec, due_unix_s)``."""

    def __init__(self, specs: list[PatrolSpec], store: Store,
                 fly: Callable[[PatrolSpec, float], PatrolResult], *,
                 announce: Callable[[Announcement], None] = lambda _: None,
                 clock: Callable[[], float] = time.time) -> None:
        self.specs, self.store, self.fly = specs, store, fly
        self.announce, self.clock = announce, clock
        self._drones: dict[str, threading.Lock] = defaultdict(threading.Lock)
        self._scheduler = BackgroundScheduler(timezone=UTC, job_defaults={
            "coalesce": True, "max_instances": 1, "misfire_grace_time": 120})

    def catch_up(self) -> list[tuple[str, float, str]]:
        """Record what happened while dronewatch was down; (patrol, due, status) recorded."""
        now = datetime.fromtimestamp(self.clock(), UTC)
        recorded = []
        for spec in self.specs:
            runs = self.store.patrol_runs(spec.name)
            for r in runs:
                if r.status in ("starting", "flying"):
                    self.store.update_patrol_run(r.id, "interrupted",
                                                 detail="dronewatch stopped during the run")
                    recorded.append((spec.name, r.due_unix_s, "interrupted"))
            if not runs:
                continue
            trigger = spec.trigger()
            last = datetime.fromtimestamp(max(r.due_unix_s for r in runs), UTC)
            due_at = trigger.get_next_fire_time(last, last + timedelta(seconds=1))
            for _ in range(MAX_CATCH_UP):
                if due_at is None or due_at >= now - timedelta(seconds=60):
                    break
                self.store.add_patrol_run(spec.name, due_at.timestamp(), "missed",
                                          detail="dronewatch was not running; not flown late")
                recorded.append((spec.name, due_at.timestamp(), "missed"))
                due_at = trigger.get_next_fire_time(due_at, due_at + timedelta(seconds=1))
        for name, due, status in recorded:
            self.announce(Announcement(AnnouncementKind.WARNING, f"patrol {name} due "
                                       f"{datetime.fromtimestamp(due, UTC):%Y-%m-%d %H:%M} "
                                       f"UTC: {status}"))
        return recorded

    def run_due(self, spec: PatrolSpec, due_unix_s: float | None = None) -> PatrolResult | None:
        """Fly one run now, after any mission already on this patrol's drone."""
        due = due_unix_s if due_unix_s is not None else self.clock() // 60 * 60
        lock = self._drones[spec.drone]
        if not lock.acquire(timeout=spec.max_delay_s):
            detail = f"drone {spec.drone} still busy after {spec.max_delay_s:.0f} s"
            self.store.add_patrol_run(spec.name, due, "skipped", detail=detail)
            self.announce(Announcement(
                AnnouncementKind.WARNING,
                f"patrol {spec.name} skipped: {detail}"))
            return None
        try:
            self.announce(Announcement(AnnouncementKind.STAGE, f"patrol {spec.name} starting"))
            return self.fly(spec, due)
        finally:
            lock.release()

    def start(self) -> None:
        """Catch up, then run every patrol on its schedule in the background."""
        self.catch_up()
        for spec in self.specs:
            self._scheduler.add_job(self.run_due, spec.trigger(), args=[spec], id=spec.name,
                                    name=f"patrol {spec.name}")
        self._scheduler.start()

    def fire_now(self) -> None:
        """Make every patrol due at once (a drill, and the tests)."""
        now = datetime.now(UTC)
        for job in self._scheduler.get_jobs():
            job.modify(next_run_time=now)

    def next_runs(self) -> dict[str, datetime | None]:
        return {job.id: job.next_run_time for job in self._scheduler.get_jobs()}

    def shutdown(self, wait: bool = True) -> None:
        self._scheduler.shutdown(wait=wait)
