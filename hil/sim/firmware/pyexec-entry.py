# Runs INSIDE the twin's MicroPython process: the entry point.
#   micropython -X heapsize=N pyexec-entry.py CONFIG.json
# Loads every firmware module while the host filesystem is still mounted (the
# board then mounts its flash at "/"), then boots. See startup.py.
import sys
import json

_d = sys.argv[0].rsplit("/", 1)[0]
sys.path[:] = [_d]
with open(sys.argv[1]) as _f:
    import hal

    hal.CONFIG.update(json.load(_f))
hal.CONFIG["firmware_dir"] = _d
import startup

startup.run(globals())
