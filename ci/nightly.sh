#!/usr/bin/env bash
# Nightly run on a bench-attached board. Workflow files only call this script.
#
#   HIL_PORT      the board: /dev/ttyUSB0, auto, or rfc2217://host:port   (default: auto)
#   HIL_FIRMWARE  the MicroPython image to test with                    (required on a board)
#   HIL_BENCH     bench profile TOML                                     (default: reference bench)
#   HIL_REPORTS   where reports go                                       (default: reports/)
#
# Exit code: pytest's (0 all passed, 1 the app failed a test, 3 the bench is broken;
# README "Exit status"; 2 interrupted, 4 usage error).
# When the suite fails, an unattended diagnosis is added to the reports.
set -uo pipefail
cd "$(dirname "$0")/.."

port="${HIL_PORT:-auto}"
reports="${HIL_REPORTS:-reports}"
mkdir -p "$reports"

args=(--port="$port" --junitxml "$reports/junit.xml" -o junit_family=xunit2 -rfEs)
[ -n "${HIL_FIRMWARE:-}" ] && args+=(--firmware="$HIL_FIRMWARE")
[ -n "${HIL_BENCH:-}" ] && args+=(--bench="$HIL_BENCH")

pytest "${args[@]}" "$@" 2>&1 | tee "$reports/pytest.log"
status=${PIPESTATUS[0]}

if [ "$status" -ne 0 ]; then
    echo "suite failed (exit $status): running the unattended diagnosis"
    diag=(--port "$port" --auto --json)
    [ -n "${HIL_BENCH:-}" ] && diag+=(--bench "$HIL_BENCH")
    hil diagnose "${diag[@]}" > "$reports/diagnosis.json" 2> "$reports/diagnosis.log" || true
    cat "$reports/diagnosis.json"
fi
exit "$status"
