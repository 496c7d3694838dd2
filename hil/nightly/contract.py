"""What the pytest plugin (fixtures/artifacts.py) and ci/nightly agree on, in one place."""

RUN_RECORD = "hil-run.json"  # in the artifacts folder: outcomes, bench error, facts, figures
HTML_PLACEHOLDER = "<!-- hil-nightly -->"  # in report.html's summary: ci/nightly's sections go here
# Bench error kinds ci/nightly retries once, after a hard reset: the board reset by
# itself, the line garbled, the port vanished (and came back).
TRANSIENT = ("reset", "garbled", "port-gone")
