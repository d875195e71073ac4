"""What stands, lies or burns on the ground of the simulated world, with ground truth.

Why these: a search detector must find people and must not report the sheep, camels,
trucks and hot machinery of a mining district, and a patrol must find smouldering
coal. Each thing has a plan-view shape in metres and an apparent surface temperature
drawn from ranges for its kind, by night and by day, so a scenario is one seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

__all__ = ["Posture", "Thing", "ThingKind", "make_thing"]


class ThingKind(StrEnum):
    PERSON = "person"
    SHEEP = "sheep"
    CAMEL = "camel"
    VEHICLE = "vehicle"
    MACHINE = "machine"
    COAL_FIRE = "coal_fire"


class Posture(StrEnum):
    STANDING = "standing"
    SITTING = "sitting"
    LYING = "lying"


# plan-view length x width in metres
_PERSON_SIZE = {Posture.STANDING: (0.5, 0.35), Posture.SITTING: (0.9, 0.65),
                Posture.LYING: (1.75, 0.5)}
_SIZE = {ThingKind.SHEEP: (1.15, 0.55), ThingKind.CAMEL: (2.8, 0.9),
         ThingKind.VEHICLE: (4.6, 1.9), ThingKind.MACHINE: (3.2, 2.4)}


@dataclass(frozen=True, slots=True)
class Thing:
    """One object on the ground: where, how big, how warm.

    ``temp_c`` is the body's apparent surface temperature; ``core_c`` a hotter part
    (a person's head, a vehicle's engine, a fire's vent); ``hidden`` the share of the
    plan view covered by something at ground temperature (a bush, a rock ledge).
    """

    kind: ThingKind
    lat_deg: float
    lon_deg: float
    heading_deg: float
    length_m: float
    width_m: float
    temp_c: float
    core_c: float
    posture: Posture | None = None
    hidden: float = 0.0
    id: str = ""


def make_thing(kind: ThingKind, lat_deg: float, lon_deg: float, ground_c: float, night: bool,
               rng: np.random.Generator, *, posture: Posture | None = None,
               hidden: float = 0.0, radius_m: float | None = None, ident: str = "") -> Thing:
    """A thing of a kind with size and temperatures drawn for the ground it stands on."""
    heading = float(rng.uniform(0, 360))
    if kind is ThingKind.PERSON:
        posture = posture or Posture(rng.choice(list(Posture)))
        length, width = _PERSON_SIZE[posture]
        # a clothed body: well above cold night ground, a little above sunny day ground
        temp = ground_c + rng.uniform(13, 22) if night else max(ground_c + rng.uniform(7, 12),
                                                                rng.uniform(26, 31))
        temp = min(temp, 31.0)
        return Thing(kind, lat_deg, lon_deg, heading, length, width, float(temp),
                     float(rng.uniform(29, 33)), posture, hidden, ident)
    if kind is ThingKind.COAL_FIRE:
        radius = radius_m if radius_m is not None else float(rng.uniform(2.0, 10.0))
        return Thing(kind, lat_deg, lon_deg, heading, 2 * radius, 2 * radius,
                     float(ground_c + rng.uniform(25, 45)), float(rng.uniform(150, 450)),
                     None, 0.0, ident)
    length, width = _SIZE[kind]
    scale = float(rng.uniform(0.9, 1.1))
    if kind is ThingKind.SHEEP:  # wool insulates: barely warmer than the ground
        temp, core = ground_c + rng.uniform(2, 5), ground_c + rng.uniform(4, 7)
    elif kind is ThingKind.CAMEL:
        temp, core = ground_c + rng.uniform(6, 12), ground_c + rng.uniform(10, 16)
    elif kind is ThingKind.VEHICLE:
        temp = ground_c + (rng.uniform(2, 5) if night else rng.uniform(8, 15))
        core = rng.uniform(55, 85)  # engine hood
    else:
        temp, core = rng.uniform(45, 70), rng.uniform(80, 130)
    return Thing(kind, lat_deg, lon_deg, heading, length * scale, width * scale, float(temp),
                 float(core), None, 0.0, ident)
