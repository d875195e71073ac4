"""How one simulated vehicle is set up: where it stands, how it talks, how it misbehaves.

Why a frozen value: the same configuration must give the same flight (seeded wind,
seeded link faults), so it is parsed once, validated, and passed around unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from simulators.vehicle.transport import LinkFaults

__all__ = ["HomeSpec", "VehicleConfig", "parse_home"]


@dataclass(frozen=True, slots=True)
class HomeSpec:
    """Where the vehicle boots: WGS84, altitude AMSL (None = on the DEM's ground), heading."""

    lat_deg: float
    lon_deg: float
    alt_amsl_m: float | None = None
    heading_deg: float = 0.0

    def __post_init__(self) -> None:
        if not (-90 <= self.lat_deg <= 90 and -180 <= self.lon_deg <= 180):
            raise ValueError(f"home {self.lat_deg},{self.lon_deg} is not a WGS84 position")


def parse_home(text: str) -> HomeSpec:
    """``LAT,LON[,ALT_AMSL[,HEADING]]`` as SITL's ``--home`` takes it; an empty ALT means ground."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) < 2 or len(parts) > 4:
        raise ValueError(f"--home {text!r}: expected LAT,LON[,ALT_AMSL[,HEADING]]")
    try:
        lat, lon = float(parts[0]), float(parts[1])
        alt = float(parts[2]) if len(parts) > 2 and parts[2] else None
        heading = float(parts[3]) if len(parts) > 3 and parts[3] else 0.0
    except ValueError:
        raise ValueError(f"--home {text!r}: numbers expected") from None
    return HomeSpec(lat, lon, alt, heading)


@dataclass(frozen=True, slots=True)
class VehicleConfig:
    """Everything one simulated copter needs to boot."""

    home: HomeSpec
    listen: tuple[str, ...] = ("udp:127.0.0.1:14550",)
    sysid: int = 1
    seed: int = 0
    boot_time_s: float = 42.0  # simulated seconds to "EKF using GPS", as ArduCopter SITL
    dem_path: Path | None = None  # None: dronewatch's modelled area; outside it, flat ground
    faults: LinkFaults = field(default_factory=LinkFaults)
    signing_key: bytes | None = None
    params: tuple[tuple[str, float], ...] = ()
    step_s: float = 0.02
    autopilot: str = "ArduPilot"  # or "PX4": its HEARTBEAT, modes, parameters, fence

    def __post_init__(self) -> None:
        if self.autopilot not in ("ArduPilot", "PX4"):
            raise ValueError(f"autopilot {self.autopilot!r}: ArduPilot or PX4")
        if not 1 <= self.sysid <= 254:
            raise ValueError(f"sysid {self.sysid} outside 1..254")
        if self.boot_time_s < 0:
            raise ValueError("boot_time_s must not be negative")
        if self.signing_key is not None and len(self.signing_key) != 32:
            raise ValueError("a MAVLink 2 signing key is 32 bytes")
        if not 0.001 <= self.step_s <= 0.1:
            raise ValueError("step_s outside 0.001..0.1")
