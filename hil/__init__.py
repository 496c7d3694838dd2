"""hil: hardware-in-the-loop tests for MicroPython on the ESP8266.

Nothing runs at import time: no port scans, no config loads.
"""

__version__ = "0.1.0"
