"""The bench profile: which pin is what."""

from hil.bench.profile import BenchProfile, PinRef, load_profile

__all__ = ["BenchProfile", "PinRef", "load_profile"]
