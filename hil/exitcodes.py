"""The exit-code contract shared by `pytest` (the hil plugin), `hil diagnose` and ci/nightly.sh.

One place for the numbers and for the sentence that explains them in every
``--help`` and in the README: a run is trusted only if a broken bench can
never read as a failed app, nor a failed app as a broken bench.
"""

from __future__ import annotations

OK = 0            # everything passed (diagnose: the bench is healthy)
APP_FAILED = 1    # the app failed at least one test and the bench was sound (diagnose: a fault)
USAGE = 2         # hil: a bad command line (argparse's own code)
BENCH_BROKEN = 3  # any bench error: no board, port missing/busy/denied, image refused,
#                   flashing failed, no answer, board reset or unplugged mid-run

PYTEST_HELP = ("exit status: 0 all passed; 1 the app failed at least one test and the bench "
               "was sound (a main.py that does not compile or raises at import is the app's "
               "failure); 3 the bench is broken (no board, port missing/busy/denied, image "
               "refused, flashing failed, no answer, board reset or unplugged mid-run): any "
               "bench error makes the run 3")
DIAGNOSE_HELP = ("exit status: 0 the bench is healthy; 1 a fault was found (or two faults "
                 "cannot be told apart); 2 bad command line; 3 the bench is broken (no board, "
                 "port missing/busy/denied, no answer, board reset or unplugged mid-run)")
