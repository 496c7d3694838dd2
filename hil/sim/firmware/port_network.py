# Runs INSIDE the twin's MicroPython process: a minimal `network` module.
#
# The twin has no radio. boot.py-era code and the first-boot setup
# (inisetup.wifi()) import network and touch WLAN objects, so the interfaces
# exist but never connect: active() is False until set, isconnected() False.
import hal

STA_IF = 0
AP_IF = 1
STAT_IDLE = 0
STAT_CONNECTING = 1
STAT_WRONG_PASSWORD = 2
STAT_NO_AP_FOUND = 3
STAT_CONNECT_FAIL = 4
STAT_GOT_IP = 5
AUTH_OPEN = 0
AUTH_WEP = 1
AUTH_WPA_PSK = 2
AUTH_WPA2_PSK = 3
AUTH_WPA_WPA2_PSK = 4
MODE_11B = 1
MODE_11G = 2
MODE_11N = 3

_ifs = {}


class WLAN:
    def __new__(cls, if_id=STA_IF):
        w = _ifs.get(if_id)
        if w is None:
            w = object.__new__(cls)
            w._id = if_id
            w._active = False
            w._cfg = {}
            _ifs[if_id] = w
        return w

    def __init__(self, if_id=STA_IF):
        pass

    def active(self, on=None):
        if on is None:
            return self._active
        self._active = bool(on)

    def isconnected(self):
        return False

    def status(self, *a):
        return STAT_IDLE

    def connect(self, *a, **kw):
        pass

    def disconnect(self):
        pass

    def scan(self):
        return []

    def ifconfig(self, *a):
        return ("0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0")

    def config(self, *args, **kw):
        if kw:
            self._cfg.update(kw)
            return None
        key = args[0]
        if key == "mac":
            mac = bytes(hal.CONFIG.get("mac", [0x18, 0xFE, 0x34, 0, 0, 0]))
            if self._id == AP_IF:
                mac = bytes((mac[0] | 2,)) + mac[1:]  # the SoftAP MAC is locally administered
            return mac
        if key in ("essid", "ssid"):
            return self._cfg.get("essid", "")
        return self._cfg.get(key)


def phy_mode(mode=None):
    return MODE_11N if mode is None else None
