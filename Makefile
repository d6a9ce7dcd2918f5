# yomitoru: two commands.
#   make run   set everything up and run the web server and one worker (Ctrl-C stops both)
#   make test  set everything up and run lint, type checks and the tests
# Both are safe to repeat; each step only does what is missing.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DATA_DIR ?= var
export DATA_DIR
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test setup system-packages test-packages data lint check-types

run: setup data
	@echo "yomitoru: http://$(HOST):$(PORT)/admin/  (Ctrl-C stops the server and the worker)"
	@trap 'kill 0' INT TERM EXIT; \
	$(PY) manage.py qcluster & \
	$(PY) manage.py runserver $(HOST):$(PORT) --noreload & \
	wait

test: setup test-packages lint check-types
	DATA_DIR=$(DATA_DIR)/test $(PY) -m yomitoru.keys $(DATA_DIR)/test >/dev/null
	DATA_DIR=$(DATA_DIR)/test $(VENV)/bin/pytest

setup: system-packages $(VENV)/.installed

# Debian packages the app needs: Tesseract with Japanese data, its headers (tesserocr is built
# against Debian's libtesseract, see requirements.txt) and a Japanese font.
system-packages:
	@if ! command -v tesseract >/dev/null || ! tesseract --list-langs 2>/dev/null | grep -qx jpn \
	    || ! pkg-config --exists tesseract lept 2>/dev/null || ! fc-list :lang=ja | grep -q . ; then \
	  echo "Installing tesseract-ocr, tesseract-ocr-jpn, libtesseract-dev and Japanese fonts (apt)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    tesseract-ocr tesseract-ocr-jpn libtesseract-dev libleptonica-dev pkg-config \
	    fonts-ipaexfont fonts-noto-cjk; \
	fi

# Browser tests drive Debian's Chromium; no browser is ever downloaded by a test tool.
test-packages:
	@if ! command -v chromium >/dev/null; then \
	  echo "Installing chromium (apt)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	fi

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

data: setup
	$(PY) -m yomitoru.keys $(DATA_DIR) >/dev/null
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v 0
	$(PY) manage.py load_catalog
	$(PY) manage.py load_thresholds
	$(PY) manage.py seed_demo

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

check-types: setup
	DATA_DIR=$(DATA_DIR)/test $(PY) -m yomitoru.keys $(DATA_DIR)/test >/dev/null
	DATA_DIR=$(DATA_DIR)/test $(VENV)/bin/mypy .
