# Runs INSIDE the twin's MicroPython process: the ESP8266 port's `esp` module
# (ports/esp8266/modesp.c), the parts that make sense without radio/RTOS.
# Everything imported up front: an import statement at run time would go through a
# user's builtins.__import__ (builtin_override); the board's C code never does.
import gc

import flashfs
import hal
import port_machine

SLEEP_NONE = 0
SLEEP_LIGHT = 1
SLEEP_MODEM = 2
_sleep_type = SLEEP_MODEM

_fs_start = hal.CONFIG.get("fs_start", 0x100000)
_fs_end = hal.CONFIG.get("fs_end", 0x3FB000)
_flash_path = hal.CONFIG.get("flash_path", "")
_flash = None


def flash_size():
    return hal.CONFIG.get("flash_size", 0x400000)


def flash_user_start():
    # The firmware image ends where the filesystem starts on 4 MiB boards.
    return _fs_start


def flash_id():
    return 0x1640EF  # Winbond W25Q32 (RDID bytes), as the ROM loader reports it


def _f():
    return flashfs.flash_file()


def flash_read(offset, buf_or_len):
    f = _f()
    if isinstance(buf_or_len, int):
        f.seek(offset)
        return f.read(buf_or_len)
    f.seek(offset)
    f.readinto(buf_or_len)


def flash_write(offset, buf):
    f = _f()
    f.seek(offset)
    old = f.read(len(buf))
    f.seek(offset)
    f.write(bytes(a & b for a, b in zip(old, buf)))  # NOR: programming only clears bits


def flash_erase(sector):
    f = _f()
    f.seek(sector * 4096)
    for _ in range(16):
        f.write(b"\xff" * 256)


def osdebug(level=None):
    pass


def sleep_type(t=None):
    global _sleep_type
    if t is None:
        return _sleep_type
    _sleep_type = t


def deepsleep(us=0):
    port_machine.reset()


def freemem():
    return gc.mem_free()


def meminfo():
    print("free:", gc.mem_free())


def check_fw():
    print("size:", _fs_start)
    print("md5:", "")
    return True


def info():
    pass
