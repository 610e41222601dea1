# The two things a new user does: `make demo` and `make test`. Both set up .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-tests

.PHONY: setup demo test lint typecheck contracts unit clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	# Type stubs only: the real TensorRT cannot be installed from the public registries.
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps tensorrt-stubs
	touch $(STAMP)

# A third-party backend distribution, installed so the tests prove plugin discovery end to end.
$(TEST_STAMP): $(STAMP) tests/plugins/example_backend/pyproject.toml
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e tests/plugins/example_backend
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
	$(BIN)/pytest --cucumberjson=reports/acceptance.json

clean:
	rm -rf $(VENV) reports .edgedeploy edgedeploy-demo
