# The two things a new user does: `make demo` and `make test`. Both set up .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Example plugin distributions go here, never into .venv: only the tests see them (pytest puts
# this directory on sys.path; subprocesses of the tests get it through PYTHONPATH).
TEST_PLUGINS := build/test-plugins
TEST_STAMP := $(TEST_PLUGINS)/.installed
EXAMPLE_PLUGINS := $(sort $(dir $(wildcard tests/plugins/example_*/pyproject.toml)))

.PHONY: setup demo test lint typecheck contracts unit clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	# Type stubs only: the real TensorRT cannot be installed from the public registries.
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps tensorrt-stubs
	touch $(STAMP)

# Third-party example distributions (a backend, a drift detector, a trace store, a fleet kind),
# installed so the tests prove plugin discovery end to end.
$(TEST_STAMP): $(STAMP) $(wildcard tests/plugins/example_*/pyproject.toml tests/plugins/example_*/src/*/*.py)
	rm -rf $(TEST_PLUGINS)
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation \
		--target $(TEST_PLUGINS) $(EXAMPLE_PLUGINS)
	touch $(TEST_STAMP)

demo: setup
	$(BIN)/edgedeploy demo

lint: setup
	$(BIN)/ruff check .

# mypy reads the installed layout (``edgedeploy.domain`` …) through a tree of links to the
# repository's top-level folders; Python itself finds them through the editable install.
TYPING := build/typing/edgedeploy
$(TYPING):
	mkdir -p $(TYPING)
	for d in domain application adapters plugins entrypoints; do ln -sfn ../../../$$d $(TYPING)/$$d; done

typecheck: setup $(TYPING)
	$(BIN)/mypy

contracts: setup
	$(BIN)/lint-imports

test: lint typecheck contracts $(TEST_STAMP)
	mkdir -p reports
	PYTHONPATH=$(TEST_PLUGINS) $(BIN)/pytest --cucumberjson=reports/acceptance.json
	$(BIN)/edgedeploy report acceptance reports/acceptance.json --html reports/acceptance.html

clean:
	rm -rf $(VENV) reports .edgedeploy edgedeploy-demo
