"""A board of a labgrid farm: ``--place NAME`` (labgrid 26, gRPC coordinator).

The coordinator is found as ``labgrid-client`` finds it: ``LG_COORDINATOR``,
else 127.0.0.1:20408 (labgrid/remote/client.py ``main``); the user and host
that hold a place are labgrid's too (``LG_USERNAME``, ``LG_HOSTNAME``, else the
login and the host name). ``PlaceLease.acquire()`` acquires the place, which
makes its exporter start ser2net, and returns the URL the harness opens: the
place's ``NetworkSerialPort`` as ``rfc2217://HOST:PORT`` (``socket://`` for a raw
one). ``release()`` gives it back.

A killed run (SIGKILL, a lost CI job) cannot release anything itself, and a
labgrid place stays acquired until someone runs ``labgrid-client release``. So
every lease starts a watchdog, a small process of its own (its own session:
Ctrl-C at the terminal does not reach it), holding the read end of a pipe whose
only write end the run holds. When the run ends, however it ends, the kernel
closes that end; the watchdog wakes up and releases the place, but only if it
is still held by this user on this host (the coordinator's ``fromuser`` check,
as ``labgrid-client release-from``), so it never takes a place from anyone
else. After a normal release it finds nothing to do and exits within seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator

from hil.errors import PlaceBusyError, PlaceError

DEFAULT_COORDINATOR = "127.0.0.1:20408"  # labgrid-client's default
CONNECT_TIMEOUT_S = 15.0
RELEASED = b"released"  # the run's last words to its watchdog when it released the place
WATCH_TRIES = 10  # s: a run killed during its acquire: the place shows held a moment later


def coordinator_address(given: str | None = None) -> str:
    return given or os.environ.get("LG_COORDINATOR") or DEFAULT_COORDINATOR


def _import_labgrid():
    try:
        from labgrid.remote import client
        from labgrid.remote.generated import labgrid_coordinator_pb2
    except ImportError as e:
        raise PlaceError(f"--place needs labgrid: pip install 'hil[labgrid]' ({e})") from e
    return client, labgrid_coordinator_pb2


_LOOP: asyncio.AbstractEventLoop | None = None


def _loop() -> asyncio.AbstractEventLoop:
    """The one event loop of this process for grpc.aio (which supports one per process:
    its completion queue keeps calling back into the loop it first ran on)."""
    global _LOOP
    if _LOOP is None or _LOOP.is_closed():
        _LOOP = asyncio.new_event_loop()
    asyncio.set_event_loop(_LOOP)  # grpc.aio binds a channel to the current loop
    return _LOOP


@contextlib.contextmanager
def _session(address: str) -> Iterator[tuple[object, asyncio.AbstractEventLoop]]:
    """A labgrid ClientSession with the coordinator, closed afterwards."""
    client, _ = _import_labgrid()
    loop = _loop()
    args = argparse.Namespace(place=None, allow_unmatched=False, kick=False)
    try:
        session = client.ClientSession(client.proxymanager.get_grpc_address(
            address, default_port=20408), loop, args=args)
        loop.run_until_complete(asyncio.wait_for(session.start(), CONNECT_TIMEOUT_S))
    except Exception as e:  # noqa: BLE001 - grpc, timeouts, labgrid's own errors alike
        raise PlaceError(
            f"labgrid coordinator {address}: no answer ({type(e).__name__}: {e}); start "
            f"labgrid-coordinator there, or set LG_COORDINATOR=HOST:PORT") from e
    try:
        yield session, loop
    finally:
        with contextlib.suppress(Exception):
            loop.run_until_complete(session.stop())
            loop.run_until_complete(session.close())


def _place(session, name: str):
    place = session.places.get(name)
    if place is None:
        known = ", ".join(sorted(session.places)) or "none"
        raise PlaceError(f"labgrid place {name!r} does not exist on the coordinator "
                         f"(places: {known}); create it with labgrid-client -p {name} create")
    return place


def holder_of(place) -> str:
    return place.acquired or ""


class PlaceLease:
    """One run's hold on a labgrid place; ``url`` is the board's port once acquired."""

    def __init__(self, name: str, coordinator: str | None = None) -> None:
        self.name = name
        self.address = coordinator_address(coordinator)
        self.url: str | None = None
        self.holder = ""  # host/user as labgrid records it
        self._watchdog: subprocess.Popen | None = None
        self._pipe: int | None = None

    def acquire(self) -> str:
        """Acquire the place and return its serial port's URL (PlaceError, PlaceBusyError)."""
        _, pb2 = _import_labgrid()
        with _session(self.address) as (session, loop):
            me = f"{session.gethostname()}/{session.getuser()}"
            place = _place(session, self.name)
            if place.acquired:
                raise PlaceBusyError(
                    f"labgrid place {self.name} is held by {place.acquired} (since "
                    f"{_when(place.changed)}); wait for them, or ask them to run "
                    f"labgrid-client -p {self.name} release")
            self.holder = me
            # before the acquire: the coordinator shows the place held while the exporter
            # still starts ser2net, and a run killed then must not leave it held either
            self._start_watchdog()
            deadline = loop.time() + CONNECT_TIMEOUT_S
            while True:
                try:
                    loop.run_until_complete(session.stub.AcquirePlace(
                        pb2.AcquirePlaceRequest(placename=self.name)))
                    break
                except Exception as e:  # noqa: BLE001 - grpc.aio.AioRpcError
                    details = e.details() if hasattr(e, "details") else str(e)
                    # the last holder's release reaches the exporter a moment after the
                    # coordinator: its port is still taken; anything else is final
                    if "acquire resources" in details and loop.time() < deadline:
                        loop.run_until_complete(asyncio.sleep(0.5))
                        continue
                    self.release()
                    raise PlaceBusyError(f"labgrid place {self.name}: the coordinator refused "
                                         f"to acquire it: {details}") from e
            try:
                self.url = self._resolve(session, loop)
            except BaseException:
                self.release()
                raise
        return self.url

    def _resolve(self, session, loop) -> str:
        """The acquired place's NetworkSerialPort as a URL; waits for ser2net to be up."""
        deadline = loop.time() + CONNECT_TIMEOUT_S
        while True:
            loop.run_until_complete(session.sync_with_coordinator())
            place = session.places[self.name]
            ports = []
            for exporter, group, cls, name in place.acquired_resources:
                if cls != "NetworkSerialPort":
                    continue
                res = session.resources.get(exporter, {}).get(group, {}).get(name)
                if res is not None and res.params.get("port"):
                    ports.append(res.params)
            if len(ports) > 1:
                raise PlaceError(f"labgrid place {self.name} has {len(ports)} serial ports; "
                                 f"a place for hil matches one NetworkSerialPort")
            if ports:
                p = ports[0]
                scheme = "socket" if p.get("protocol") == "raw" else "rfc2217"
                return f"{scheme}://{p['host']}:{p['port']}"
            if loop.time() > deadline:
                raise PlaceError(
                    f"labgrid place {self.name} has no serial port that is up (acquired "
                    f"resources: {list(place.acquired_resources) or 'none'}); match one: "
                    f"labgrid-client -p {self.name} add-match EXPORTER/GROUP/NetworkSerialPort")
            loop.run_until_complete(asyncio.sleep(0.2))

    def release(self) -> None:
        """Give the place back (only if this user on this host holds it); never raises."""
        released = False
        if self.holder:
            with contextlib.suppress(Exception):
                release_from(self.address, self.name, self.holder)
                released = True
            self.holder = ""
        if self._pipe is not None:
            with contextlib.suppress(OSError):
                if released:
                    os.write(self._pipe, RELEASED)  # the watchdog has nothing left to do
            os.close(self._pipe)  # else the watchdog wakes and tries the release itself
            self._pipe = None
        if self._watchdog is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._watchdog.wait(timeout=CONNECT_TIMEOUT_S + 5)
            self._watchdog = None

    def _start_watchdog(self) -> None:
        r, w = os.pipe()  # both ends close-on-exec: no other child inherits w
        try:
            self._watchdog = subprocess.Popen(
                [sys.executable, "-m", "hil.transport.labgrid", "--watch", str(r),
                 "--coordinator", self.address, "--place", self.name, "--holder", self.holder],
                pass_fds=(r,), start_new_session=True, stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        finally:
            os.close(r)
        self._pipe = w


def release_from(address: str, name: str, holder: str) -> bool:
    """Release ``name`` if ``holder`` (host/user) still holds it; True if it was released."""
    _, pb2 = _import_labgrid()
    with _session(address) as (session, loop):
        place = _place(session, name)
        if place.acquired != holder:
            return False
        loop.run_until_complete(session.stub.ReleasePlace(
            pb2.ReleasePlaceRequest(placename=name, fromuser=holder)))
        return True


def place_holder(address: str, name: str) -> str:
    """Who holds the place now (host/user), or "" when it is free."""
    with _session(address) as (session, _):
        return holder_of(_place(session, name))


def _when(stamp) -> str:
    import datetime

    try:
        return datetime.datetime.fromtimestamp(float(stamp)).isoformat(timespec="seconds")
    except (TypeError, ValueError):
        return "?"


def _watch(argv: list[str] | None = None) -> int:
    """The watchdog: wait for the run's end (EOF on the pipe), then release the place."""
    ap = argparse.ArgumentParser(prog="python -m hil.transport.labgrid")
    ap.add_argument("--watch", type=int, required=True)
    ap.add_argument("--coordinator", required=True)
    ap.add_argument("--place", required=True)
    ap.add_argument("--holder", required=True)
    a = ap.parse_args(argv)
    import time

    said = b""
    with contextlib.suppress(OSError):
        while chunk := os.read(a.watch, 64):
            said += chunk
    if RELEASED in said:
        return 0  # the run released the place itself
    for _ in range(WATCH_TRIES):  # the coordinator may be briefly unreachable, or the
        try:                      # killed run's acquire still on its way
            if release_from(a.coordinator, a.place, a.holder):
                return 0
        except PlaceError:
            pass
        time.sleep(1.0)
    return 1


if __name__ == "__main__":
    raise SystemExit(_watch())
