"""`hil sim`: run one virtual ESP8266 bench until SIGINT/SIGTERM; `hil sim image`: make images.

Prints, one per line and flushed before serving:

    pty: /dev/pts/N
    url: rfc2217://127.0.0.1:PORT
    control: http://127.0.0.1:PORT
    page: http://127.0.0.1:PORT/
    token: TOKEN            (only with a non-loopback --host: the control endpoint's token)
    interpreter: MicroPython 1.29.0-preview unix port (...), PATH; newer than the flashed ...

(`--json`: one JSON object with the keys `pty`, `url`, `control`, `page`, `interpreter`,
and `token` if any.) `interpreter:` is what really runs the twin's firmware: programs on
the twin see the flashed firmware's version (sys.implementation, os.uname(), the banner).
`page:` is the bench page (hil/sim/web) on the control endpoint: open it in a browser
(off loopback add `?token=TOKEN` to its address).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path

from hil.sim.faults import FAULTS


def default_state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "hil" / "sim" / "default"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sim",
        help="run a virtual ESP8266 bench (the twin)",
        description="Start a virtual NodeMCU on the reference bench. Real clients reach it "
        "over the printed pty (no reset lines) or rfc2217:// URL (DTR/RTS reach EN/GPIO0); "
        "the control endpoint presses the button, moves wires and switches faults.",
    )
    p.add_argument("--state", type=Path, default=None, metavar="DIR",
                   help=f"state directory: flash and identity (default {default_state_dir()})")
    p.add_argument("--fault", action="append", default=[], metavar="NAME",
                   help="start with this bench fault (repeatable; see --list-faults); "
                        "intermittent:RATE: RATE of the released reads bounce to 0 (0.02 = 2%%)")
    p.add_argument("--list-faults", action="store_true", help="list the fault names and exit")
    p.add_argument("--link-fault", action="append", default=[], metavar="KIND:RATE",
                   help="a faulty USB link (repeatable): garble:P / drop:P (probability per byte, "
                   "both directions), unplug:N (cable pulled after N s for 1 s, board unpowered; "
                   "repeats), brownout:R (chip resets at random, R per second on average)")
    p.add_argument("--erased", action="store_true", help="start with erased flash (no firmware)")
    p.add_argument("--link", type=Path, default=None, metavar="PATH",
                   help="also make PATH a symlink to the pty (a stable name)")
    p.add_argument("--port", type=int, default=0, metavar="N", help="RFC2217 TCP port (0 = any free)")
    p.add_argument("--control-port", type=int, default=0, metavar="N",
                   help="control endpoint TCP port (0 = any free)")
    p.add_argument("--heap", type=int, default=None, metavar="BYTES",
                   help="MicroPython heap size (default 36864, about an ESP8266's free heap)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default loopback only); on any other address the control "
                   "endpoint needs the token printed at start (header 'Authorization: Bearer TOKEN')")
    p.add_argument("--json", action="store_true", help="print the addresses as one JSON object")
    p.set_defaults(handler=_run)
    images = p.add_subparsers(dest="sim_command", metavar="SUBCOMMAND")
    try:
        from hil.sim.image_cli import register_image
    except ImportError:  # pragma: no cover - the image maker ships with the twin
        return
    register_image(images)
    from hil.sim.mptests_cli import register_mptests

    register_mptests(images)


def _run(args: argparse.Namespace) -> int:
    if args.list_faults:
        width = max(map(len, FAULTS))
        for f in FAULTS.values():
            print(f"{f.name:<{width}}  {f.description}")
        return 0
    from hil.sim.errors import SimBusyError, SimUsageError
    from hil.sim.twin import DEFAULT_HEAP, Twin

    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        twin = Twin(
            args.state or default_state_dir(),
            faults=args.fault,
            erased=args.erased,
            heap_bytes=args.heap or DEFAULT_HEAP,
            link=args.link,
            host=args.host,
            port=args.port,
            control_port=args.control_port,
            link_faults=args.link_fault,
        )
    except SimUsageError as e:
        print(f"hil sim: {e}", file=sys.stderr)
        return 2
    try:
        twin.start()
    except SimBusyError as e:
        print(f"hil sim: {e}", file=sys.stderr)
        return 3
    except OSError as e:
        print(f"hil sim: could not start the twin: {e}", file=sys.stderr)
        return 3
    try:
        # `pty:` is always the real /dev/pts/N; the stable symlink gets a line of its own,
        # so scripts that parse `pty:` see the same thing with or without --link.
        info = {"pty": twin.pty_device, "url": twin.url, "control": twin.control_url,
                "page": twin.control_url + "/"}
        if twin.control_token:
            # Printed once, here: a non-loopback control endpoint answers only requests
            # carrying it (`Authorization: Bearer TOKEN`, or `?token=` for the page).
            info["token"] = twin.control_token
            info["page"] += "?token=" + twin.control_token
        if args.link:
            info["link"] = str(args.link)
        info["interpreter"] = _interpreter_line(twin)
        if args.json:
            print(json.dumps(info))
        else:
            for key, value in info.items():
                print(f"{key}: {value}")
        sys.stdout.flush()
        while not stop.wait(3600):
            pass
    finally:
        twin.stop()
        for s, h in old.items():
            signal.signal(s, h)
    return 0


def _interpreter_line(twin: object) -> str:
    """`interpreter:` what really runs under the flashed firmware's identity."""
    from hil.sim.micropython_bin import MicroPythonNotFound, describe_interpreter, find_micropython

    chip = getattr(twin, "chip", None)
    fw = getattr(chip, "firmware", None)
    try:
        exe = find_micropython(getattr(twin, "_micropython", None))
    except MicroPythonNotFound as e:
        return str(e)
    return describe_interpreter(exe, fw.version if fw is not None else None)
