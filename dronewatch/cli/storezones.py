"""`dronewatch store zones`: the station's zone file put into its store.

Why a command: the store (and, through `store sync`, the regional database) answers
"findings in this zone" only for the zones it holds; an officer runs this once the zone
file is set up or redrawn. Safe to repeat: the same file again changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from dronewatch.cli.common import JsonOption, ZonesOption, console, run
from dronewatch.cli.flight import StoreOption
from dronewatch.cli.inputs import current_settings
from dronewatch.cli.sync import StationOption, store_app
from dronewatch.config import default_zones_path
from dronewatch.store import Store
from dronewatch.store.zonestore import store_zones
from dronewatch.zones import load_zones

__all__ = ["store_zones_command"]


@store_app.command("zones")
def store_zones_command(
    zones_file: ZonesOption = None,
    store: StoreOption = None,
    station: StationOption = None,
    as_json: JsonOption = False,
) -> None:
    """Store the zone file's areas in the store (safe to repeat; redrawn zones replaced)."""
    settings = current_settings()
    zones = run(lambda: load_zones(zones_file or default_zones_path()))
    with run(lambda: Store(store or settings.store, station=station or settings.station)) as db:
        done = run(lambda: store_zones(db, zones))
        where, name = db.where, db.station
    if as_json:
        print(json.dumps({"station": name, **asdict(done)}))
        return
    console.print(f"zones of station [bold]{name}[/] in {where}: {len(done.added)} added, "
                  f"{len(done.changed)} changed, {len(done.unchanged)} unchanged, "
                  f"{len(done.skipped)} launch sites skipped (points, no area)")
