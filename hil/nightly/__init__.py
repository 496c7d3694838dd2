"""Nightly CI on a bench board: ci/nightly's run (lock, retry, reports), the history, `hil health`."""
