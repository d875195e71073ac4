"""``python -m simulators.vehicle``: start simulated copters on MAVLink endpoints.

Example, as ArduCopter SITL is started::

    python -m simulators.vehicle --home 44.7674,88.6870,729,0 \\
        --listen udp:127.0.0.1:14550 --sysid 1 --speedup 50 --seed 7
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from dronewatch.link import signing_key
from simulators.vehicle.config import HomeSpec, VehicleConfig, parse_home
from simulators.vehicle.runner import run
from simulators.vehicle.transport import LinkFaults
from simulators.vehicle.vehicle import SimVehicle


def _default_home() -> HomeSpec:
    """The police station's launch site from the modelled area."""
    from dronewatch.config import default_zones_path
    from dronewatch.zones import load_zones

    site = load_zones(default_zones_path()).launch_sites[0]
    return HomeSpec(site.lat_deg, site.lon_deg, site.home_alt_amsl_m, site.heading_deg)


def _shift_port(url: str, offset: int) -> str:
    head, _, port = url.rpartition(":")
    return f"{head}:{int(port) + offset}"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m simulators.vehicle",
                                     description="Simulated ArduCopter speaking MAVLink 2.")
    parser.add_argument("--home", type=parse_home, default=None,
                        help="LAT,LON[,ALT_AMSL[,HEADING]] (default: the station's launch site)")
    parser.add_argument("--listen", action="append", default=None,
                        help="udp:HOST:PORT, udpout:HOST:PORT or tcp:HOST:PORT (repeatable; "
                             "default udp:127.0.0.1:14550)")
    parser.add_argument("--sysid", type=int, default=1)
    parser.add_argument("--instances", type=int, default=1,
                        help="several vehicles: sysid+i, every port +10*i, home 5 m apart")
    parser.add_argument("--speedup", type=float, default=1.0, help="0 = as fast as possible")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--boot-time", type=float, default=42.0,
                        help="simulated seconds until armable (ArduCopter SITL: ~42)")
    parser.add_argument("--dem", type=Path, default=None, help="DEM GeoTIFF for the ground")
    parser.add_argument("--drop", type=float, default=0.0, help="UDP packet drop probability")
    parser.add_argument("--duplicate", type=float, default=0.0)
    parser.add_argument("--delay", type=float, default=0.0, help="probability of delaying")
    parser.add_argument("--delay-s", type=float, default=0.3)
    parser.add_argument("--signing-key", default=None, help="MAVLink 2 signing key/passphrase")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--autopilot", choices=("ArduPilot", "PX4"), default="ArduPilot",
                        type=lambda s: {"ardupilot": "ArduPilot", "px4": "PX4"}.get(
                            s.lower(), s),
                        help="which autopilot it presents itself as (PX4: modes, GF_* "
                             "parameters, bytewise integers, fence on while GF_ACTION != 0)")
    return parser.parse_args(argv)


def configs(args: argparse.Namespace) -> list[VehicleConfig]:
    home = args.home or _default_home()
    listen = args.listen or ["udp:127.0.0.1:14550"]
    params = []
    for item in args.param:
        name, _, value = item.partition("=")
        params.append((name.strip().upper(), float(value)))
    out = []
    for i in range(args.instances):
        spec = HomeSpec(home.lat_deg, home.lon_deg + i * 5 / 79_000, home.alt_amsl_m,
                        home.heading_deg)
        out.append(VehicleConfig(
            home=spec, listen=tuple(_shift_port(u, 10 * i) for u in listen),
            sysid=args.sysid + i, seed=args.seed + i, boot_time_s=args.boot_time,
            dem_path=args.dem,
            faults=LinkFaults(args.drop, args.duplicate, args.delay, args.delay_s),
            signing_key=signing_key(args.signing_key) if args.signing_key else None,
            params=(*params, ("SIM_SPEEDUP", args.speedup)), autopilot=args.autopilot,
        ))
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        vehicles = [SimVehicle(c) for c in configs(args)]
    except (ValueError, OSError) as exc:
        print(f"simulator: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    for v in vehicles:
        print(f"dronewatch-sim: sysid {v.sysid} on {', '.join(v.config.listen)}", flush=True)
    try:
        run(vehicles, stop=stop)
    finally:
        for v in vehicles:
            v.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
