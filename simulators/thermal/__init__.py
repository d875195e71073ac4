"""A simulated thermal world and camera: ground, people, animals, vehicles and coal fires."""

from simulators.thermal.camera import SensorModel, ThermalCamera
from simulators.thermal.things import Posture, Thing, ThingKind, make_thing
from simulators.thermal.world import Clock, ThermalWorld

__all__ = ["Clock", "Posture", "SensorModel", "ThermalCamera", "ThermalWorld", "Thing",
           "ThingKind", "make_thing"]
