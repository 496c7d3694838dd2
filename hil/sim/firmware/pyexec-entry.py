# Runs INSIDE the twin's MicroPython process: the entry point.
#   micropython -X heapsize=N pyexec-entry.py CONFIG.json
# Loads every firmware module while the host filesystem is still mounted (the
# board then mounts its flash at "/"), then boots. See startup.py. The modules
# come precompiled from CONFIG's "mpy_dir" (hil/sim/frozen.py) when it is set
# and this interpreter reads those files, else from their sources here.
import sys
import json

_d = sys.argv[0].rsplit("/", 1)[0]
with open(sys.argv[1]) as _f:
    _cfg = json.load(_f)
sys.path[:] = [_cfg["mpy_dir"], _d] if _cfg.get("mpy_dir") else [_d]
try:
    import hal
except ValueError:  # "incompatible .mpy file": another interpreter version
    sys.path[:] = [_d]
    import hal
hal.CONFIG.update(_cfg)
del _cfg
hal.CONFIG["firmware_dir"] = _d
import startup

startup.run(globals())
