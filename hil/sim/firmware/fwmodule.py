# Runs INSIDE the twin's MicroPython process: the board's built-in modules as
# programs see them, and help().
#
# On the board `machine`, `sys`, `time`, `os`, `micropython` ... are C modules:
# read-only (`sys.x = 1` raises AttributeError, tests/basics/module2.py), printed
# as <module 'sys'>, their names in the order of their ROM tables (help()).
# The twin's are Python modules (port_*.py): each is shown to programs through a
# `module` object holding exactly the board's names, so neither the firmware's
# own helpers (port_machine.hal ...) nor the unix port's extras
# (micropython.mem_total ...) show.
import sys

# Names in the order of the board's ROM table, where help() shows it
# (py/modmicropython.c mp_module_micropython_globals_table at v1.24.1, with the
# ESP8266 port's options: no MICROPY_MEM_STATS).
ORDER = {
    "micropython": ("const", "opt_level", "mem_info", "qstr_info", "stack_use",
                    "alloc_emergency_exception_buf", "heap_lock", "heap_unlock", "kbd_intr",
                    "RingIO", "schedule"),
}
# Names the unix port has and the ESP8266 build does not (py/mpconfig.h defaults at
# v1.24.1 and ports/esp8266/mpconfigport.h: no MICROPY_PY_SYS_EXECUTABLE, _ATEXIT,
# _EXC_INFO, _PS1_PS2, _TRACEBACKLIMIT, _GETSIZEOF, _INTERN, _SETTRACE).
HIDE = {
    "sys": ("executable", "atexit", "exc_info", "ps1", "ps2", "tracebacklimit", "getsizeof",
            "intern", "settrace", "FileIO", "TextIOWrapper"),
}
# Attributes that may be replaced, also on the object behind (MICROPY_PY_SYS_ATTR_DELEGATION:
# `sys.path` is the interpreter's own list, and `sys.path = [...]` replaces it). No
# __getattr__: `from sys import nosuchname` must raise ImportError, as from a module.
DELEGATE = {"sys": ("path",)}

_fallback = {}  # id(module) -> the object DELEGATE names are also written to
_order = {}  # id(module) -> names in the board's order


class module:
    def __init__(self, name, entries, fallback=None):
        object.__setattr__(self, "__name__", name)
        for k, v in entries:
            object.__setattr__(self, k, v)
        _order[id(self)] = tuple(k for k, _ in entries)
        if fallback is not None:
            _fallback[id(self)] = fallback
            for k in DELEGATE.get(name, ()):
                object.__setattr__(self, k, getattr(fallback, k))

    def __setattr__(self, name, value):
        if name in DELEGATE.get(self.__name__, ()):
            setattr(_fallback[id(self)], name, value)
            object.__setattr__(self, name, value)
            return
        # py/runtime.c mp_store_attr's message
        raise AttributeError("'module' object has no attribute '%s'" % name)

    def __delattr__(self, name):
        raise AttributeError("'module' object has no attribute '%s'" % name)

    def __repr__(self):
        return "<module '%s'>" % self.__name__


def wrap(name, mod, fallback=None):
    """A read-only `module` named `name` showing `mod`'s public, non-module names."""
    names = [k for k in ORDER.get(name, ()) if hasattr(mod, k)]
    hide = HIDE.get(name, ())
    for k in dir(mod):
        if k.startswith("_") or k in names or k in hide:
            continue
        if type(getattr(mod, k)) is type(sys):
            continue  # a module the firmware imported (hal, sched ...), not the board's
        names.append(k)
    return module(name, [(k, getattr(mod, k)) for k in names], fallback)


_HELP_TEXT = (
    # ports/esp8266/help.c at v1.24.1
    "Welcome to MicroPython!\n"
    "\n"
    "For online docs please visit http://docs.micropython.org/\n"
    "\n"
    "For diagnostic information to include in bug reports execute 'import port_diag'.\n"
    "\n"
    "Basic WiFi configuration:\n"
    "\n"
    "import network\n"
    "sta_if = network.WLAN(network.STA_IF); sta_if.active(True)\n"
    "sta_if.scan()                             # Scan for available access points\n"
    'sta_if.connect("<AP_name>", "<key>") # Connect to an AP\n'
    "sta_if.isconnected()                      # Check for successful connection\n"
    "# Change name/password of ESP8266's AP:\n"
    "ap_if = network.WLAN(network.AP_IF)\n"
    'ap_if.config(ssid="<AP_NAME>", security=network.AUTH_WPA_WPA2_PSK, key="<key>")\n'
    "\n"
    "Control commands:\n"
    "  CTRL-A        -- on a blank line, enter raw REPL mode\n"
    "  CTRL-B        -- on a blank line, enter normal REPL mode\n"
    "  CTRL-C        -- interrupt a running program\n"
    "  CTRL-D        -- on a blank line, do a soft reset of the board\n"
    "  CTRL-E        -- on a blank line, enter paste mode\n"
    "\n"
    "For further help on a specific object, type help(obj)\n"
)

_unix_help = help  # noqa: F821 - the builtin, kept for help('modules')


class _Help:
    """The board's builtin help() (py/builtinhelp.c), its modules shown as the board shows
    them; a C function on the board, so it prints as <function>."""

    def __repr__(self):
        return "<function>"

    def __call__(self, *args):
        _help(*args)


help = _Help()  # noqa: A001


def _help(*args):
    if not args:
        print(_HELP_TEXT, end="")
        return
    obj = args[0]
    if obj is help:
        print("object <function> is of type function")
        return
    if obj == "modules" or type(obj) is not module:
        _unix_help(obj)
        return
    print("object %r is of type module" % obj)
    print("  __name__ -- %s" % obj.__name__)
    for k in _order.get(id(obj), ()):
        print("  %s -- %s" % (k, _short(getattr(obj, k))))


def _short(v):
    # builtinhelp.c prints values with PRINT_STR: C functions as <function>
    t = type(v).__name__
    if t in ("function", "bound_method", "closure", "generator"):
        return "<function>"
    return str(v)
