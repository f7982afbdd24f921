# samzoo developer commands. `make demo` and `make test` work from a fresh clone:
# they create .venv and install everything they need from the package registries.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# The torch build the suite is tested with. Users bring their own torch (pyproject only sets a
# lower bound); override e.g. `make test TORCH_PKGS="torch torchvision"`.
TORCH_PKGS ?= torch==2.14.1 torchvision==0.29.1
# The suite runs in this many pytest-xdist processes, each test file in one of them (its module
# fixtures are built once). Most tests wait on subprocesses or run single-threaded Python.
TEST_JOBS ?= 2
STAMP := $(VENV)/.samzoo-installed

.PHONY: install demo lint test test-fast bench docs clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -c "import torch, torchvision" 2>/dev/null || $(PY) -m pip install --quiet $(TORCH_PKGS)
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)
	$(PY) scripts/demo.py

# The habits: ruff, and the import-layer contract of pyproject.toml ([tool.importlinter]).
lint: $(STAMP)
	$(VENV)/bin/ruff check src tests scripts
	$(VENV)/bin/lint-imports

test: lint
	$(PY) -m pytest -q -n $(TEST_JOBS) --dist loadfile

test-fast: lint
	$(PY) -m pytest -q -n $(TEST_JOBS) --dist loadfile -m "not slow"

# The benchmarks, one after the other on a quiet machine (run one alone with `$(PY) scripts/bench_X.py --help`);
# each prints its ratio against the reference measured in the same run. Reference interpreter with
# micro-sam 1.8.14 for build/AIS: `make bench REFERENCE_PYTHON=/path/to/venv/bin/python`.
REFERENCE_PYTHON ?= $(PY)
bench: $(STAMP)
	$(PY) scripts/bench_build.py --reference-python $(REFERENCE_PYTHON)
	$(PY) scripts/bench_ais.py --reference-python $(REFERENCE_PYTHON)
	$(PY) scripts/bench_validate.py
	$(PY) scripts/bench_resolve.py
	$(PY) scripts/bench_pipeline.py
	$(PY) scripts/bench_scale.py

# The documentation site (mkdocs.yml): warnings are errors; the CLI reference is generated from the parser.
docs: $(STAMP)
	$(VENV)/bin/mkdocs build --strict -d site

clean:
	rm -rf $(VENV) demo_output bench_output bench_ais .pytest_cache site
