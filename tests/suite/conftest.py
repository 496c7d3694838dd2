"""Tests of the on-board suite and its pytest plugin."""

