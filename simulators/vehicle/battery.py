"""A flight battery whose current grows with airspeed and climb.

Why modelled at all: battery reserve and the battery failsafe are safety features
that dronewatch must respect, so the simulator must drain like a real pack: hover
current (SIM_HOVER_AMPS) raised by drag at speed and by climbing, a voltage that sags
with charge and load.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Battery"]

_CELLS_EMPTY_FRACTION = 0.83  # a 6S pack at 21.0 V of 25.2 V
_INTERNAL_OHMS = 0.02


@dataclass
class Battery:
    """Charge state of one pack."""

    capacity_mah: float
    full_voltage_v: float
    consumed_mah: float = 0.0
    current_a: float = 0.0
    energy_j: float = 0.0

    @property
    def remaining_fraction(self) -> float:
        return max(0.0, 1.0 - self.consumed_mah / self.capacity_mah)

    @property
    def voltage_v(self) -> float:
        resting = self.full_voltage_v * (
            _CELLS_EMPTY_FRACTION + (1.0 - _CELLS_EMPTY_FRACTION) * self.remaining_fraction
        )
        return resting - self.current_a * _INTERNAL_OHMS

    def draw(self, dt_s: float, *, armed: bool, flying: bool, airspeed_mps: float,
             climb_mps: float, hover_amps: float) -> None:
        """Drain for ``dt_s`` seconds in the given flight state."""
        if not armed:
            current = 0.3
        elif not flying:
            current = 0.1 * hover_amps
        else:
            current = hover_amps * (1.0 + 0.004 * airspeed_mps**2 + 0.12 * max(climb_mps, 0.0))
        self.current_a = current
        self.consumed_mah += current * dt_s / 3.6
        self.energy_j += current * self.voltage_v * dt_s
