"""Thin on purpose: the fixtures come from the `hil` pytest plugin (fixtures/plugin.py),
installed through the pytest11 entry point, so they exist wherever hil is installed."""
