"""The twin's stable identity: MAC address and the efuse words esptool reads.

Known behaviours (esptool ``targets/esp8266.py``; docs/protocols.md §1.5):

- esptool reads efuse words at 0x3FF00050 (``mac0``), 0x3FF00054 (``mac1``),
  0x3FF00058, 0x3FF0005C (``mac3``).
- MAC: if ``mac3`` is non-zero its low 3 bytes are the OUI; otherwise the OUI is
  18:FE:34 when ``(mac1 >> 16) & 0xFF == 0`` and AC:D0:74 when it is 1. The last
  three bytes are ``(mac1 >> 8) & 0xFF, mac1 & 0xFF, mac0 >> 24``.
- chip id = ``(mac0 >> 24) | ((mac1 & 0xFFFFFF) << 8)``.
- ESP8285 when efuse bit 4 (``mac0`` bit 4) or bit 80 (word 0x58 bit 16) is
  set: both stay clear so the twin is an ESP8266EX.

The identity is created once per state directory and kept in ``twin.json``
under the key ``"identity"`` (other keys in that file are left alone).
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass
from pathlib import Path

EFUSE_BASE = 0x3FF00050

_OUIS = {0: bytes.fromhex("18fe34"), 1: bytes.fromhex("acd074")}


@dataclass(frozen=True)
class Identity:
    """Efuse words of one ESP8266EX; everything else is derived from them."""

    efuse: tuple[int, int, int, int]  # words at 0x3FF00050, 54, 58, 5C

    @classmethod
    def generate(cls, rng: random.Random | None = None) -> Identity:
        """A plausible ESP8266EX: Espressif OUI, random device part of the MAC."""
        rng = rng or random.SystemRandom()
        oui_sel = rng.choice((0, 1))
        mac3, mac4, mac5 = (rng.randrange(256) for _ in range(3))
        # mac0: MAC byte 5 in the top byte; low bits are calibration/chip data on
        # real parts. Keep bit 4 clear (ESP8285 flag).
        mac0 = (mac5 << 24) | (rng.randrange(1 << 24) & ~0x10)
        mac1 = (oui_sel << 16) | (mac3 << 8) | mac4 | (rng.randrange(256) << 24)
        # Word 0x58: bit 16 (efuse bit 80) is the other ESP8285 flag: clear.
        w2 = rng.randrange(1 << 32) & ~(1 << 16)
        return cls(efuse=(mac0, mac1, w2, 0))

    @classmethod
    def load_or_create(cls, path: Path | str) -> Identity:
        """Read ``twin.json``'s identity, creating (and saving) one the first time."""
        path = Path(path)
        doc: dict = {}
        if path.exists():
            doc = json.loads(path.read_text() or "{}")
            words = doc.get("identity", {}).get("efuse")
            if words is not None:
                return cls(efuse=tuple(int(w, 16) for w in words))  # type: ignore[arg-type]
        ident = cls.generate()
        doc["identity"] = {"efuse": [f"{w:#010x}" for w in ident.efuse], "mac": ident.mac_str}
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(doc, indent=2) + "\n")
        os.replace(tmp, path)
        return ident

    def read_efuse(self, addr: int) -> int | None:
        """The efuse word at ``addr``, or None if ``addr`` is not an efuse register."""
        i, rem = divmod(addr - EFUSE_BASE, 4)
        if rem == 0 and 0 <= i < 4:
            return self.efuse[i]
        return None

    @property
    def mac(self) -> bytes:
        mac0, mac1, _, mac3 = self.efuse
        if mac3:
            oui = mac3.to_bytes(4, "big")[1:]
        else:
            oui = _OUIS[(mac1 >> 16) & 0xFF]
        return oui + bytes(((mac1 >> 8) & 0xFF, mac1 & 0xFF, (mac0 >> 24) & 0xFF))

    @property
    def mac_str(self) -> str:
        return ":".join(f"{b:02x}" for b in self.mac)

    @property
    def chip_id(self) -> int:
        mac0, mac1 = self.efuse[0], self.efuse[1]
        return (mac0 >> 24) | ((mac1 & 0xFFFFFF) << 8)
