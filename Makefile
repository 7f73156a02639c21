# make install: .venv with torch 2.13.0 (CPU build, installed first) and the project.
# It is a no-op while pyproject.toml is unchanged; demo and test depend on it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TORCH := torch==2.13.0

.PHONY: install test lint bench demo clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -c "import torch; assert torch.__version__.startswith('2.13.0'), torch.__version__"
	touch $(STAMP)

test: install
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check forecast tests bench
	$(BIN)/ruff format --check forecast tests bench
	$(BIN)/lint-imports

demo: install
	$(BIN)/forecast train sample_data/alcohol_sales.csv --out runs/demo
	$(BIN)/forecast predict --run runs/demo --horizon 12
	@echo "demo outputs in runs/demo: config.json, model.safetensors, series.json, metrics.json, holdout.csv, history.csv, forecast.png, forecast.csv"

bench: install
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/core.py
	$(BIN)/python bench/overhead.py
	$(BIN)/python bench/cells.py
	$(BIN)/python bench/bigpanel.py --format csv --epochs 1
	$(BIN)/python bench/bigpanel.py --format parquet --epochs 1
	$(BIN)/python bench/m3.py
	$(BIN)/python bench/calendar_inputs.py
	$(BIN)/python bench/covariates.py
	$(BIN)/python bench/oracle.py
	$(BIN)/python bench/suite.py
	$(BIN)/python bench/cost.py
	$(BIN)/python bench/warm.py

clean:
	rm -rf $(VENV) runs .pytest_cache
