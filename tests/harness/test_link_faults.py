"""The harness over a bad serial link (the twin's link faults, through its RFC2217 port).

What it sends is sealed with its length and byte sum and checked on the board
before it runs; what eval reads back comes with its own; uploads are checked
by SHA-256. So a damaged byte ends as a right answer (after one resend) or a
bench error naming the link, never as a wrong value or a device exception
blamed on the code, and never as a corrupt file left unnoticed.
"""

from __future__ import annotations

import collections
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from hil.deploy import deploy_app
from hil.errors import BenchError, DeviceError, LinkError
from hil.repl import Repl

pytestmark = [pytest.mark.twin, pytest.mark.slow, pytest.mark.timeout(300)]

RATE = "garble:3e-3"  # 30x the 1e-4: many hits in a short test


@pytest.fixture
def twin(tmp_path: Path) -> Iterator[object]:
    from hil.sim.twin import Twin

    t = Twin(tmp_path / "state")
    t.start()
    try:
        with Repl(t.url) as r:  # first boot formats the filesystem: let it finish cleanly
            r.ensure_friendly_idle()
        yield t
    finally:
        t.stop()


def _resync(repl: Repl) -> None:
    try:
        repl.ensure_friendly_idle(timeout=5.0, break_in=False)
    except BenchError:
        pass


def test_values_read_over_a_garbling_link_are_right_or_a_bench_error(twin) -> None:
    seen: collections.Counter[str] = collections.Counter()
    with Repl(twin.url) as repl:
        repl.ensure_friendly_idle()
        twin.set_link_faults(set=[RATE])
        for i in range(60):
            try:
                value = repl.eval(f"sum(range({i}))", timeout=5.0)
            except DeviceError as e:  # the code is right: this would blame it falsely
                pytest.fail(f"a damaged exchange read as a device exception: {e}")
            except BenchError as e:
                seen[type(e).__name__] += 1
                _resync(repl)
                continue
            assert value == sum(range(i)), f"a damaged answer read as a value: {value!r}"
            seen["right"] += 1
        twin.set_link_faults(clear=["garble"])
    assert seen["right"] > 0, seen
    hits = twin.link_state()
    assert hits, hits


def test_a_real_syntax_error_in_code_sent_is_still_the_codes(twin) -> None:
    with Repl(twin.url) as repl:
        repl.ensure_friendly_idle()
        with pytest.raises(DeviceError) as e:
            repl.exec("def broken(:\n    pass\n")
        assert not isinstance(e.value, LinkError) and e.value.exc_name == "SyntaxError"


def test_an_upload_over_a_garbling_link_is_whole_or_a_bench_error(twin,
                                                                  tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    body = "".join(f"LINE_{i} = {i * 7919}  # filler to make the upload long\n"
                   for i in range(60))
    (app / "main.py").write_text(body)
    want = hashlib.sha256(body.encode()).hexdigest()
    outcomes: collections.Counter[str] = collections.Counter()
    with Repl(twin.url) as repl:
        repl.ensure_friendly_idle()
        for _ in range(4):
            _resync(repl)
            try:
                repl.fs_remove("/main.py")
            except (OSError, BenchError):
                pass
            twin.set_link_faults(set=[RATE])
            uploaded = False
            try:
                deploy_app(repl, app)
                outcomes["uploaded"] += 1
                uploaded = True
            except DeviceError as e:
                pytest.fail(f"a damaged upload read as a device exception: {e}")
            except BenchError as e:
                outcomes[type(e).__name__] += 1
            finally:
                twin.set_link_faults(clear=["garble"])
            _resync(repl)
            got = repl.fs_sha256("/main.py")
            if uploaded and got != want:
                pytest.fail(f"deploy reported success but the board holds another file "
                            f"({got} != {want}); outcomes {outcomes}")
    assert sum(outcomes.values()) == 4, outcomes
