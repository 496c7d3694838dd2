# Two commands do everything on a fresh machine:
#   make suite   set up, then run the on-board suite against a virtual ESP8266 bench
#   make test    set up, then run the project's own tests
#   make check   set up, then lint (ruff) and the fast tests (-m "not slow"): under a minute
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: setup suite test check bench clean

$(BIN)/hil: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	# pyserial and labgrid's pyserial-labgrid both install the `serial` package,
	# in no set order; labgrid needs its own (RFC2217: no renegotiation when only
	# the read timeout changes, which also takes esptool's CLI from minutes to
	# seconds over rfc2217://), so it goes in last.
	$(BIN)/pip install --quiet --no-deps --force-reinstall 'pyserial-labgrid>=3.5.0.2'
	touch $(BIN)/hil

setup: $(BIN)/hil

suite: setup
	$(BIN)/pytest $(PYTEST_ARGS)

# The project's own tests mostly wait on paced UARTs and on board boots, not on
# the CPU: pytest-xdist runs them on more workers than the CI machine's 2 cores
# (TEST_WORKERS=0: one at a time, in one process).
TEST_WORKERS ?= 6

test: setup
	$(BIN)/pytest tests -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

# The fast lane: no test that starts a twin or a tool process (those are `slow`).
check: setup
	$(BIN)/ruff check .
	$(BIN)/pytest tests -m "not slow" -p no:cacheprovider -q $(PYTEST_ARGS)

bench: setup
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache reports
