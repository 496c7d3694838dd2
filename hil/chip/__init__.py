"""chip: facts about the board types hil drives, one module per type; constants only.

Both the harness and the twin (`hil/sim`) import these: the layering rule lets
the twin share constants with the harness, never protocol code. A bench's
wiring (which pin is the button, the probes) is not here: that is the bench
profile (`hil/bench`).
"""
