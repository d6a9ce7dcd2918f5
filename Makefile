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

.PHONY: run test setup system-packages venv test-packages data lint check-types

# yomitoru.run supervises both (see its docstring for why not a shell trap); exec leaves no
# shell between make and it.
run: setup data
	@echo "yomitoru: http://$(HOST):$(PORT)/admin/  (Ctrl-C stops the server and the worker)"
	@exec $(PY) -m yomitoru.run --host $(HOST) --port $(PORT)

test: setup test-packages lint check-types
	DATA_DIR=$(DATA_DIR)/test $(PY) -m yomitoru.keys $(DATA_DIR)/test >/dev/null
	DATA_DIR=$(DATA_DIR)/test $(VENV)/bin/pytest

setup: system-packages venv

# Every Debian package the steps below need, so that a minimal Debian 12 (debootstrap
# --variant=minbase plus git, make and python3; see scripts/fresh_debian_check.sh) is enough:
# venv and pip for .venv; a compiler, Python headers and pkg-config to build tesserocr against
# Debian's libtesseract (see requirements.txt); Tesseract with Japanese data; Japanese fonts;
# CA certificates for pip set up to use the system store (cert = in pip.conf, PIP_CERT);
# gettext, whose xgettext and msgfmt check the Japanese catalogue (tests/test_translations.py).
# Only the packages dpkg does not list as installed are installed.
SYSTEM_PACKAGES := python3-venv python3-dev gcc g++ pkg-config ca-certificates \
	tesseract-ocr tesseract-ocr-jpn libtesseract-dev libleptonica-dev \
	fonts-ipaexfont fonts-noto-cjk gettext

system-packages:
	@missing=$$(for package in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}\n' $$package 2>/dev/null | grep -q ' installed$$' \
	    || echo $$package; \
	done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing" $$missing "(apt)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

# Browser tests drive Debian's Chromium; no browser is ever downloaded by a test tool.
test-packages:
	@if ! command -v chromium >/dev/null; then \
	  echo "Installing chromium (apt)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	fi

# A .venv whose pip does not run (created without python3-venv, base Python gone) is made
# again; a failed creation removes what it left, so the next run does not take it for done.
# Requirements are installed when .installed is missing or older than any requirements*.txt
# (requirements-dev.txt includes requirements-train.txt: the fine-tuning test trains with torch).
venv: system-packages
	@if ! $(PY) -m pip --version >/dev/null 2>&1; then \
	  echo "Creating $(VENV)"; \
	  rm -rf $(VENV); \
	  $(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); exit 1; }; \
	fi
	@if [ ! -e $(VENV)/.installed ] \
	    || [ -n "$$(find requirements*.txt -newer $(VENV)/.installed)" ]; then \
	  echo "Installing requirements-dev.txt into $(VENV) (pip)"; \
	  $(PY) -m pip install -q --upgrade pip && \
	  $(PY) -m pip install -q -r requirements-dev.txt && \
	  touch $(VENV)/.installed; \
	fi

data: setup
	$(PY) -m yomitoru.keys $(DATA_DIR) >/dev/null
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v 0
	$(PY) manage.py load_catalog
	$(PY) manage.py load_thresholds
	$(PY) manage.py load_postal_codes
	$(PY) manage.py seed_demo

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

check-types: setup
	DATA_DIR=$(DATA_DIR)/test $(PY) -m yomitoru.keys $(DATA_DIR)/test >/dev/null
	DATA_DIR=$(DATA_DIR)/test $(VENV)/bin/mypy --cache-dir=/dev/null .
