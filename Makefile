# Two commands on a fresh machine:  `make demo`  and  `make test`.
# Both create .venv and install everything (idempotent: a second run installs nothing).

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup demo test test-fast bench clean

setup: $(STAMP)

# torch==2.13.0 first: that CPU build is on this machine's disk; an unpinned torch would pull a
# multi-GB CUDA build. It is only used once, to export the bundled weights to ONNX.
# Debian tools the tests use: ExifTool and ffprobe (independent readers our metadata writes are checked
# with) and Chromium (the web UI is tested in a real headless browser; Playwright drives it).
DEBS := libimage-exiftool-perl chromium ffmpeg tesseract-ocr
$(STAMP): pyproject.toml Makefile
	{ command -v exiftool && command -v chromium && command -v ffprobe && command -v tesseract; } >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $(DEBS); }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check "torch==2.13.0"
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $(STAMP)

demo: setup
	$(PY) scripts/demo.py

test: setup
	$(PY) -m pytest -q

test-fast: setup
	$(PY) -m pytest -q -m "not slow"

bench: setup
	$(PY) benchmarks/ingest.py

clean:
	rm -rf $(VENV) demo-library .pytest_cache
