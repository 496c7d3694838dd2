# Runs INSIDE the twin's MicroPython process: what the ESP8266 port does from
# reset to the REPL (ports/esp8266/main.c init_done/mp_reset/soft_reset,
# modules/_boot.py, inisetup.py), then the REPL loop. Soft reset ends this
# process: the host starts a fresh one (a fresh interpreter state, as
# gc_sweep_all + mp_init give on the board), keeping the REPL mode.
import gc
import sys
import builtins
import binascii
import hal
import pyexec
import readline
import sched
import flashfs
import fwmodule
import port_time
import port_machine
import port_micropython
import port_esp
import port_network
import port_os
import port_sys
import port_gc


def _substitute_modules():
    m = sys.modules
    for name, mod in (
        ("machine", port_machine),
        ("time", port_time),
        ("os", port_os),
        ("micropython", port_micropython),
        ("esp", port_esp),
        ("network", port_network),
        ("flashbdev", flashfs),
        ("gc", port_gc),
    ):
        if name != "flashbdev":  # frozen Python on the board, not a built-in module
            mod = fwmodule.wrap(name, mod)
        m[name] = mod
        m["u" + name] = mod
    for name in ("binascii", "hashlib", "json", "struct", "select", "collections", "io", "errno", "re",
                 "random", "array", "socket", "heapq", "ssl", "platform"):
        try:
            m["u" + name] = __import__(name)
        except ImportError:
            pass
    builtins.input = pyexec.input
    builtins.help = fwmodule.help
    m["sys"] = m["usys"] = fwmodule.wrap("sys", port_sys, fallback=sys)


_FIRMWARE_MODULES = ()
_BUILTINS = {}


def _scrub(n):
    # Overwrites the C stack below this point with small ints: a stale pointer left
    # there by user code would keep its object (an open file) alive through the sweep.
    a = b = c = d = e = f = g = h = 0
    return _scrub(n - 1) + a + b + c + d + e + f + g + h if n else 0


def _sweep(main_globals):
    """soft_reset()'s gc_sweep_all() (ports/esp8266/main.c): every object the user's
    code made is freed and its finaliser runs, so an open file is closed and its data
    written to the flash, as on the board. Here: drop every reference the firmware
    holds to the user's objects, then collect; the finalisers run inside gc.collect()."""
    main_globals.clear()
    for name in list(sys.modules):
        if name not in _FIRMWARE_MODULES:
            del sys.modules[name]
    # mp_init() starts from the builtins of the firmware: what the user added or
    # overrode (builtins.abs = ..., even builtins.__import__) goes
    for name in dir(builtins):
        try:
            if name not in _BUILTINS:
                delattr(builtins, name)
            elif getattr(builtins, name) is not _BUILTINS[name]:
                setattr(builtins, name, _BUILTINS[name])
        except (AttributeError, TypeError):
            pass
    sched.stop()
    sched.timers.clear()
    sched.irq_pins.clear()
    port_machine._pins.clear()
    _scrub(64)
    gc.collect()
    gc.collect()


def _set_aside_the_users_heap():
    """Leave the user exactly CONFIG["heap"] bytes free, in one piece above the firmware.

    The firmware's own objects (its bytecode, loaded by now) sit at the bottom of
    the heap, with holes between them. The allocator is first fit from the
    bottom, so one-block objects made now fill those holes first, then the free
    space above from its bottom up; made until only the user's share is free,
    they leave that share as one contiguous piece at the top, as the board's heap
    is after boot, and the firmware's objects can neither count in it nor cut it up.
    """
    gc.collect()
    block = 32 if sys.maxsize > 2**32 else 16  # py/gc.c BYTES_PER_BLOCK: 4 words
    target = int(hal.CONFIG.get("heap", 38016))
    n = max(0, (gc.mem_free() - target) // block)
    fill = [None] * n
    n = max(0, min(n, (gc.mem_free() - target) // block))
    i = 0
    while i < n:
        fill[i] = (i,)  # a one-block object (built at run time, not a constant)
        i += 1
    hal.set_aside = fill
    port_gc.baseline = gc.mem_alloc()
    sys.stderr.write("heap: %d bytes free for the user, %d set aside\n" % (gc.mem_free(), port_gc.baseline))


_OWN = ("hal", "pyexec", "readline", "sched", "flashfs", "fwmodule", "startup", "port_time",
        "port_machine", "port_micropython", "port_esp", "port_network", "port_os", "port_sys",
        "port_gc")


def _hide_firmware_modules():
    # C on the board: `import sched` or a user's own readline.py must not find them
    for name in _OWN:
        sys.modules.pop(name, None)


def _request_soft_reset():
    pending = hal.rx_pending()
    hal.call_noreply(b"soft %d %s\n" % (pyexec.mode, (binascii.hexlify(pending) if pending else b"-")))


def run(main_globals):
    cfg = hal.CONFIG
    for k in list(main_globals):
        if k not in ("__name__",):
            del main_globals[k]
    pyexec.globals_ = main_globals
    pyexec.mode = pyexec.MODE_RAW if cfg.get("mode") == "raw" else pyexec.MODE_FRIENDLY
    if cfg.get("rx"):
        hal.rx_preload(binascii.unhexlify(cfg["rx"]))
    _substitute_modules()
    _hide_firmware_modules()
    global _FIRMWARE_MODULES, _BUILTINS
    _FIRMWARE_MODULES = tuple(sys.modules)
    _BUILTINS = {name: getattr(builtins, name) for name in dir(builtins)}
    if cfg.get("boot") == "soft":
        hal.tx("PYB: soft reboot\r\n" if tuple(cfg["version_tuple"]) < (1, 11) else "MPY: soft reboot\r\n")
    flashfs.open_flash()
    flashfs.mount_root()
    sys.path[:] = ["", ".frozen", "/lib"]
    _set_aside_the_users_heap()
    ret = pyexec.exec_file("boot.py")
    if not ret & pyexec.FORCED_EXIT and pyexec.mode == pyexec.MODE_FRIENDLY:
        if ret == 0 or tuple(cfg["version_tuple"]) < (1, 22):
            pyexec.exec_file("main.py")
    if cfg.get("boot") != "soft":
        hal.tx("\r\n")
    while True:
        try:
            if pyexec.mode == pyexec.MODE_RAW:
                r = pyexec.raw_repl()
            else:
                r = pyexec.friendly_repl()
        except KeyboardInterrupt:
            # A late Ctrl-C that slipped past the guards: the REPL carries on.
            continue
        except MemoryError:
            pyexec._check_heap()  # left locked by a SIGINT (hil/sim/kbd.py): a watchdog reset
            raise
        if r & pyexec.FORCED_EXIT:
            break
    _sweep(main_globals)
    _request_soft_reset()
