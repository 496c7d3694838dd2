# Runs INSIDE the twin's MicroPython process: the flash block device and the
# first-boot setup, as ports/esp8266/modules/{flashbdev.py,_boot.py,inisetup.py}.
#
# The filesystem lives in [FS_START, FS_END) of the twin's flash.bin (4 KiB
# sectors, LittleFS2 in v1.13+). The file is opened before "/" is unmounted, so
# the board sees only its own filesystem afterwards.
import vfs
import hal
import port_time

SEC_SIZE = 4096
_CHUNK = 256  # erase/check in small pieces: the heap is the board's, ~36 kB
_ERASED = b"\xff" * _CHUNK
_file = None


def flash_file():
    return _file


class FlashBdev:
    # Extended block protocol (readblocks/writeblocks with offset, ioctl 4/5/6),
    # as flashbdev.py implements it over esp.flash_read/flash_write/flash_erase.
    # Allocation-free, as flashbdev.py is: a soft reset closes open files from
    # the GC's finalisers (startup.py), which run with the heap locked.
    def __init__(self, f, start, end):
        self._f = f
        self.start = start
        self.start_sec = start // SEC_SIZE
        self.blocks = (end - start) // SEC_SIZE

    def readblocks(self, n, buf, off=0):
        self._f.seek(self.start + n * SEC_SIZE + off)
        self._f.readinto(buf)

    def writeblocks(self, n, buf, off=None):
        if off is None:
            self.ioctl(6, n)
            off = 0
        self._f.seek(self.start + n * SEC_SIZE + off)
        self._f.write(buf)

    def ioctl(self, op, arg):
        if op == 4:  # MP_BLOCKDEV_IOCTL_BLOCK_COUNT
            return self.blocks
        if op == 5:  # MP_BLOCKDEV_IOCTL_BLOCK_SIZE
            return SEC_SIZE
        if op == 6:  # MP_BLOCKDEV_IOCTL_BLOCK_ERASE
            self._f.seek(self.start + arg * SEC_SIZE)
            i = SEC_SIZE // _CHUNK
            while i:  # no range(): it would allocate
                self._f.write(_ERASED)
                i -= 1
            return 0
        return 0


bdev = None


def open_flash():
    global _file, bdev
    _file = open(hal.CONFIG["flash_path"], "r+b")
    bdev = FlashBdev(_file, hal.CONFIG["fs_start"], hal.CONFIG["fs_end"])
    return bdev


def _first_sector_blank():
    buf = bytearray(_CHUNK)
    for off in range(0, SEC_SIZE, _CHUNK):
        bdev.readblocks(0, buf, off)
        if buf != _ERASED:
            return False
    return True


def mount_root():
    """_boot.py: mount the flash at "/", or run the first-boot setup.

    Returns normally once "/" is the board's filesystem. A non-blank sector that
    does not mount prints the "looks corrupt" text every 3 s forever, as
    inisetup.check_bootsec() does.
    """
    vfs.umount("/")  # the host's filesystem disappears: the board has only its flash
    try:
        vfs.mount(vfs.VfsLfs2(bdev), "/")
        return
    except OSError:
        pass
    if not _first_sector_blank():
        _fs_corrupted()
    print("Performing initial setup")
    vfs.VfsLfs2.mkfs(bdev)
    vfs.mount(vfs.VfsLfs2(bdev), "/")
    with open("boot.py", "w") as f:
        f.write(default_boot_py())


def _fs_corrupted():
    mod = "os" if tuple(hal.CONFIG.get("version_tuple", (1, 24, 1))) >= (1, 21) else "uos"
    hal.set_intr(3)  # only HEAD enables Ctrl-C here; harmless: nothing else can run
    while 1:
        print(
            "The filesystem starting at sector %d with size %d sectors looks corrupt.\n"
            "You may want to make a flash snapshot and try to recover it. Otherwise,\n"
            "format it with %s.VfsLfs2.mkfs(bdev), or completely erase the flash and\n"
            "reprogram MicroPython.\n" % (bdev.start_sec, bdev.blocks, mod)
        )
        port_time.sleep(3)


def default_boot_py():
    # ports/esp8266/modules/inisetup.py (v1.21+: os; v1.10-v1.20: uos)
    if tuple(hal.CONFIG.get("version_tuple", (1, 24, 1))) >= (1, 21):
        m = "os"
    else:
        m = "uos"
    return (
        "# This file is executed on every boot (including wake-boot from deepsleep)\n"
        "#import esp\n"
        "#esp.osdebug(None)\n"
        "import %s, machine\n"
        "#%s.dupterm(None, 1) # disable REPL on UART(0)\n"
        "import gc\n"
        "#import webrepl\n"
        "#webrepl.start()\n"
        "gc.collect()\n" % (m, m)
    )
