"""flash: image check and esptool (chip check, auto/always/never, progress)."""

from hil.flash.flasher import MODES, FlashResult, flash_firmware, read_mac
from hil.flash.image_check import ImageInfo, check_image

__all__ = ["MODES", "FlashResult", "ImageInfo", "check_image", "flash_firmware", "read_mac"]
