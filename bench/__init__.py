"""Benchmarks: timing and memory goals are shown here, never asserted in tests."""
