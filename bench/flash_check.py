"""Benchmark: `--flash auto` on a board that already holds the image, against a full write.

    .venv/bin/python -m bench flash_check

The image has the size of a real ESP8266_GENERIC build (about 620 kB). The
reference is what a person runs without the harness: ``esptool write-flash``
of the same image at the same baud (460800 after the stub, which both use),
over the same port. The harness connects, compares the stub's MD5 of the
region with the image's and writes nothing. Goal: under 5% of the full write.
Over the pty (no reset lines: both sync without a reset) and over RFC2217 (the
figure contains pyserial's client-side acknowledgement waits, about 0.1 s per
line-setting change; esptool makes more of them than the harness).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import Row, ratio_row, run, sim, standalone, timed, tool

IROM = 0x92000  # irom0 of an ESP8266_GENERIC v1.24 build: the whole file is about 620 kB
FLASH_BAUD = 460800


def measure(runs: int = 3) -> list[Row]:
    from hil.flash import flash_firmware
    from hil.sim.image import make_image

    rows = []
    with tempfile.TemporaryDirectory(prefix="hil-bench-flash-") as d, sim() as twin:
        image = Path(d) / "ESP8266_GENERIC-v1.24.1.bin"
        image.write_bytes(make_image("1.24.1", irom_size=IROM))
        size = image.stat().st_size
        for label, spec in (("pty", twin.pty), ("rfc2217", twin.url)):
            after = "soft-reset" if label == "pty" else "hard-reset"
            before = "no-reset" if label == "pty" else "default-reset"
            esptool = [tool("esptool"), "--chip", "esp8266", "--port", spec, "--baud",
                       str(FLASH_BAUD), "--before", before, "--after", after,
                       "write-flash", "0x0", str(image)]
            full = timed(lambda: run(esptool, timeout=600), runs)  # noqa: B023
            # the board now holds the image: auto must find nothing to write
            result = flash_firmware(spec, image, mode="auto", flash_baud=FLASH_BAUD)
            assert not result.written, result.reason
            auto = timed(lambda: flash_firmware(spec, image, mode="auto",  # noqa: B023
                                                flash_baud=FLASH_BAUD), runs)
            rows.append(ratio_row(
                f"--flash auto, image on board, vs esptool write-flash ({label})", auto, full,
                goal=0.05, labels=("hil --flash auto", "esptool write-flash"),
                note=f"{size // 1024} kB image at {FLASH_BAUD} baud"
                     + ("; contains pyserial's RFC2217 acknowledgement waits" if label != "pty"
                        else "")))
    return rows


if __name__ == "__main__":
    sys.exit(standalone(measure, __doc__))
