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
	touch $(BIN)/hil

setup: $(BIN)/hil

suite: setup
	$(BIN)/pytest $(PYTEST_ARGS)

test: setup
	$(BIN)/pytest tests $(PYTEST_ARGS)

# The fast lane: no test that starts a twin or a tool process (those are `slow`).
check: setup
	$(BIN)/ruff check .
	$(BIN)/pytest tests -m "not slow" -p no:cacheprovider -q $(PYTEST_ARGS)

bench: setup
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache reports
