"""The virtual ESP8266 bench (the "twin"): a peer of the board, never of the harness.

Entry points: `hil.sim.twin.Twin` (Python API), `hil sim` (hil/sim/cli.py), and the
`twin` fixture of tests/conftest.py. Nothing is imported here, so `import hil.sim`
stays cheap and starts nothing.
"""
