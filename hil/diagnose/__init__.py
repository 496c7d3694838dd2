"""diagnose: what a reading of the bench means, and `hil diagnose`.

- `hil.diagnose.logic`: pure readings -> verdict (`decide`, `explain_button_failure`);
  the one source of truth, used by the suite's failure messages too.
- `hil.diagnose.probe`: the unattended readings through the REPL
  (`BoardPins`, `collect_readings`, `diagnose_unattended`); board code in
  hil/device/bench_io.py, the one board-side module the suite uses too.
- `hil.diagnose.guided`: the step-by-step mode with a person (`run_guided`, `Operator`).
- `hil.diagnose.picture` / `report` / `cli`: the SVG drawing, text/JSON, the command.
"""
