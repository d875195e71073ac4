"""A writer process for the crash test: stores findings and reports each one as stored."""

from __future__ import annotations

import sys
import time

from dronewatch.store import Finding, FindingKind, Store

if __name__ == "__main__":
    with Store(sys.argv[1]) as store:
        mission = store.add_mission("search", "crash test", launched_by="test", reason="test")
        for i in range(100_000):
            stored = store.add_finding(Finding(FindingKind.HOTSPOT, 44.7 + i * 1e-6, 88.6, 2.0,
                                               0.9, time.time(), time.time(),
                                               mission_id=mission.id, peak_temp_c=70.0 + i))
            print(stored.id, flush=True)
